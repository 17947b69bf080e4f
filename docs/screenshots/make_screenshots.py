"""Regenerate the desktop screenshots in docs/screenshots/ from the real window.

    python docs/screenshots/make_screenshots.py            # all variants
    QT_QPA_PLATFORM=offscreen python docs/screenshots/make_screenshots.py   # without a display

Without an X display it re-runs itself under `xvfb-run` when there is one (Debian: apt-get
install xvfb); with QT_QPA_PLATFORM=offscreen it draws without any display. The model is the
real bundled default (cat vs dog). The pictures are cartoon cats and dogs drawn here with
Pillow (no photos, so they may be published), in `cat/` and `dog/` folders so the window shows
the truth beside each answer. The model's answers on them are its own: it gets some wrong.
"""

from __future__ import annotations

import argparse
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
    ("desktop-light", 1, "light", (1280, 780)),
    ("desktop-dark", 1, "dark", (1280, 780)),
    ("desktop-light-2x", 2, "light", (1100, 700)),
    ("desktop-no-model", 1, "light", (900, 560)),
    ("about-model", 1, "light", (1280, 780)),
    ("sort-dialog", 1, "light", (1280, 780)),
    ("evaluation", 1, "light", (1280, 780)),
    ("grid", 1, "light", (1280, 780)),
    ("preview", 1, "light", (1280, 780)),
)
PICTURES_PER_LABEL = 8


# --- the pictures -----------------------------------------------------------------------------


def _gradient(size: tuple[int, int], top, bottom) -> Image.Image:
    height = size[1]
    col = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / (height - 1)
        col.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    return col.resize(size)


FURS_CAT = [(226, 140, 60), (120, 120, 125), (40, 38, 40), (235, 225, 210), (170, 120, 80)]
FURS_DOG = [(196, 140, 80), (120, 80, 45), (230, 200, 140), (60, 45, 35), (245, 240, 230)]
BGS = [
    ((200, 215, 230), (150, 170, 190)),
    ((190, 220, 170), (90, 150, 70)),
    ((240, 225, 200), (200, 170, 140)),
    ((215, 205, 225), (160, 150, 180)),
]


def draw_cat(seed: int, size=(480, 360)) -> Image.Image:
    """A cartoon cat's face: pointed ears, slit pupils, whiskers."""
    rng = random.Random(f"cat{seed}")
    w, h = size
    img = _gradient(size, *rng.choice(BGS))
    d = ImageDraw.Draw(img)
    fur = FURS_CAT[seed % len(FURS_CAT)]
    cx, cy, r = w / 2 + rng.randint(-40, 40), h / 2 + 30, rng.randint(100, 125)
    dark = tuple(max(0, c - 50) for c in fur)
    # body
    d.ellipse((cx - r * 1.1, cy + r * 0.6, cx + r * 1.1, cy + r * 2.4), fill=dark)
    # ears
    for s in (-1, 1):
        d.polygon(
            [
                (cx + s * r * 0.95, cy - r * 0.3),
                (cx + s * r * 0.75, cy - r * 1.35),
                (cx + s * r * 0.2, cy - r * 0.85),
            ],
            fill=fur,
        )
        d.polygon(
            [
                (cx + s * r * 0.82, cy - r * 0.45),
                (cx + s * r * 0.72, cy - r * 1.1),
                (cx + s * r * 0.38, cy - r * 0.8),
            ],
            fill=(240, 170, 180),
        )
    d.ellipse((cx - r, cy - r * 0.9, cx + r, cy + r * 0.85), fill=fur)
    eye = rng.choice([(120, 190, 60), (230, 190, 40), (90, 160, 200)])
    for s in (-1, 1):
        ex, ey = cx + s * r * 0.4, cy - r * 0.15
        d.ellipse(
            (ex - r * 0.2, ey - r * 0.14, ex + r * 0.2, ey + r * 0.14),
            fill=eye,
            outline=(20, 20, 20),
            width=2,
        )
        d.ellipse((ex - r * 0.04, ey - r * 0.13, ex + r * 0.04, ey + r * 0.13), fill=(10, 10, 10))
    ny = cy + r * 0.2
    d.polygon([(cx - r * 0.09, ny), (cx + r * 0.09, ny), (cx, ny + r * 0.09)], fill=(230, 120, 140))
    d.line([(cx, ny + r * 0.09), (cx, ny + r * 0.2)], fill=(40, 30, 30), width=2)
    d.arc((cx - r * 0.2, ny + r * 0.1, cx, ny + r * 0.3), 0, 180, fill=(40, 30, 30), width=2)
    d.arc((cx, ny + r * 0.1, cx + r * 0.2, ny + r * 0.3), 0, 180, fill=(40, 30, 30), width=2)
    wc = (250, 250, 250) if sum(fur) < 400 else (60, 60, 60)
    for s in (-1, 1):
        for k in (-1, 0, 1):
            d.line(
                [
                    (cx + s * r * 0.25, ny + r * 0.12),
                    (cx + s * r * 1.05, ny + r * (0.05 + 0.15 * k)),
                ],
                fill=wc,
                width=2,
            )
    return img.filter(ImageFilter.SMOOTH)


