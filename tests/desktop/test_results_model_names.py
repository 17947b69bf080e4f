"""The table shows a name that is not valid UTF-8 as the CLI writes it, not with bytes dropped."""

from __future__ import annotations

import os

from PIL import Image
from PySide6.QtCore import Qt

from edgeclass.desktop.results_model import NAME, ResultsModel
from edgeclass.runtime import Classifier


def test_non_utf8_names_are_shown_with_hex_escapes(qapp, tmp_path, tiny_model_dir):
    names = [b"caf\xe9.jpg", b"caf\xe8.jpg"]  # Latin-1 names: two files, two different names
    paths = [os.fsdecode(os.fsencode(tmp_path) + b"/" + name) for name in names]
    for path in paths:
        Image.new("RGB", (40, 30), (90, 60, 30)).save(path, format="JPEG")
    model = ResultsModel()
    model.append_results(Classifier(tiny_model_dir).classify_paths(paths))
    shown = [model.index(row, NAME).data() for row in range(2)]
    assert shown == ["caf\\xe9.jpg", "caf\\xe8.jpg"]
    tooltip = model.index(0, NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip == f"{tmp_path}/caf\\xe9.jpg"
