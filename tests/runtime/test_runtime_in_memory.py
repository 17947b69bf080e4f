"""Images given as bytes get exactly the results their files get from classify_paths."""

from __future__ import annotations

import pytest

from edgeclass.runtime import Classifier, Status
from edgeclass.runtime.in_memory import classify_bytes, classify_many


@pytest.fixture(scope="module")
def classifier(tiny_model_dir):
    return Classifier(tiny_model_dir, threads=1, decode_threads=1, max_pixels=200 * 200)


def test_bytes_give_the_same_results_as_files(classifier, make_image, tmp_path):
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(make_image("whole.jpg", size=(150, 120)).read_bytes()[:400])
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    files = [
        make_image("a.jpg", size=(120, 90), seed=1),
        make_image("rotated.jpg", size=(80, 110), seed=2, exif=_rotated_exif()),
        make_image("grey.png", mode="L", seed=3),
        make_image("mislabelled.png", seed=4, fmt="JPEG"),
        make_image("huge.png", size=(300, 300)),  # over this classifier's pixel budget
        truncated,
        text,
        empty,
    ]
    expected = [r.to_dict() for r in classifier.classify_paths(files, batch_size=3, top_k=2)]
    got = [
        classify_bytes(classifier, path.read_bytes(), str(path), top_k=2).to_dict()
        for path in files
    ]
    assert [r["status"] for r in got] == [
        "ok", "ok", "ok", "ok", "too_large", "unreadable", "not_an_image", "empty_file"
    ]  # fmt: skip
    assert got[3]["message"] == ".png file holds JPEG data"
    assert (got[1]["width"], got[1]["height"]) == (110, 80)  # EXIF rotation applied
    for mine, theirs in zip(got, expected, strict=True):
        scores = [item.pop("score") for item in (mine, theirs)]
        tops = [[entry.pop("score") for entry in item["top_k"]] for item in (mine, theirs)]
        assert mine == theirs
        assert scores[0] == pytest.approx(scores[1], abs=1e-6)
        assert tops[0] == pytest.approx(tops[1], abs=1e-6)


def test_a_name_is_never_opened(classifier, make_image):
    real = make_image("real.jpg")
    result = classify_bytes(classifier, b"GIF89a-garbage", str(real))
    assert result.status is Status.UNREADABLE or result.status is Status.NOT_AN_IMAGE
    assert result.path == str(real)


def _rotated_exif():
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise
    return exif.tobytes()


def test_classify_many_gives_each_image_its_own_result_in_order(classifier, make_image, tmp_path):
    files = [
        make_image("a.jpg", size=(120, 90), seed=1),
        make_image("b.png", seed=2),
        make_image("huge.png", size=(300, 300)),  # over this classifier's pixel budget
        make_image("c.jpg", seed=3),
        make_image("d.jpg", seed=4),
    ]
    images = [(path.read_bytes(), str(path)) for path in files] + [(b"", "empty.jpg")]
    expected = [classify_bytes(classifier, data, name, top_k=2) for data, name in images]
    got = classify_many(classifier, images, batch_size=2, top_k=2)
    assert [r.path for r in got] == [r.path for r in expected]
    assert [r.status for r in got] == [r.status for r in expected]
    assert [r.status.value for r in got] == ["ok", "ok", "too_large", "ok", "ok", "empty_file"]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.label == theirs.label
        assert [s for _, s in mine.top_k] == pytest.approx([s for _, s in theirs.top_k], abs=1e-6)


def test_a_result_comes_back_whole_from_its_json_row(classifier, make_image):
    import os

    from edgeclass.runtime import ClassificationResult

    path = make_image("x.jpg")
    odd_name = os.fsdecode(os.fsencode(str(path.parent)) + b"/caf\xe9.jpg")
    path.rename(odd_name)
    result = next(classifier.classify_paths([odd_name], top_k=2))
    failed = ClassificationResult("gone.jpg", Status.NOT_FOUND, message="no such file")
    for original in (result, failed):
        assert ClassificationResult.from_dict(original.to_dict()) == original
