"""Images given as bytes get exactly the results their files get from classify_paths."""

from __future__ import annotations

import pytest

from edgeclass.runtime import Classifier, Status
from edgeclass.runtime.in_memory import classify_bytes


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