def draw_dog(seed: int, size=(480, 360)) -> Image.Image:
    """A cartoon dog's face: floppy ears, a muzzle, a big nose."""
    rng = random.Random(f"dog{seed}")
    w, h = size
    img = _gradient(size, *rng.choice(BGS))
    d = ImageDraw.Draw(img)
    fur = FURS_DOG[seed % len(FURS_DOG)]
    dark = tuple(max(0, c - 70) for c in fur)
    light = tuple(min(255, c + 45) for c in fur)
    cx, cy, r = w / 2 + rng.randint(-40, 40), h / 2 + 20, rng.randint(95, 115)
    d.ellipse((cx - r * 1.2, cy + r * 0.7, cx + r * 1.2, cy + r * 2.6), fill=fur)
    d.ellipse((cx - r * 0.9, cy - r, cx + r * 0.9, cy + r * 0.9), fill=fur)
    for s in (-1, 1):
        d.ellipse(
            (cx + s * r * 0.95 - r * 0.3, cy - r * 0.85, cx + s * r * 0.95 + r * 0.3, cy + r * 0.5),
            fill=dark,
        )
    d.ellipse((cx - r * 0.5, cy + r * 0.05, cx + r * 0.5, cy + r * 0.85), fill=light)
    for s in (-1, 1):
        ex, ey = cx + s * r * 0.38, cy - r * 0.25
        d.ellipse((ex - r * 0.12, ey - r * 0.12, ex + r * 0.12, ey + r * 0.12), fill=(45, 30, 20))
        d.ellipse(
            (ex - r * 0.03, ey - r * 0.08, ex + r * 0.03, ey - r * 0.02), fill=(255, 255, 255)
        )
    d.ellipse((cx - r * 0.2, cy + r * 0.15, cx + r * 0.2, cy + r * 0.4), fill=(25, 20, 20))
    d.line([(cx, cy + r * 0.4), (cx, cy + r * 0.6)], fill=(40, 30, 30), width=3)
    d.arc((cx - r * 0.3, cy + r * 0.4, cx, cy + r * 0.75), 0, 180, fill=(40, 30, 30), width=3)
    d.arc((cx, cy + r * 0.4, cx + r * 0.3, cy + r * 0.75), 0, 180, fill=(40, 30, 30), width=3)
    if rng.random() < 0.6:
        d.ellipse(
            (cx - r * 0.12, cy + r * 0.62, cx + r * 0.12, cy + r * 0.95), fill=(230, 100, 110)
        )
    return img.filter(ImageFilter.SMOOTH)


