"""What /v1/model and the KServe metadata say about the model (no build-machine paths)."""

from __future__ import annotations

from edgeclass.runtime import Classifier


def model_name(classifier: Classifier) -> str:
    return classifier.folder.path.name


def card_summary(card: str | None) -> str | None:
    """The card's title and first paragraph."""
    if not card:
        return None
    paragraphs = [part.strip() for part in card.strip().split("\n\n") if part.strip()]
    return "\n\n".join(paragraphs[:2])


def quantization_figures(report: dict | None) -> dict | None:
    """Accuracy, agreement and sizes from quantization_report.json; its data paths stay out."""
    if not isinstance(report, dict):
        return None
    accuracy = report.get("accuracy") or {}
    return {
        "fp32_accuracy": (accuracy.get("fp32") or {}).get("accuracy"),
        "int8_accuracy": (accuracy.get("int8") or {}).get("accuracy"),
        "agreement": (report.get("agreement") or {}).get("rate"),
        "eval_images": (report.get("eval_set") or {}).get("images"),
        "gate": (report.get("gate") or {}).get("verdict"),
        "sizes_bytes": report.get("sizes_bytes"),
    }


def model_info(classifier: Classifier) -> dict:
    size = classifier.preprocessor.output_size
    return {
        "name": model_name(classifier),
        "labels": list(classifier.labels),
        "input_size": {"height": size[0], "width": size[1]} if size else None,
        "model_card": card_summary(classifier.folder.model_card),
        "quantization": quantization_figures(classifier.folder.quantization_report),
    }
