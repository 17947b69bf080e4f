"""Typed, immutable classification results. A bad file is a result, never an exception."""

from __future__ import annotations

import base64
import enum
import os
from dataclasses import dataclass, field, replace
from typing import Any

from edgeclass.runtime.names import display_path, path_base64

UNKNOWN_LABEL = "unknown"


class Status(str, enum.Enum):
    OK = "ok"
    NOT_FOUND = "not_found"  # missing file or broken symlink
    PERMISSION_ERROR = "permission_error"
    NOT_AN_IMAGE = "not_an_image"  # readable, but no image format recognised
    UNREADABLE = "unreadable"  # looks like an image but cannot be decoded (truncated, corrupt)
    TOO_LARGE = "too_large"  # refused before decoding: decompression bomb or over the pixel limit
    EMPTY_FILE = "empty_file"  # zero bytes
    IS_DIRECTORY = "is_directory"
    UNSUPPORTED_FORMAT = "unsupported_format"  # an image, in a format this install cannot read


@dataclass(frozen=True)
class ClassificationResult:
    """One input file's outcome.

    `top_k` holds (label, probability) pairs, best first; it is empty unless status is OK.
    `label` is the best label, or UNKNOWN_LABEL when its probability is below the threshold.
    """

    path: str
    status: Status
    label: str | None = None
    score: float | None = None
    top_k: tuple[tuple[str, float], ...] = field(default_factory=tuple)
    message: str = ""
    width: int | None = None
    height: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def with_threshold(self, threshold: float) -> ClassificationResult:
        """The same result relabelled for another confidence threshold (no re-inference)."""
        if not self.ok or not self.top_k:
            return self
        best_label, best_score = self.top_k[0]
        label = best_label if best_score >= threshold else UNKNOWN_LABEL
        return replace(self, label=label)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: valid UTF-8 text even for names that are not (see runtime/names.py)."""
        return {
            "path": display_path(self.path),
            "path_base64": path_base64(self.path),
            "status": self.status.value,
            "label": self.label,
            "score": self.score,
            "top_k": [{"label": label, "score": score} for label, score in self.top_k],
            "message": display_path(self.message),
            "width": self.width,
            "height": self.height,
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> ClassificationResult:
        """The result `to_dict` was made from; the exact path comes back from `path_base64`."""
        exact = row.get("path_base64")
        path = os.fsdecode(base64.b64decode(exact)) if exact else row["path"]
        return cls(
            path=path,
            status=Status(row["status"]),
            label=row.get("label"),
            score=row.get("score"),
            top_k=tuple((entry["label"], entry["score"]) for entry in row.get("top_k") or ()),
            message=row.get("message") or "",
            width=row.get("width"),
            height=row.get("height"),
        )
