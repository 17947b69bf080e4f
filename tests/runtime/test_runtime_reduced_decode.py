"""Reduced decoding, the pixel budget and per-file failure isolation, on real files."""

from __future__ import annotations

import edgeclass_test_images as images
import numpy as np
import pytest
from PIL import Image, ImageFile

from edgeclass.runtime import Classifier, ImageLoadError, Preprocessor, Status
from edgeclass.runtime.images import decode_image
from edgeclass.runtime.model_config import load_preprocessor
from edgeclass.runtime.prepare import prepare_image

EXIF_ORIENTATION = 0x0112


@pytest.fixture(scope="module")
def preprocessor(tiny_model_dir) -> Preprocessor:
    return load_preprocessor(tiny_model_dir / "preprocessor_config.json")  # 72 / 64x64


@pytest.fixture(scope="module")
def classifier(tiny_model_dir):
    return Classifier(tiny_model_dir, threads=1, decode_threads=2)


@pytest.fixture(scope="module")
def exact_classifier(tiny_model_dir):
    return Classifier(tiny_model_dir, threads=1, decode_threads=2, exact_decode=True)


def _decoded_sizes(monkeypatch) -> list[tuple[int, int]]:
    """Records the size of every image Pillow really decodes."""
    sizes: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def load(image):
        sizes.append(image.size)
        return original(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return sizes


def _resize_outputs(monkeypatch) -> list[tuple[int, int]]:
    """Records the output size of every Image.resize call."""
    sizes: list[tuple[int, int]] = []
    original = Image.Image.resize

    def resize(image, size, *args, **kwargs):
        sizes.append(tuple(size))
        return original(image, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", resize)
    return sizes


@pytest.mark.slow
def test_phone_jpeg_is_decoded_in_the_dct_domain_then_reduced(
    make_image, preprocessor, monkeypatch
):
    path = make_image("phone.jpg", size=(4032, 3024), quality=90)
    decoded_sizes = _decoded_sizes(monkeypatch)
    decoded = decode_image(path, reduce_for=preprocessor.max_reduction)
    # libjpeg decoded 1/8 of each side; a 2x reduce then keeps the short side >= 2 x 72.
    assert set(decoded_sizes) == {(504, 378)}
    assert decoded.image.size == (252, 189)
    assert decoded.size == (4032, 3024)
    assert min(decoded.image.size) >= 2 * preprocessor.resize_shortest_edge


def test_reduced_tensor_is_close_to_the_exact_one(make_image, preprocessor):
    for name, kwargs in [("big.jpg", {"quality": 95}), ("big.png", {})]:
        path = make_image(name, size=(1600, 1200), **kwargs)
        reduced = prepare_image(path, preprocessor).tensor
        exact = prepare_image(path, preprocessor, exact_decode=True).tensor
        assert reduced.shape == exact.shape == (3, 64, 64)
        assert not np.array_equal(reduced, exact)  # it really took the other path
        assert np.abs(reduced - exact).mean() < 0.02, name  # 5 grey levels of 255


def test_exif_orientation_is_applied_to_the_reduced_image(tmp_path, preprocessor):
    stored = Image.fromarray(images.photo_like(2400, 600, seed=3))
    stored.paste((255, 0, 0), (0, 0, 300, 600))  # a red band on the stored image's left
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # rotate 90 degrees clockwise for display
    path = tmp_path / "rotated.jpg"
    stored.save(path, quality=95, exif=exif)

    decoded = decode_image(path, reduce_for=preprocessor.max_reduction)
    assert decoded.size == (600, 2400)  # upright
    width, height = decoded.image.size
    assert height > width and width < 600  # reduced, and upright
    pixels = np.asarray(decoded.image).astype(int)
    top, bottom = pixels[: height // 10], pixels[-height // 10 :]
    # After a 90-degree clockwise turn the stored left edge is at the top.
    assert top[..., 0].mean() > 200 and top[..., 1].mean() < 60
    assert bottom[..., 1].mean() > 60


@pytest.mark.slow
def test_classifier_reports_the_full_upright_size(classifier, make_image):
    path = make_image("phone.jpg", size=(4032, 3024), quality=90)
    [result] = classifier.classify_paths([path])
    assert result.status is Status.OK
    assert (result.width, result.height) == (4032, 3024)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_108_megapixel_jpeg_is_classified_reduced_and_refused_exact(
    tmp_path, classifier, exact_classifier
):
    path = tmp_path / "108mp.jpg"
    Image.effect_noise((12_000, 9_000), 40).save(path, quality=80)  # greyscale: 108 MB
    [reduced] = classifier.classify_paths([path])
    assert reduced.status is Status.OK, reduced.message
    assert (reduced.width, reduced.height) == (12_000, 9_000)
    [exact] = exact_classifier.classify_paths([path])
    assert exact.status is Status.TOO_LARGE
    assert "12,000x9,000 pixels (108,000,000)" in exact.message
    assert "89,478,485" in exact.message


def test_thin_png_is_resized_only_in_its_crop_box(tmp_path, classifier, monkeypatch):
    path = images.png_bomb(tmp_path, 20_000, 1)  # a few dozen bytes
    assert path.stat().st_size < 200
    outputs = _resize_outputs(monkeypatch)
    [result] = classifier.classify_paths([path])
    assert result.status is Status.OK, result.message
    assert (result.width, result.height) == (20_000, 1)
    # A plain shortest-edge resize would make 1,440,000x72 pixels for a 64x64 tensor.
    assert outputs and all(w * h <= 64 * 64 for w, h in outputs)


def test_thin_png_is_refused_by_the_exact_path_before_resizing(
    tmp_path, exact_classifier, monkeypatch
):
    path = images.png_bomb(tmp_path, 20_000, 1)
    outputs = _resize_outputs(monkeypatch)
    [result] = exact_classifier.classify_paths([path])
    assert result.status is Status.TOO_LARGE
    assert result.message.startswith("20,000x1 pixels would be resized to 1,440,000x72")
    assert outputs == []


def test_eleven_million_pixel_wide_png_never_ends_the_batch(
    tmp_path, classifier, exact_classifier, make_image
):
    thin = images.png_bomb(tmp_path, 11_000_000, 1)
    good = make_image("good.jpg")
    reduced = list(classifier.classify_paths([thin, good]))
    exact = list(exact_classifier.classify_paths([thin, good]))
    assert [r.status for r in reduced] == [Status.OK, Status.OK]
    assert [r.status for r in exact] == [Status.TOO_LARGE, Status.OK]
    assert "11,000,000x1 pixels" in exact[0].message


def test_memory_error_and_unexpected_errors_are_per_file(classifier, make_image, monkeypatch):
    out_of_memory = make_image("oom.png", seed=1)
    strange = make_image("strange.png", seed=2)
    good = make_image("good.png", seed=3)
    original = ImageFile.ImageFile.load

    def load(image):
        name = getattr(image.fp, "name", "")
        if name.endswith("oom.png"):
            raise MemoryError
        if name.endswith("strange.png"):
            raise OverflowError("Python int too large to convert to C long")
        return original(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    results = list(classifier.classify_paths([out_of_memory, strange, good]))
    assert [r.status for r in results] == [Status.TOO_LARGE, Status.UNREADABLE, Status.OK]
    assert "memory" in results[0].message
    assert "OverflowError" in results[1].message


def test_file_objects_are_accepted(make_image, preprocessor):
    path = make_image("in_memory.jpg", size=(800, 600))
    with open(path, "rb") as file:
        from_file = prepare_image(file, preprocessor)
    assert np.array_equal(from_file.tensor, prepare_image(path, preprocessor).tensor)
    assert from_file.size == (800, 600)


@pytest.mark.slow
def test_pixel_limit_applies_to_the_pixels_really_decoded(make_image, preprocessor):
    path = make_image("phone.jpg", size=(4032, 3024), quality=90)
    limit = 4032 * 3024 - 1
    prepare_image(path, preprocessor, max_pixels=limit)  # decoded at 1/8: fine
    with pytest.raises(ImageLoadError) as refused:
        prepare_image(path, preprocessor, max_pixels=limit, exact_decode=True)
    assert refused.value.status is Status.TOO_LARGE


@pytest.mark.parametrize("orientation", range(1, 9))
def test_reduced_decode_keeps_the_geometry_when_sizes_do_not_divide(
    tmp_path, preprocessor, orientation
):
    # 1601x1203 at 1/8 scale is 201x151 pixels covering 200.125x150.375 of them: resizing the
    # whole bitmap stretched the picture by most of a pixel (0.6 grey levels from exact here).
    stored = Image.fromarray(images.photo_like(1601, 1203, seed=4))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    path = tmp_path / "odd.jpg"
    stored.save(path, quality=95, exif=exif)

    decoded = decode_image(path, reduce_for=preprocessor.max_reduction)
    assert decoded.box is not None
    left, top, right, bottom = decoded.box
    assert sorted([right - left, bottom - top]) == [150.375, 200.125]
    reduced = prepare_image(path, preprocessor).tensor
    exact = prepare_image(path, preprocessor, exact_decode=True).tensor
    assert np.abs(reduced - exact).mean() * 255 < 0.35


def test_evenly_divided_reduced_decode_needs_no_box(make_image, preprocessor):
    path = make_image("even.jpg", size=(1600, 1200), quality=95)
    decoded = decode_image(path, reduce_for=preprocessor.max_reduction)
    assert decoded.image.size == (200, 150)
    assert decoded.box is None
