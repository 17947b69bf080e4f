"""Regenerate the desktop screenshots in docs/screenshots/ from the real window.

    python docs/screenshots/make_screenshots.py            # all variants, under Xvfb if needed

It needs an X display; without one it re-runs itself under `xvfb-run` (Debian: apt-get install
xvfb). Every picture in the window is generated here (gradients and shapes, no photos), and the
model is a demo built here too: a genuine ONNX colour-scene classifier (mean colour -> nearest of
five scene colours, as one linear layer), so the labels in the screenshots mean something without
shipping anyone's photos or weights. It needs the `onnx` package (in the quantize/dev extras).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
# (name, scale, colour scheme, window size in logical pixels)
VARIANTS = (
    ("desktop-light", 1, "light", (1200, 760)),
    ("desktop-dark", 1, "dark", (1200, 760)),
    ("desktop-light-2x", 2, "light", (1100, 700)),
    ("desktop-no-model", 1, "light", (900, 560)),
    ("about-model", 1, "light", (1200, 760)),
)
SCENES = {  # label: mean colour in RGB, 0..1
    "sunset": (0.93, 0.52, 0.30),
    "forest": (0.22, 0.55, 0.28),
    "ocean": (0.16, 0.42, 0.78),
    "snow": (0.88, 0.91, 0.96),
    "night": (0.10, 0.11, 0.22),
}


# --- the demo model ---------------------------------------------------------------------------


def build_demo_model(folder: Path, sharpness: float = 5.0) -> Path:
    """model.onnx + config.json + preprocessor_config.json + MODEL_CARD.md, HF layout.

    logit_k = -sharpness * |mean_colour - scene_k|^2, which is linear in the mean colour once the
    term common to every class is dropped: 2s * x.p_k - s * |p_k|^2.
    """
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    labels = list(SCENES)
    # The MobileViT processor flips RGB to BGR, so the weights take channels in BGR order.
    prototypes = np.array([SCENES[label][::-1] for label in labels], dtype=np.float32)
    weights = (2 * sharpness * prototypes.T).astype(np.float32)  # (3, K)
    bias = (-sharpness * (prototypes**2).sum(axis=1)).astype(np.float32)  # (K,)
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["pixel_values"], ["mean"], axes=[2, 3], keepdims=0),
            helper.make_node("MatMul", ["mean", "weights"], ["scores"]),
            helper.make_node("Add", ["scores", "bias"], ["logits"]),
        ],
        "demo_colour_scenes",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, 64, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", len(labels)])],
        [numpy_helper.from_array(weights, "weights"), numpy_helper.from_array(bias, "bias")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, folder / "model.onnx")
    config = {
        "model_type": "demo-colour-scenes",
        "id2label": {str(i): label for i, label in enumerate(labels)},
        "label2id": {label: i for i, label in enumerate(labels)},
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    preprocessor = {
        "image_processor_type": "MobileViTImageProcessor",
        "do_resize": True,
        "size": {"shortest_edge": 72},
        "resample": 2,
        "do_center_crop": True,
        "crop_size": {"height": 64, "width": 64},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_flip_channel_order": True,
    }
    (folder / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2))
    (folder / "MODEL_CARD.md").write_text(
        "# Colour scenes (demo)\n\n"
        "A demonstration model for the edgeclass screenshots, built by "
        "`docs/screenshots/make_screenshots.py`. It is not trained: it compares a picture's mean "
        "colour with five scene colours (sunset, forest, ocean, snow, night).\n\n"
        "Use a model trained with `edgeclass train` and `edgeclass quantize` for real photos.\n"
    )
    return folder


# --- the pictures -----------------------------------------------------------------------------


def _gradient(size: tuple[int, int], top, bottom) -> Image.Image:
    height = size[1]
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / (height - 1)
        column.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    return column.resize(size)


def draw_scene(kind: str, seed: int, size=(480, 360)) -> Image.Image:
    rng = random.Random(f"{kind}-{seed}")
    width, height = size
    jitter = lambda c: tuple(max(0, min(255, v + rng.randint(-18, 18))) for v in c)  # noqa: E731
    if kind == "sunset":
        image = _gradient(size, jitter((250, 120, 60)), jitter((235, 170, 90)))
        draw = ImageDraw.Draw(image)
        r = rng.randint(40, 70)
        cx = rng.randint(r, width - r)
        draw.ellipse((cx - r, height * 0.6 - r, cx + r, height * 0.6 + r), fill=(255, 215, 120))
        draw.rectangle((0, height * 0.7, width, height), fill=jitter((200, 95, 70)))
    elif kind == "forest":
        image = _gradient(size, jitter((150, 200, 160)), jitter((40, 110, 50)))
        draw = ImageDraw.Draw(image)
        for _ in range(rng.randint(9, 16)):
            x = rng.randint(-20, width + 20)
            h = rng.randint(height // 3, int(height * 0.8))
            base = height - rng.randint(0, 30)
            draw.polygon(
                [(x, base - h), (x - h // 4, base), (x + h // 4, base)], fill=jitter((30, 90, 40))
            )
    elif kind == "ocean":
        image = _gradient(size, jitter((120, 180, 235)), jitter((20, 70, 160)))
        draw = ImageDraw.Draw(image)
        for row in range(6):
            y0 = height * 0.45 + row * 28
            points = [(x, y0 + 8 * math.sin(x / 30 + row + seed)) for x in range(0, width + 10, 10)]
            draw.line(points, fill=jitter((210, 230, 250)), width=3)
    elif kind == "snow":
        image = _gradient(size, jitter((200, 220, 245)), (250, 250, 252))
        draw = ImageDraw.Draw(image)
        peak = rng.randint(width // 4, 3 * width // 4)
        draw.polygon(
            [(peak, height * 0.25), (peak - 260, height), (peak + 260, height)],
            fill=(235, 240, 248),
        )
        draw.polygon(
            [(peak, height * 0.25), (peak - 60, height * 0.42), (peak + 55, height * 0.4)],
            fill=(255, 255, 255),
        )
    else:  # night
        image = _gradient(size, jitter((10, 12, 40)), jitter((30, 30, 70)))
        draw = ImageDraw.Draw(image)
        for _ in range(60):
            x, y = rng.randrange(width), rng.randrange(int(height * 0.8))
            draw.point((x, y), fill=(255, 255, 230))
        mx, my = rng.randint(60, width - 60), rng.randint(40, 120)
        draw.ellipse((mx - 26, my - 26, mx + 26, my + 26), fill=(245, 240, 210))
    return image.filter(ImageFilter.SMOOTH)


def write_scene_folder(folder: Path) -> list[Path]:
    names = {
        "sunset": "beach-evening",
        "forest": "woods-walk",
        "ocean": "harbour",
        "snow": "alps",
        "night": "stars",
    }
    paths = []
    rng = random.Random(7)
    kinds = [kind for kind in SCENES for _ in range(5)]
    rng.shuffle(kinds)
    for index, kind in enumerate(kinds):
        sub = folder / ("2025-summer" if index % 2 else "2025-winter")
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"{names[kind]}-{index:02d}.jpg"
        draw_scene(kind, index).save(path, quality=88)
        paths.append(path)
    (folder / "2025-winter" / "IMG_0042.jpg").write_bytes(b"\xff\xd8\xff\xe0 half a file")
    (folder / "2025-summer" / "notes.png").write_text("not a picture")
    return paths


# --- taking the screenshots -------------------------------------------------------------------


def take(name: str, scheme: str, size: tuple[int, int]) -> None:
    """Runs inside one process with its QT_SCALE_FACTOR already set."""
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from edgeclass.desktop.application import create_application
    from edgeclass.desktop.main_window import MainWindow

    app = create_application(color_scheme=scheme)
    # A fixed folder name, so the paths in the pictures (and so the PNGs) do not change per run.
    temp_dir = Path(tempfile.gettempdir()) / "edgeclass-demo"
    shutil.rmtree(temp_dir, ignore_errors=True)
    try:
        model = build_demo_model(temp_dir / "colour-scenes")
        photos = temp_dir / "Pictures"
        write_scene_folder(photos)
        settings = QSettings(str(temp_dir / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.resize(*size)
        window.show()
        if name == "desktop-no-model":
            _save(window.grab(), name)
            window.close()
            return
        assert window.load_model(model), "the demo model did not load"
        loop = QEventLoop()
        window.runFinished.connect(loop.quit)
        window.classify_paths([photos])
        QTimer.singleShot(60_000, loop.quit)
        loop.exec()
        window.threshold_spin.setValue(70)
        shown = QEventLoop()
        window.detail_pane.previewShown.connect(shown.quit)
        QTimer.singleShot(10_000, shown.quit)
        window.table.selectRow(2)
        shown.exec()  # the sharp preview is decoded off the UI thread
        window.statusBar().clearMessage()
        for _ in range(20):
            QApplication.processEvents()
        if name == "about-model":
            from edgeclass.desktop.model_dialog import ModelDialog

            dialog = ModelDialog(window.classifier.folder, window)
            dialog.show()
            for _ in range(20):
                QApplication.processEvents()
            _save(dialog.grab(), name)
            dialog.close()
        else:
            _save(window.grab(), name)
        window.close()
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    del app


def _save(pixmap, name: str) -> None:
    target = HERE / f"{name}.png"
    pixmap.save(str(target), "PNG")
    _shrink_png(target)
    print(f"wrote {target} ({target.stat().st_size // 1024} KiB)")


def _shrink_png(path: Path) -> None:
    """An adaptive 256-colour palette keeps a UI screenshot sharp at a fraction of the size."""
    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=[v[0] for v in VARIANTS], help="one variant only")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        if not shutil.which("xvfb-run"):
            print("needs an X display, or xvfb-run (apt-get install xvfb)", file=sys.stderr)
            return 1
        command = ["xvfb-run", "-a", "-s", "-screen 0 2600x1700x24", sys.executable, __file__]
        return subprocess.call(command + sys.argv[1:])
    if args.variant:
        name, _scale, scheme, size = next(v for v in VARIANTS if v[0] == args.variant)
        take(name, scheme, size)
        return 0
    for name, scale, _scheme, _size in VARIANTS:
        env = {**os.environ, "QT_SCALE_FACTOR": str(scale)}
        code = subprocess.call([sys.executable, __file__, "--variant", name], env=env)
        if code:
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
