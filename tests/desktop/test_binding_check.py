"""The start-up check that the Qt binding keeps Python's reference counts (issue 19)."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QObject, Signal

from edgeclass.desktop import binding_check


class LeakyProbe(QObject):
    """What PySide6 6.12.0 did: every Qt call returning None lost a reference to None."""

    ping = Signal()

    def setObjectName(self, name: str) -> None:
        super().setObjectName(name)
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(None))


def test_the_installed_binding_keeps_its_references(qapp):
    assert binding_check.lost_references() == {}
    assert binding_check.binding_problem() is None


@pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="None is immortal from Python 3.12: no count to lose"
)
def test_a_binding_that_loses_references_is_named_with_the_way_out(qapp, monkeypatch):
    monkeypatch.setattr(binding_check, "_Probe", LeakyProbe)
    try:
        problem = binding_check.binding_problem()
    finally:  # give None back what the leaky probe took
        for _ in range(binding_check.PROBE_CALLS):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    assert problem is not None
    assert f"{binding_check.PROBE_CALLS} to None" in problem
    assert "True" not in problem
    assert 'pip install "PySide6-Essentials==6.11.3"' in problem


SELF_TEST_ON_A_BROKEN_BINDING = """
import sys
from edgeclass.desktop import app, binding_check
binding_check.lost_references = lambda calls=32: {"True": calls}
raise SystemExit(app.main(["--self-test", "--model", sys.argv[1]]))
"""


def test_the_self_test_fails_on_a_binding_that_loses_references(tiny_model_dir):
    completed = subprocess.run(
        [sys.executable, "-c", SELF_TEST_ON_A_BROKEN_BINDING, str(tiny_model_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["ok"] is False
    assert summary["statuses"] == {"ok": 4, "unreadable": 1}  # the rest still ran
    assert any("loses Python references (32 to True" in p for p in summary["problems"])


def test_the_app_warns_at_start_on_a_binding_that_loses_references(qtbot, monkeypatch, capsys):
    from PySide6.QtWidgets import QMessageBox, QWidget

    from edgeclass.desktop.app import warn_about_a_broken_binding

    shown = []
    monkeypatch.setattr(
        QMessageBox, "warning", staticmethod(lambda parent, title, text: shown.append(text))
    )
    parent = QWidget()
    qtbot.addWidget(parent)
    warn_about_a_broken_binding(parent)
    assert shown == []  # the installed binding is healthy

    monkeypatch.setattr(binding_check, "lost_references", lambda calls=32: {"None": calls})
    warn_about_a_broken_binding(parent)
    assert len(shown) == 1 and "32 to None" in shown[0]
    assert "32 to None" in capsys.readouterr().err
