"""The Classifier end to end on the committed tiny ONNX model and real image files."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from edgeclass.runtime import (
    UNKNOWN_LABEL,
    Classifier,
    ModelFolder,
    Status,
    find_images,
    load_image,
)


@pytest.fixture(scope="module")
def classifier(tiny_model_dir):
    return Classifier(tiny_model_dir, threads=1, decode_threads=2)


def test_folder_end_to_end_matches_single_image_path(classifier, make_image):
    paths = [make_image(f"img{i}.jpg", size=(60 + 13 * i, 90 - 5 * i), seed=i) for i in range(7)]
    results = list(classifier.classify_paths(paths, batch_size=3, top_k=2))

    assert [r.path for r in results] == [str(p) for p in paths]
    for path, result in zip(paths, results, strict=True):
        assert result.status is Status.OK
        assert len(result.top_k) == 2
        assert result.label == result.top_k[0][0]
        image = load_image(path)
        assert (result.width, result.height) == image.size
        # The batched, threaded path gives the same probabilities as one image at a time.
        single = classifier.classify_image(image, path=str(path), top_k=3)
        probabilities = dict(single.top_k)
        for label, score in result.top_k:
            assert score == pytest.approx(probabilities[label], abs=1e-6)


def test_predict_returns_probabilities(classifier):
    folder = ModelFolder.load(classifier.folder.path)
    height, width = folder.preprocessor.output_size
    batch = np.random.default_rng(0).random((5, 3, height, width), dtype=np.float32)
    probabilities = classifier.predict(batch)
    assert probabilities.shape == (5, len(folder.labels))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities >= 0).all()


def test_bad_files_get_statuses_and_the_batch_goes_on(classifier, make_image, tmp_path):
    good = make_image("good.png")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    missing = tmp_path / "missing.jpg"
    results = list(classifier.classify_paths([empty, good, text, missing, tmp_path, good]))
    assert [r.status for r in results] == [
        Status.EMPTY_FILE,
        Status.OK,
        Status.NOT_AN_IMAGE,
        Status.NOT_FOUND,
        Status.IS_DIRECTORY,
        Status.OK,
    ]
    assert all(r.message for r in results if not r.ok)
    assert all(r.top_k == () and r.label is None for r in results if not r.ok)


def test_threshold_turns_low_scores_into_unknown(classifier, make_image):
    paths = [make_image(f"t{i}.jpg", seed=i) for i in range(3)]
    plain = list(classifier.classify_paths(paths, threshold=0.0))
    assert all(r.label != UNKNOWN_LABEL for r in plain)
    strict = list(classifier.classify_paths(paths, threshold=1.01))
    assert all(r.label == UNKNOWN_LABEL for r in strict)
    # The score and ranking stay: only the label changes.
    assert [r.top_k for r in strict] == [r.top_k for r in plain]


def test_cancel_stops_the_stream(classifier, make_image):
    paths = [make_image(f"c{i}.png", seed=i) for i in range(20)]
    cancel = threading.Event()
    seen = []
    for result in classifier.classify_paths(paths, batch_size=4, cancel=cancel):
        seen.append(result)
        cancel.set()
    assert 1 <= len(seen) <= 4


def test_find_images_is_sorted_and_filters_extensions(make_image, tmp_path):
    b = make_image("b.JPG")
    a = make_image("a.png")
    make_image("sub/c.jpg")
    (tmp_path / "images" / "readme.txt").write_text("x")
    (tmp_path / "images" / ".hidden.jpg").write_bytes(b"x")
    folder = tmp_path / "images"
    assert find_images([folder]) == [a, b]
    assert find_images([folder], recursive=True) == [a, b, folder / "sub" / "c.jpg"]
    # Named files are kept whatever they are, so they get a status instead of vanishing.
    assert find_images([folder / "readme.txt", a, a]) == [folder / "readme.txt", a]


def test_a_name_with_a_nul_byte_is_a_result_and_the_batch_goes_on(classifier, make_image):
    good = make_image("good.jpg")
    results = list(classifier.classify_paths([good, "a\0b.jpg", str(good)]))
    assert [(r.path, r.status) for r in results] == [
        (str(good), Status.OK),
        ("a\0b.jpg", Status.NOT_FOUND),
        (str(good), Status.OK),
    ]
    assert "NUL" in results[1].message
