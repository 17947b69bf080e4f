"""Test-split metrics, plots (matplotlib Agg) and a per-slice table naming the worst slice."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MIN_SLICE_SIZE = 10  # smaller slices are listed but never named the worst: too noisy


def classification_metrics(
    labels: np.ndarray, probabilities: np.ndarray, label_names: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro P/R/F1, per-class F1, balanced accuracy, kappa, ROC AUC (2 classes)."""
    from sklearn import metrics

    labels = np.asarray(labels)
    predictions = probabilities.argmax(axis=1)
    every = list(range(len(label_names)))
    precision, recall, f1, _ = metrics.precision_recall_fscore_support(
        labels, predictions, labels=every, average="macro", zero_division=0
    )
    per_class = metrics.f1_score(labels, predictions, labels=every, average=None, zero_division=0)
    result: dict[str, Any] = {
        "accuracy": float(metrics.accuracy_score(labels, predictions)),
        "precision_macro": float(precision),
        "recall_macro": float(recall),
        "f1_macro": float(f1),
        "balanced_accuracy": float(metrics.balanced_accuracy_score(labels, predictions)),
        "cohen_kappa": float(metrics.cohen_kappa_score(labels, predictions, labels=every)),
        "f1_per_class": {name: float(v) for name, v in zip(label_names, per_class, strict=True)},
        "num_images": len(labels),
    }
    if len(label_names) == 2 and len(set(labels.tolist())) == 2:
        result["roc_auc"] = float(metrics.roc_auc_score(labels, probabilities[:, 1]))
    return result


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities in float64, so the metrics add up exactly."""
    from edgeclass.runtime.postprocess import softmax as row_softmax

    return row_softmax(logits.astype(np.float64))


@dataclass(frozen=True)
class ImageFacts:
    width: int
    height: int
    brightness: float  # mean luma 0..255


def image_facts(images) -> list[ImageFacts | None]:
    """Size and brightness of each original image (None for unreadable ones)."""
    facts: list[ImageFacts | None] = []
    for open_image in images:
        try:
            image = open_image()
        except (OSError, ValueError) as error:
            log.warning("cannot read image for the slice table: %s", error)
            facts.append(None)
            continue
        width, height = image.size
        image.thumbnail((64, 64))
        brightness = float(np.asarray(image.convert("L"), dtype=np.float32).mean())
        facts.append(ImageFacts(width, height, brightness))
    return facts


def size_bucket(f: ImageFacts) -> str:
    edge = min(f.width, f.height)
    if edge < 200:
        return "size: short side < 200 px"
    if edge < 400:
        return "size: short side 200-399 px"
    return "size: short side >= 400 px"


def brightness_bucket(f: ImageFacts) -> str:
    if f.brightness < 85:
        return "brightness: dark (< 85)"
    if f.brightness < 170:
        return "brightness: mid (85-169)"
    return "brightness: bright (>= 170)"


def aspect_bucket(f: ImageFacts) -> str:
    ratio = max(f.width, f.height) / max(1, min(f.width, f.height))
    return "aspect: near square (< 1.2)" if ratio < 1.2 else "aspect: elongated (>= 1.2)"


def slice_table(
    labels: np.ndarray, predictions: np.ndarray, facts: Sequence[ImageFacts | None]
) -> dict[str, Any]:
    """Accuracy per size / brightness / aspect bucket; names the worst slice with enough images."""
    rows: dict[str, list[int]] = {}
    for label, prediction, fact in zip(labels, predictions, facts, strict=True):
        if fact is None:
            continue
        for bucket in (size_bucket(fact), brightness_bucket(fact), aspect_bucket(fact)):
            row = rows.setdefault(bucket, [0, 0])
            row[0] += 1
            row[1] += int(label == prediction)
    table = [
        {"slice": name, "images": n, "accuracy": correct / n}
        for name, (n, correct) in sorted(rows.items())
    ]
    candidates = [row for row in table if row["images"] >= MIN_SLICE_SIZE]
    worst = min(candidates, key=lambda row: row["accuracy"]) if candidates else None
    return {"slices": table, "worst": worst, "min_slice_size": MIN_SLICE_SIZE}


def slice_markdown(slices: dict[str, Any]) -> str:
    lines = ["| slice | images | accuracy |", "|---|---:|---:|"]
    for row in slices["slices"]:
        lines.append(f"| {row['slice']} | {row['images']} | {row['accuracy']:.3f} |")
    worst = slices["worst"]
    if worst:
        lines.append("")
        lines.append(
            f"Worst slice: **{worst['slice']}** ({worst['accuracy']:.3f} accuracy on "
            f"{worst['images']} images)."
        )
    return "\n".join(lines) + "\n"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion_matrix(
    labels: np.ndarray, predictions: np.ndarray, label_names: Sequence[str], path: Path
) -> Path:
    from sklearn.metrics import confusion_matrix

    plt = _pyplot()
    matrix = confusion_matrix(labels, predictions, labels=list(range(len(label_names))))
    size = max(4.0, 0.6 * len(label_names) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(label_names)), label_names, rotation=45, ha="right")
    ax.set_yticks(range(len(label_names)), label_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, str(value), ha="center", va="center",
                color="white" if value > threshold else "black")  # fmt: skip
    ax.set_title("Confusion matrix (test)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_roc_curve(labels: np.ndarray, scores: np.ndarray, positive: str, path: Path) -> Path:
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = _pyplot()
    fpr, tpr, _ = roc_curve(labels, scores)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(fpr, tpr, label=f"AUC {roc_auc_score(labels, scores):.4f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel(f"true positive rate ('{positive}')")
    ax.set_title("ROC curve (test)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_curves(history: Sequence[dict[str, float]], path: Path) -> Path:
    """Loss (left) and validation metrics (right) per epoch."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = [row["epoch"] for row in history]
    for key, name in (("train_loss", "train loss"), ("val_loss", "val loss")):
        points = [(e, row[key]) for e, row in zip(epochs, history, strict=True) if key in row]
        if points:
            left.plot(*zip(*points, strict=True), marker="o", label=name)
    for key in ("val_accuracy", "val_f1_macro", "val_balanced_accuracy"):
        points = [(e, row[key]) for e, row in zip(epochs, history, strict=True) if key in row]
        if points:
            right.plot(*zip(*points, strict=True), marker="o", label=key.replace("_", " "))
    left.set_xlabel("epoch")
    left.set_title("loss")
    right.set_xlabel("epoch")
    right.set_title("validation metrics")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(
    folder: Path,
    labels: np.ndarray,
    probabilities: np.ndarray,
    label_names: Sequence[str],
    facts: Sequence[ImageFacts | None],
    history: Sequence[dict[str, float]],
) -> tuple[dict[str, Any], dict[str, Any], list[Path]]:
    """Compute test metrics and slices, write JSON/Markdown/PNGs into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    predictions = probabilities.argmax(axis=1)
    metrics = classification_metrics(labels, probabilities, label_names)
    slices = slice_table(labels, predictions, facts)
    plots = [
        plot_confusion_matrix(labels, predictions, label_names, folder / "confusion_matrix.png")
    ]
    if "roc_auc" in metrics:
        plots.append(
            plot_roc_curve(labels, probabilities[:, 1], label_names[1], folder / "roc_curve.png")
        )
    if history:
        plots.append(plot_curves(history, folder / "training_curves.png"))
    (folder / "test_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (folder / "slices.json").write_text(json.dumps(slices, indent=2) + "\n")
    (folder / "slices.md").write_text(slice_markdown(slices))
    return metrics, slices, plots
