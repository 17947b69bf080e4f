"""Helpers shared by the desktop tests (a unique module name: tests/ has no packages)."""

from __future__ import annotations

from pathlib import Path

from edgeclass.desktop.sample_images import make_picture


def write_images(folder: Path, count: int, *, size=(160, 120), prefix="img") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"{prefix}-{index:04d}.jpg"
        make_picture(index, size).save(path, quality=80)
        paths.append(path)
    return paths


def classify_and_wait(qtbot, window, paths, timeout=60_000) -> None:
    with qtbot.waitSignal(window.runFinished, timeout=timeout):
        window.classify_paths(paths)


def confirm_undo(qtbot, window) -> None:
    """Edit > Undo Sort, and "Undo Sort" in the question it asks first."""
    from PySide6.QtCore import Qt

    window.sort_commands.undo_action.trigger()
    box = window.sort_commands.confirmation
    assert box is not None and box.isVisible()
    (agree,) = [b for b in box.buttons() if b.text() == "Undo Sort"]
    qtbot.mouseClick(agree, Qt.MouseButton.LeftButton)
