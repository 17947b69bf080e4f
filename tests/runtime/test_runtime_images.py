"""load_image on real files in every mode, and on every kind of bad file."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import edgeclass_test_images as images
import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps
from unprivileged import open_tmp_dir, run_unprivileged

from edgeclass.runtime import Classifier, ImageLoadError, Status, load_image
from edgeclass.runtime.images import to_rgb


@pytest.mark.parametrize("mode", sorted(images.PILLOW_COMPATIBLE))
def test_modes_convert_like_pillow_and_transformers(mode, tmp_path):
    path = images.PILLOW_COMPATIBLE[mode](tmp_path)
    loaded = load_image(path)
    assert loaded.mode == "RGB"
    # transformers.image_utils.load_image: exif_transpose, then convert("RGB").
    with Image.open(path) as raw:
        expected = ImageOps.exif_transpose(raw).convert("RGB")
    assert loaded.size == expected.size
    np.testing.assert_array_equal(np.asarray(loaded), np.asarray(expected))


def test_exif_orientation_is_applied(tmp_path):
    path = images.exif_rotated(tmp_path)
    with Image.open(path) as raw:
        assert raw.size == (120, 60)
    assert load_image(path).size == (60, 120)


def test_animation_gives_its_first_frame(tmp_path):
    path = images.animated_gif(tmp_path)
    with Image.open(path) as raw:
        assert raw.n_frames == 3
        first = np.asarray(raw.convert("RGB"))
        raw.seek(1)
        second = np.asarray(raw.convert("RGB"))
    loaded = np.asarray(load_image(path))
    np.testing.assert_array_equal(loaded, first)
    assert not np.array_equal(loaded, second)


@pytest.mark.parametrize("mode", sorted(images.HIGH_BIT_DEPTH))
def test_high_bit_depth_is_scaled_not_clipped(mode, tmp_path):
    path = images.HIGH_BIT_DEPTH[mode](tmp_path)
    loaded = np.asarray(load_image(path))
    ramp = images.gradient_16bit().astype(np.float64)
    expected = np.rint(ramp * 255 / 65535)
    assert loaded.shape == (*ramp.shape, 3)
    assert (loaded[..., 0] == loaded[..., 1]).all() and (loaded[..., 1] == loaded[..., 2]).all()
    assert np.abs(loaded[..., 0] - expected).max() <= 1
    assert loaded.min() == 0 and loaded.max() == 255
    # Pillow's own conversion clips: everything above 255/65535 of the range turns white.
    with Image.open(path) as raw:
        clipped = np.asarray(raw.convert("RGB"))
    assert (clipped == 255).mean() > 0.9 or mode == "F"


def test_eight_bit_data_in_int_mode_is_kept():
    values = np.tile(np.arange(0, 256, dtype=np.int32), (4, 1))
    loaded = np.asarray(to_rgb(Image.fromarray(values)))
    np.testing.assert_array_equal(loaded[..., 0], values)


def _status_of(path: Path, **kwargs) -> ImageLoadError:
    with pytest.raises(ImageLoadError) as caught:
        load_image(path, **kwargs)
    assert caught.value.message
    return caught.value


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert _status_of(path).status is Status.EMPTY_FILE


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("these are not pixels\n" * 20)
    assert _status_of(path).status is Status.NOT_AN_IMAGE


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_truncated_image(suffix, make_image, tmp_path):
    source = make_image(f"whole{suffix}", size=(200, 150))
    path = images.truncated(source, tmp_path / f"cut{suffix}")
    assert _status_of(path).status is Status.UNREADABLE


def test_corrupt_header(tmp_path, make_image):
    source = make_image("whole.png")
    data = bytearray(source.read_bytes())
    data[16:24] = b"\xff" * 8  # width/height in IHDR, breaking its CRC
    path = tmp_path / "corrupt.png"
    path.write_bytes(bytes(data))
    assert _status_of(path).status in (Status.UNREADABLE, Status.NOT_AN_IMAGE)


def test_wrong_extension_but_valid_image_is_classified(make_image, tiny_model_dir):
    path = make_image("really_a_png.jpg", fmt="PNG")
    assert load_image(path).size == (96, 80)
    [result] = Classifier(tiny_model_dir, threads=1).classify_paths([path])
    assert result.status is Status.OK
    assert "PNG" in result.message


def test_missing_file_and_broken_symlink(tmp_path):
    assert _status_of(tmp_path / "nope.jpg").status is Status.NOT_FOUND
    link = tmp_path / "dangling.jpg"
    link.symlink_to(tmp_path / "gone.jpg")
    error = _status_of(link)
    assert error.status is Status.NOT_FOUND
    assert "symbolic link" in error.message


def test_directory(tmp_path):
    folder = tmp_path / "looks_like.jpg"
    folder.mkdir()
    assert _status_of(folder).status is Status.IS_DIRECTORY


LOAD_AS_USER = """
import sys
from edgeclass.runtime import ImageLoadError, load_image
try:
    load_image(sys.argv[1])
except ImageLoadError as error:
    print(error.status.value, error.message, sep="\\n")
"""


def test_unreadable_permissions(make_image):
    # As a user whom permissions apply to: root (how CI runs) reads a chmod 000 file anyway.
    with open_tmp_dir() as folder:
        path = folder / "secret.jpg"
        shutil.copyfile(make_image("secret.jpg"), path)
        path.chmod(0)
        proc = run_unprivileged([sys.executable, "-c", LOAD_AS_USER, str(path)], text=True)
        assert proc.returncode == 0, proc.stderr
        status, message = proc.stdout.splitlines()
        assert status == Status.PERMISSION_ERROR.value and message


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_decompression_bomb_is_refused_from_the_header(tmp_path, monkeypatch):
    # 12,000 x 12,000 = 144 Mpx: past the limit, yet under Pillow's own hard stop (2x limit),
    # so only the runtime's header check stands between it and a 144 MB decode.
    path = images.png_bomb(tmp_path, 12_000, 12_000)
    assert path.stat().st_size < 1_000_000
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image))
    error = _status_of(path)
    assert error.status is Status.TOO_LARGE
    assert "12,000x12,000" in error.message
    assert "89,478,485" in error.message and "Pillow" not in error.message
    assert decoded == []  # refused from the header: the pixel data was never decoded


def test_huge_header_past_pillows_own_limit(tmp_path):
    # 10 gigapixels claimed: Pillow itself refuses this one while opening.
    path = images.png_claiming(tmp_path, 100_000, 100_000)
    assert _status_of(path).status is Status.TOO_LARGE


def test_header_promising_more_than_the_data_holds(tmp_path):
    path = images.png_claiming(tmp_path, 300, 200)
    assert _status_of(path).status is Status.UNREADABLE


def test_pixel_limit_is_configurable(make_image):
    path = make_image("small.png", size=(50, 40))
    assert load_image(path, max_pixels=2000).size == (50, 40)
    assert _status_of(path, max_pixels=1999).status is Status.TOO_LARGE
