"""The bundled default model: it loads, says what it is, and is as good as its card."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from edgeclass.runtime import Classifier, find_images
from edgeclass.runtime.locate import bundled_model_dir

DEFAULT = bundled_model_dir()
pytestmark = pytest.mark.skipif(DEFAULT is None, reason="this checkout bundles no default model")


def _report() -> dict:
    return json.loads((DEFAULT / "quantization_report.json").read_text())


def test_default_model_has_the_labels_and_shapes_it_claims():
    classifier = Classifier(None)
    assert classifier.folder.path.resolve() == DEFAULT.resolve()
    assert classifier.labels == ("cat", "dog")
    height, width = classifier.preprocessor.output_size
    probabilities = classifier.predict(np.zeros((3, 3, height, width), np.float32))
    assert probabilities.shape == (3, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    # It ships int8, as its report says, and stays small.
    report = _report()
    assert (DEFAULT / "model.onnx").stat().st_size == report["sizes_bytes"]["int8"]
    assert sum(f.stat().st_size for f in DEFAULT.iterdir()) <= 8 * 1024 * 1024


def test_model_card_states_the_reports_accuracy():
    card = (DEFAULT / "MODEL_CARD.md").read_text()
    int8_percent = f"{100 * _report()['accuracy']['int8']['accuracy']:.1f}%"
    assert int8_percent in card
    assert re.search(r"from scratch", card, re.IGNORECASE)
    # Distilled (issue 15): the card names its teacher and the teacher's licence.
    assert "EfficientNet-Lite0" in card and "Apache License 2.0" in card


@pytest.mark.slow
def test_default_model_is_as_accurate_as_its_card_says(catsdogs_test):
    # All 1,000 test photos, the set the card's figure was measured on: a 200-photo subset
    # differs from the full set by +-3 points by chance alone, more than the 1-point tolerance.
    classifier = Classifier(None)
    correct = total = 0
    for label in ("cat", "dog"):
        for result in classifier.classify_paths(find_images([catsdogs_test / label]), top_k=1):
            assert result.ok, result.message
            correct += result.label == label
            total += 1
    assert total == 1000
    claimed = _report()["accuracy"]["int8"]["accuracy"]
    assert correct / total >= claimed - 0.01, f"{correct}/{total} vs card {claimed:.3f}"
