"""Start the desktop app: `edgeclass-desktop` or `python -m edgeclass.desktop`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

DESCRIPTION = (
    "edgeclass desktop: drop photos on a window and see what they are. Offline and private: "
    "the model runs on this computer."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edgeclass-desktop", description=DESCRIPTION)
    parser.add_argument(
        "paths", nargs="*", help="photos or folders to classify as soon as the window opens"
    )
    parser.add_argument(
        "--model",
        metavar="DIR",
        help="model folder (model.onnx + config.json + preprocessor_config.json); default: "
        "$EDGECLASS_MODEL, else the folder chosen last time, else the bundled model",
    )
    parser.add_argument(
        "--color-scheme",
        choices=("system", "light", "dark"),
        default="system",
        help="light or dark palette (default: follow the system)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start offscreen, classify a few generated images, print a JSON summary and exit "
        "(0 when everything worked); used to smoke-test installs and bundles",
    )
    return parser


def warn_about_a_broken_binding(parent: QWidget | None) -> None:
    """Said before any work, so nobody loses a session's results to the crash."""
    from PySide6.QtWidgets import QMessageBox

    from edgeclass.desktop.binding_check import binding_problem

    problem = binding_problem()
    if problem:
        print(f"edgeclass-desktop: {problem}", file=sys.stderr)
        QMessageBox.warning(parent, "This Qt version crashes edgeclass", problem)


def main(argv: Sequence[str] | None = None) -> int:
    args, qt_args = build_parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        from edgeclass.desktop.self_test import run_self_test

        return run_self_test(args.model, qt_args=qt_args)

    from edgeclass.desktop.platform_check import missing_system_library

    missing = missing_system_library(os.environ, qt_args)
    if missing:  # said in words, instead of Qt's plugin error and an abort
        print(missing, file=sys.stderr)
        return 1

    from PySide6.QtCore import QTimer

    from edgeclass.desktop.application import create_application
    from edgeclass.desktop.main_window import MainWindow
    from edgeclass.desktop.open_with import watch_file_open_events

    app = create_application(qt_args, args.color_scheme)
    file_open_events = watch_file_open_events(app)  # macOS: Open With, before or after start
    window = MainWindow()
    window.show()
    warn_about_a_broken_binding(window)

    def start() -> None:
        # After the window is on screen: loading the model must not delay the first paint.
        window.load_initial_model(args.model)
        if args.paths:  # a path that is not a photo gets a row saying why
            window.classify_paths(args.paths)
        if file_open_events is not None:
            file_open_events.deliver_to(window.classify_paths)

    QTimer.singleShot(0, start)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