def write_picture_folder(folder: Path) -> list[Path]:
    """folder/cat/*.jpg and folder/dog/*.jpg, plus a cut-off JPEG and a text file posing as a
    PNG (they get rows saying why they were not classified)."""
    paths = []
    for label, draw in (("cat", draw_cat), ("dog", draw_dog)):
        (folder / label).mkdir(parents=True, exist_ok=True)
        for index in range(PICTURES_PER_LABEL):
            path = folder / label / f"{label}-{index + 1:02d}.jpg"
            draw(index).save(path, quality=88)
            paths.append(path)
    (folder / "cat" / "IMG_0042.jpg").write_bytes(b"\xff\xd8\xff\xe0 half a file")
    (folder / "dog" / "notes.png").write_text("not a picture")
    return paths


# --- taking the screenshots -------------------------------------------------------------------


def take(name: str, scheme: str, size: tuple[int, int]) -> None:
    """Runs inside one process with its QT_SCALE_FACTOR already set."""
    from PySide6.QtCore import QSettings

    from edgeclass.desktop.application import create_application
    from edgeclass.desktop.main_window import MainWindow
    from edgeclass.runtime.locate import bundled_model_dir

    app = create_application(color_scheme=scheme)
    model = bundled_model_dir()
    assert model is not None, "this checkout has no bundled default model"
    # A fixed folder name, so the paths in the pictures (and so the PNGs) do not change per run.
    temp_dir = Path(tempfile.gettempdir()) / "edgeclass-demo"
    shutil.rmtree(temp_dir, ignore_errors=True)
    try:
        pictures = temp_dir / "Pictures"
        write_picture_folder(pictures)
        settings = QSettings(str(temp_dir / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.resize(*size)
        window.show()
        if name != "desktop-no-model":
            assert window.load_model(model), "the default model did not load"
            _wait(window.runFinished, lambda: window.classify_paths([pictures]))
            _select(window, "cat-02.jpg" if name != "desktop-dark" else "cat-04.jpg")
        _settle()
        if name == "desktop-light" or name == "desktop-light-2x":
            heatmap = window.detail_pane.heatmap
            _wait(heatmap.explainEnded, heatmap.explain)
            _settle()
        if name == "about-model":
            from edgeclass.desktop.model_dialog import ModelDialog

            _grab_dialog(ModelDialog(window.classifier.folder, window), name)
        elif name == "sort-dialog":
            dialog = window.sort_commands.open_sort_dialog()
            assert dialog is not None
            _wait(dialog.previewReady, lambda: dialog.set_destination(temp_dir / "Sorted"))
            _grab_dialog(dialog, name)
        elif name == "evaluation":
            window.show_evaluation()
            _grab_dialog(window.evaluation_dialog, name)
        elif name == "preview":
            window.table.setFocus()
            preview = window.preview_dialog
            preview.resize(760, 600)
            _wait(preview.shown, lambda: _press(window.table, "space"))
            _wait(preview.shown, lambda: _press(preview, "right"))  # on to the next photo
            _settle()
            _save(preview.grab(), name)
            preview.close()
        elif name == "grid":
            window.splitter.grid_action.trigger()
            _settle()
            window.statusBar().clearMessage()
            _save(window.grab(), name)
        else:
            window.statusBar().clearMessage()
            _settle()
            _save(window.grab(), name)
        window.close()
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    del app


def _wait(signal, start, timeout_ms: int = 60_000) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    start()
    loop.exec()


def _press(widget, key: str) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyClick(widget, {"space": Qt.Key.Key_Space, "right": Qt.Key.Key_Right}[key])


def _settle() -> None:
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    for _ in range(10):
        QThreadPool.globalInstance().waitForDone(200)  # previews decoded off the UI thread
        QApplication.processEvents()


def _select(window, file_name: str) -> None:
    from edgeclass.desktop.results_model import ResultRole

    for row in range(window.proxy.rowCount()):
        index = window.proxy.index(row, 0)
        if Path(index.data(ResultRole).path).name == file_name:
            window.table.selectRow(row)
            return
    raise LookupError(file_name)


def _grab_dialog(dialog, name: str) -> None:
    dialog.show()
    _settle()
    _save(dialog.grab(), name)
    dialog.close()


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
