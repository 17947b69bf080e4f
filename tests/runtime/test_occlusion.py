"""Occlusion maps on a model whose evidence is known: it only looks at the left half."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image
from tiny_onnx_models import SIZE, colour_model, left_half_model

from edgeclass.errors import Cancelled
from edgeclass.runtime import Classifier
from edgeclass.runtime.heatmap import overlay
from edgeclass.runtime.occlusion import occlusion_map, tensor_to_view


@pytest.fixture(scope="module")
def left_classifier(tmp_path_factory) -> Classifier:
    return Classifier(left_half_model(tmp_path_factory.mktemp("left")), threads=1)


def textured(seed: int = 0) -> Image.Image:
    """Noise everywhere (so every patch changes something), brighter on the left."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 128, size=(SIZE, SIZE, 3))
    pixels[:, : SIZE // 2] += 110
    return Image.fromarray(pixels.astype(np.uint8))


def test_heat_lies_on_the_left_half_the_model_reads(left_classifier):
    result = occlusion_map(left_classifier, textured())
    assert result.label == "left"
    assert result.heat.shape == (SIZE, SIZE)
    left, right = result.heat[:, : SIZE // 2], result.heat[:, SIZE // 2 + result.patch :]
    assert left.min() > 1e-3  # hiding any of the bright left half lowers p(left)
    assert np.abs(right).max() < 1e-6  # the right half, beyond any patch over the middle: none
    columns = result.heat.sum(axis=0)
    assert columns[: SIZE // 2].sum() > 20 * abs(columns[SIZE // 2 :].sum())


def test_a_label_can_be_named(left_classifier):
    result = occlusion_map(left_classifier, textured(), label="other", patch=8, stride=4)
    assert (result.label, result.patch, result.stride) == ("other", 8, 4)
    # p(other) rises when the left is hidden: the map for `other` is the negative of `left`'s
    assert result.heat[:, : SIZE // 2].mean() < 0
    with pytest.raises(ValueError, match="unknown label"):
        occlusion_map(left_classifier, textured(), label="cat")


def test_cancel_stops_between_batches(left_classifier):
    cancel = threading.Event()
    seen: list[int] = []

    def progress(phase: str, done: int, total: int) -> None:
        seen.append(done)
        if done >= 8:
            cancel.set()

    with pytest.raises(Cancelled):
        occlusion_map(
            left_classifier, textured(), batch_size=8, cancel=cancel, on_progress=progress
        )
    assert seen == [0, 8]


def test_view_is_the_model_input_and_overlay_has_the_asked_size(tmp_path):
    classifier = Classifier(colour_model(tmp_path / "colour"), threads=1)
    image = textured(seed=3).resize((50, 40))
    result = occlusion_map(classifier, image)
    assert result.view.size == (SIZE, SIZE)
    again = classifier.preprocessor(result.view)
    np.testing.assert_allclose(again, classifier.preprocessor(image), atol=1e-6)
    drawn = overlay(result.view, result.heat, size=100)
    assert drawn.size == (100, 100) and drawn.mode == "RGB"


def test_view_undoes_mobilevit_channel_flip(tiny_model_dir):
    classifier = Classifier(tiny_model_dir, threads=1)  # MobileViT: RGB flipped to BGR
    red = Image.new("RGB", (80, 70), (200, 30, 10))
    tensor = classifier.preprocessor(red)
    view = tensor_to_view(tensor, classifier.preprocessor)
    assert view.size == (tensor.shape[2], tensor.shape[1])
    assert {tuple(p) for p in np.asarray(view).reshape(-1, 3)} == {(200, 30, 10)}
