"""What Edit > Copy puts on the clipboard, and where Edit > Paste keeps a pasted image."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QImage

from edgeclass.desktop.drop_zone import paths_from_mime_data
from edgeclass.desktop.results_model import format_confidence
from edgeclass.runtime.results import ClassificationResult

COPY_HEADER = "path\tlabel\tconfidence\tstatus\tmessage"


def rows_as_tsv(results: Iterable[ClassificationResult]) -> str:
    """Tab-separated text with a header line, ready for a spreadsheet."""
    lines = [COPY_HEADER]
    for result in results:
        lines.append(
            "\t".join(
                [
                    result.path,
                    result.label or "",
                    format_confidence(result.score),
                    result.status.value,
                    result.message.replace("\t", " "),
                ]
            )
        )
    return "\n".join(lines) + "\n"


class PastedImages:
    """Images pasted from other apps, saved as PNG in a temporary folder removed on `cleanup`."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._count = 0

    def save(self, image: QImage) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="edgeclass-paste-"))
        self._count += 1
        path = self._folder / f"pasted-{time.strftime('%H%M%S')}-{self._count}.png"
        image.save(str(path))  # PNG, from the suffix
        return path

    def paths_on_clipboard(self) -> list[Path]:
        """Files copied in a file manager, else an image copied from any app (saved here)."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return []
        paths = paths_from_mime_data(mime)
        if not paths and mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                paths = [self.save(image)]
        return paths

    def cleanup(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
