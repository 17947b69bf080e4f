"""Runtime, trainer and desktop thumbnails decode through one loader: the same pixels everywhere."""

from __future__ import annotations

import edgeclass_test_images as images
import numpy as np
from PySide6.QtGui import QImage

from edgeclass.desktop.thumbnails import make_thumbnail
from edgeclass.runtime import load_image
from edgeclass.trainer.data import Sample


def _qimage_pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = [
        np.frombuffer(bytes(image.constScanLine(y))[: 3 * image.width()], np.uint8)
        for y in range(image.height())
    ]
    return np.stack(rows).reshape(image.height(), image.width(), 3)


def test_a_16_bit_png_gives_the_same_pixels_to_runtime_trainer_and_thumbnail(qapp, tmp_path):
    path = images.grey_16bit(tmp_path)  # 80x60, smaller than a thumbnail: no resizing anywhere
    runtime = np.asarray(load_image(path))
    assert runtime.max() == 255 and runtime.min() == 0  # scaled, not clipped at 255
    trainer = np.asarray(Sample(label=0, path=path).open())
    thumbnail = _qimage_pixels(make_thumbnail(path))
    np.testing.assert_array_equal(trainer, runtime)
    np.testing.assert_array_equal(thumbnail, runtime)
    # The trainer's in-memory samples (Hugging Face datasets) take the same path.
    np.testing.assert_array_equal(
        np.asarray(Sample(label=0, data=path.read_bytes()).open()), runtime
    )
