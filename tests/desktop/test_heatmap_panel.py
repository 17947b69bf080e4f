"""“Why this label?” in the detail pane, on a real ONNX model that only reads the left half."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from desktop_helpers import classify_and_wait
from PIL import Image
from PySide6.QtGui import QImage
from tiny_onnx_models import SIZE, left_half_model

import edgeclass.desktop.heatmap_panel as heatmap_panel
from edgeclass.desktop.background import CANCELLED, SUCCEEDED
from edgeclass.desktop.heatmap_panel import BACK, WHY


@pytest.fixture
def left_window(qtbot, settings, tmp_path, dialogs):
    from edgeclass.desktop.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.load_model(left_half_model(tmp_path / "left-model"))
    window.show()
    yield window
    window.close()


def grey_photo(path, seed: int = 0):
    """Grey noise (R = G = B), bright on the left half, dark on the right."""
    rng = np.random.default_rng(seed)
    grey = rng.integers(0, 60, size=(2 * SIZE, 2 * SIZE))
    grey[:, :SIZE] += 180
    Image.fromarray(np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)).save(path)
    return path


def yellowness(image: QImage, left: bool) -> float:
    """Mean red minus blue over one half: the heat colours are warm, the grey photo is not."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = rgb.width(), rgb.height()
    pixels = np.frombuffer(rgb.constBits(), np.uint8).reshape(height, rgb.bytesPerLine())
    pixels = pixels[:, : 3 * width].reshape(height, width, 3).astype(float)
    half = pixels[:, : width // 2] if left else pixels[:, width // 2 :]
    return float((half[..., 0] - half[..., 2]).mean())


def test_the_heat_map_is_hot_on_the_left_half_the_model_reads(qtbot, left_window, tmp_path):
    classify_and_wait(qtbot, left_window, [grey_photo(tmp_path / "photo.png")])
    pane = left_window.detail_pane
    panel = pane.heatmap
    assert panel.isVisible() and panel.button.text() == WHY
    with qtbot.waitSignal(panel.explainEnded, timeout=60_000) as ended:
        panel.button.click()
    assert ended.args == [SUCCEEDED]
    explanation = panel.explanation
    assert explanation is not None and explanation.label == "left"
    heat = explanation.heat
    assert heat[:, : SIZE // 2].min() > 1e-3  # hiding any of the left half costs "left"
    assert np.abs(heat[:, SIZE // 2 + 4 :]).max() < 1e-6  # the right half costs nothing
    shown = pane.image()
    assert shown is explanation.image or shown == explanation.image
    assert shown.width() == heatmap_panel.OVERLAY_SIZE
    assert yellowness(shown, left=True) > 30 > 5 > yellowness(shown, left=False)
    assert panel.button.text() == BACK and "“left”" in panel.status.text()
    panel.button.click()  # back to the photo
    assert yellowness(pane.image(), left=True) < 5
    assert panel.button.text() == WHY


def test_selecting_another_photo_cancels_the_map(qtbot, left_window, tmp_path, monkeypatch):
    first, second = grey_photo(tmp_path / "a.png"), grey_photo(tmp_path / "b.png", seed=1)
    classify_and_wait(qtbot, left_window, [first, second])
    gate = threading.Event()
    real = heatmap_panel.explain_file

    def held_back(*args, **kwargs):
        gate.wait(30)  # still computing when the selection changes
        return real(*args, **kwargs)

    monkeypatch.setattr(heatmap_panel, "explain_file", held_back)
    pane = left_window.detail_pane
    assert pane.result().path == str(first)
    with qtbot.waitSignal(pane.heatmap.explainEnded, timeout=60_000) as ended:
        pane.heatmap.button.click()
        assert pane.heatmap.is_busy()
        left_window.table.selectRow(1)
        gate.set()
    assert ended.args == [CANCELLED]
    assert pane.result().path == str(second)
    assert pane.heatmap.explanation is None and not pane.heatmap.is_busy()
    assert pane.heatmap.button.isEnabled() and pane.heatmap.button.text() == WHY
