"""The runtime's input tensor equals the Hugging Face image processor's (max abs diff <= 1e-5).

Reference: `transformers.image_utils.load_image` (what HF pipelines use: exif_transpose, then
convert("RGB")) followed by the processor. For 16/32-bit and float images the runtime scales to
8 bits where Pillow would clip (see edgeclass/runtime/images.py), so there the reference is the
processor applied to the runtime's own RGB image: the preprocessing must still match exactly,
and test_runtime_images.py checks the scaling itself.
"""

from __future__ import annotations

import edgeclass_test_images as images
import numpy as np
import pytest

from edgeclass.runtime import Preprocessor, load_image
from edgeclass.runtime.model_config import load_preprocessor
from edgeclass.runtime.prepare import prepare_image

transformers = pytest.importorskip("transformers", reason="parity reference needs transformers")
from transformers import MobileViTImageProcessor, ViTImageProcessor  # noqa: E402
from transformers.image_utils import load_image as hf_load_image  # noqa: E402

TOLERANCE = 1e-5

PROCESSORS = {
    # The committed fixture's own processor (shortest edge 72, crop 64).
    "fixture": None,
    # apple/mobilevit-small's preprocessor_config.json: shortest edge 288, crop 256.
    "mobilevit-small": MobileViTImageProcessor(
        size={"shortest_edge": 288}, crop_size={"height": 256, "width": 256}
    ),
    # Crop larger than the resized image: transformers pads with zeros.
    "mobilevit-pad": MobileViTImageProcessor(
        size={"shortest_edge": 48}, crop_size={"height": 64, "width": 80}
    ),
    "vit": ViTImageProcessor(),  # 224x224, mean = std = 0.5
    "vit-imagenet": ViTImageProcessor(
        size={"height": 160, "width": 192},
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
        resample=3,
    ),
}


@pytest.fixture(scope="module", params=sorted(PROCESSORS))
def processor_pair(request, tiny_model_dir):
    hf = PROCESSORS[request.param]
    if hf is None:
        hf = MobileViTImageProcessor.from_pretrained(str(tiny_model_dir))
    ours = Preprocessor.from_config(hf.to_dict())
    return hf, ours


def reference(hf, image) -> np.ndarray:
    return hf(image, return_tensors="np")["pixel_values"][0]


def exact(path, ours: Preprocessor) -> np.ndarray:
    """The runtime's bit-exact path (--exact-decode), from the file to the tensor."""
    return prepare_image(path, ours, exact_decode=True).tensor


def assert_parity(ours_tensor: np.ndarray, hf_tensor: np.ndarray) -> None:
    assert ours_tensor.dtype == np.float32
    assert ours_tensor.shape == hf_tensor.shape
    assert np.abs(ours_tensor - hf_tensor).max() <= TOLERANCE


@pytest.mark.needs_shared_data
def test_real_photos(processor_pair, catsdogs_photos):
    hf, ours = processor_pair
    for path in catsdogs_photos:
        assert_parity(exact(path, ours), reference(hf, hf_load_image(str(path))))


@pytest.mark.parametrize("mode", sorted(images.PILLOW_COMPATIBLE))
def test_odd_modes(processor_pair, mode, tmp_path):
    hf, ours = processor_pair
    path = images.PILLOW_COMPATIBLE[mode](tmp_path)
    assert_parity(exact(path, ours), reference(hf, hf_load_image(str(path))))


@pytest.mark.parametrize("mode", sorted(images.HIGH_BIT_DEPTH))
def test_high_bit_depth_modes(processor_pair, mode, tmp_path):
    hf, ours = processor_pair
    rgb = load_image(images.HIGH_BIT_DEPTH[mode](tmp_path))
    assert_parity(ours(rgb), reference(hf, rgb))


def test_fixture_processor_is_the_one_documented(tiny_model_dir):
    ours = load_preprocessor(tiny_model_dir / "preprocessor_config.json")
    assert ours.resize_shortest_edge == 72
    assert ours.crop_to == (64, 64)
    assert ours.flip_channel_order
    assert ours.image_mean is None
