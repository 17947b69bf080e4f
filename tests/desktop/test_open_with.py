"""Open with edgeclass: command-line paths at start, macOS file-open events, the .desktop file."""

from __future__ import annotations

import configparser
from pathlib import Path

from desktop_helpers import write_images
from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtGui import QFileOpenEvent

from edgeclass.desktop.app import main
from edgeclass.desktop.main_window import MainWindow
from edgeclass.desktop.open_with import FileOpenEvents
from edgeclass.image_formats import IMAGE_EXTENSIONS, SUFFIX_MIME_TYPES
from edgeclass.runtime.results import Status

DESKTOP_FILE = Path(__file__).resolve().parents[2] / "packaging" / "linux" / "edgeclass.desktop"


def test_command_line_paths_open_at_start(qapp, tmp_path, tiny_model_dir):
    # main() makes its own window with the default settings: keep those in tmp_path.
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    photos = write_images(tmp_path / "photos", 3)
    missing, text = tmp_path / "missing.jpg", tmp_path / "notes.txt"
    text.write_text("not a photo")
    seen: dict[str, Status] = {}

    def quit_when_classified() -> None:
        windows = [w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow)]
        window = windows[0] if windows else None
        if window is not None and window.results_model.rowCount() == 5 and not window.is_busy():
            seen.update({r.path: r.status for r in window.results_model.results()})
            window.close()
            qapp.quit()
        else:
            QTimer.singleShot(50, quit_when_classified)

    guard = QTimer()  # never hang the suite: give up after a minute
    guard.setSingleShot(True)
    guard.timeout.connect(qapp.quit)
    guard.start(60_000)
    QTimer.singleShot(0, quit_when_classified)
    qapp.setQuitOnLastWindowClosed(False)  # one quit only: a second would end a later test's wait
    try:
        main(["--model", str(tiny_model_dir), str(photos[0].parent), str(missing), str(text)])
    finally:
        guard.stop()
        qapp.setQuitOnLastWindowClosed(True)
    assert seen == {
        **{str(photo): Status.OK for photo in photos},
        str(missing): Status.NOT_FOUND,
        str(text): Status.NOT_AN_IMAGE,
    }


def test_file_open_events_add_the_files(qapp, qtbot, window, tmp_path):
    first, second = write_images(tmp_path / "photos", 2)
    events = FileOpenEvents(qapp)
    try:
        # Before the window can take them (macOS sends them at launch): they wait.
        QCoreApplication.sendEvent(qapp, QFileOpenEvent(str(first)))
        assert window.results_model.rowCount() == 0
        with qtbot.waitSignal(window.runFinished, timeout=60_000):
            events.deliver_to(window.classify_paths)
        with qtbot.waitSignal(window.runFinished, timeout=60_000):
            QCoreApplication.sendEvent(qapp, QFileOpenEvent(str(second)))
    finally:
        qapp.removeEventFilter(events)
        events.deleteLater()
    assert [r.path for r in window.results_model.results()] == [str(first), str(second)]


def test_the_desktop_file_offers_every_format_edgeclass_reads():
    assert set(SUFFIX_MIME_TYPES) == IMAGE_EXTENSIONS
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(DESKTOP_FILE, encoding="utf-8")
    section = entry["Desktop Entry"]
    offered = [mime for mime in section["MimeType"].split(";") if mime]
    assert offered == [*sorted(set(SUFFIX_MIME_TYPES.values())), "inode/directory"]
    assert section["Exec"] == "edgeclass-desktop %F"  # files and folders, as paths
    assert section["Icon"] == "edgeclass" and section["Type"] == "Application"
