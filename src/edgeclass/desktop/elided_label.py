"""A one-line label that never cuts a word: when the text is wider than the label, it ends
with "…" after the last whole word that fits, and the tooltip holds the whole text."""

from __future__ import annotations

import re

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QWidget

ELLIPSIS = "…"
_BREAKS = re.compile(r"\s+")


def elide_at_word(text: str, metrics: QFontMetrics, width: int) -> str:
    """`text` if it fits in `width` pixels, else its longest run of whole words + "…"
    (only "…" when not even the first word fits)."""
    if metrics.horizontalAdvance(text) <= width:
        return text
    ends = [match.start() for match in _BREAKS.finditer(text)]
    low, high, best = 0, len(ends) - 1, ELLIPSIS
    while low <= high:  # the widths of word prefixes grow with their length
        middle = (low + high) // 2
        candidate = text[: ends[middle]].rstrip(" ,;:·") + " " + ELLIPSIS
        if metrics.horizontalAdvance(candidate) <= width:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


class ElidedLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def minimumSizeHint(self) -> QSize:
        """Its whole text when there is room, down to nothing when there is not."""
        return QSize(0, super().minimumSizeHint().height())

    def shown_text(self) -> str:
        """What is on screen at the label's present width."""
        return elide_at_word(self.text(), self.fontMetrics(), self.contentsRect().width())

    def paintEvent(self, event: QPaintEvent) -> None:
        shown = self.shown_text()
        self.setToolTip("" if shown == self.text() else self.text())
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(
            self.contentsRect(),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
            shown,
        )
        painter.end()
