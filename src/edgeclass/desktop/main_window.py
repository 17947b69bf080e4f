"""The main window: wires the drop zone, the run controller, the results table and the dialogs.

Widgets only delegate: the drop zone emits paths, the controller runs the worker, the model
holds the rows. Menus are built in one place, `_build_menus`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from edgeclass.desktop.actions import add_action
from edgeclass.desktop.clipboard import PastedImages, rows_as_tsv
from edgeclass.desktop.drop_zone import NO_MODEL_HINT, DropZone
from edgeclass.desktop.evaluation_view import EvaluationDialog, table_evaluation
from edgeclass.desktop.export import export_results
from edgeclass.desktop.file_dialogs import ask_export_path, ask_photos
from edgeclass.desktop.menus import build_menu_bar
from edgeclass.desktop.model_dialog import ModelDialog
from edgeclass.desktop.model_summary import plain_text
from edgeclass.desktop.notice_bar import NoticeBar
from edgeclass.desktop.results_model import TRUTH, ResultsFilterProxy, ResultsModel
from edgeclass.desktop.results_view import ResultsView
from edgeclass.desktop.run_controller import RunController, desktop_thread_counts
from edgeclass.desktop.sort_commands import SortCommands
from edgeclass.desktop.status_bar import RunStatusBar, table_summary
from edgeclass.desktop.toolbar import MainToolBar
from edgeclass.desktop.truths import find_truths
from edgeclass.desktop.window_settings import WindowSettings
from edgeclass.errors import ModelError
from edgeclass.runtime.classifier import Classifier
from edgeclass.runtime.locate import bundled_model_dir, named_model_dir, resolve_model_dir
from edgeclass.runtime.names import display_path
from edgeclass.runtime.results import UNKNOWN_LABEL

APP_NAME = "edgeclass"


def window_title(folders: list[str], photos: int) -> str:
    """What the window shows: `trip — 1,000 photos`, `trip, home — 25 photos`, `3 photos`; ""
    (the application's name alone) while the table is empty."""
    if not photos:
        return ""
    count = f"{photos:,} photo" + ("" if photos == 1 else "s")
    names = sorted({display_path(Path(folder).name or folder) for folder in folders})
    if not names:
        return count
    shown = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
    return f"{shown} — {count}"


class MainWindow(QMainWindow):
    """`runFinished` fires when the last queued run ends (cancelled or not): tests and the
    self-test wait on it. `modelChanged` carries the new model folder's path."""

    runFinished = Signal()
    modelChanged = Signal(str)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.prefs = WindowSettings(self.settings)
        self.model_error = ""  # why no model is loaded, when none is
        self._results_focused = False
        self._pasted = PastedImages()
        # How errors reach the user; the self-test swaps this for a recorder (no modal dialogs).
        self.report_error: Callable[[str, str], None] = self._show_error

        self.setWindowTitle(APP_NAME)
        self.results_model = ResultsModel(self, threshold=self.prefs.threshold())
        self.proxy = ResultsFilterProxy(self)
        self.proxy.setSourceModel(self.results_model)
        self.runs = RunController(self.results_model, self)

        self._build_actions()
        self._build_central()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self.prefs.restore_window(self, self.splitter)
        self._update_state()

    @property
    def classifier(self) -> Classifier | None:
        return self.runs.classifier

    @classifier.setter
    def classifier(self, classifier: Classifier | None) -> None:
        self.runs.classifier = classifier

    # --- building -----------------------------------------------------------------------------

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        act = partial(add_action, self)
        self.open_files_action = act(
            "&Open Photos…", self.open_files, key.Open, "Classify photos chosen in a file dialog"
        )
        self.open_folder_action = act(
            "Open &Folder…", self.open_folder, "Ctrl+Shift+O", "Classify every photo in a folder"
        )
        self.choose_model_action = act(
            "Choose &Model…", self.choose_model, "Ctrl+M", "Use another model folder"
        )
        self.export_csv_action = act(
            "Export as &CSV…", lambda: self.export_dialog("csv"), "Ctrl+E", "Save results as CSV"
        )
        self.export_json_action = act(
            "Export as &JSON…",
            lambda: self.export_dialog("json"),
            "Ctrl+Shift+E",
            "Save results as JSON",
        )
        self.quit_action = act("&Quit", self.close, key.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.copy_action = act(
            "&Copy", self.copy_selection, key.Copy, "Copy the selected rows as tab-separated text"
        )
        self.paste_action = act(
            "&Paste", self.paste, key.Paste, "Classify files or an image from the clipboard"
        )
        self.select_all_action = act("Select &All", self._select_all, key.SelectAll)
        self.clear_action = act(
            "C&lear Results", self.clear_results, "Ctrl+Shift+Backspace", "Remove every row"
        )
        self.cancel_action = act(
            "&Cancel", self.cancel, "Esc", "Stop classifying (rows so far stay)"
        )
        self.rerun_action = act(
            "Classify &Again", self.classify_again, "Ctrl+R", "Run the current model on every row"
        )
        self.about_model_action = act(
            "About This &Model…", self.show_model_dialog, "F1", "Model card and numbers"
        )
        self.default_model_action = act(
            "Use &Default Model", self.use_default_model, None, "Go back to the bundled model"
        )
        self.evaluation_action = act(
            "&Evaluation…", self.show_evaluation, "Ctrl+Shift+V", "Accuracy against the folders"
        )
        self.about_action = act("&About edgeclass", self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    def _build_menus(self) -> None:
        self.sort_commands = SortCommands(
            self,
            self.settings,
            results=self.results_model.results,
            threshold=self.results_model.threshold,
            start_folder=self.prefs.last_folder,
            relocate=self._photos_moved,
        )
        build_menu_bar(self)

    def _build_toolbar(self) -> None:
        self.toolbar = MainToolBar(
            self.prefs,
            [self.open_files_action, self.open_folder_action],
            self.choose_model_action,
            self.export_csv_action,
            self,
        )
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.threshold_spin = self.toolbar.threshold_box
        self.label_combo = self.toolbar.label_filter

    def _build_central(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.setSpacing(8)

        self.drop_zone = DropZone(central)
        self.drop_zone.take_drops_for(self)
        layout.addWidget(self.drop_zone)
        self.notice = NoticeBar(central)  # e.g. why a dropped folder has no Truth column
        layout.addWidget(self.notice)
        self.splitter = ResultsView(self.proxy, central)
        self.table = self.splitter.table
        self.detail_pane = self.splitter.detail_pane
        self.preview_dialog = self.splitter.preview_dialog
        self.detail_pane.heatmap.set_classifier_source(self._current_classifier)
        self.table.openFailed.connect(self._open_failed)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    def _build_status_bar(self) -> None:
        self.status_bar = RunStatusBar(self.cancel, self)
        self.setStatusBar(self.status_bar)

    def _connect(self) -> None:
        self.drop_zone.pathsDropped.connect(self.classify_paths)
        self.drop_zone.openRequested.connect(
            lambda: self.open_files() if self.classifier is not None else self.choose_model()
        )
        self.threshold_spin.valueChanged.connect(self._threshold_changed)
        self.label_combo.filterChanged.connect(self._label_filter_changed)
        self.results_model.dataChanged.connect(self._update_state)
        self.results_model.rowsInserted.connect(self._rows_inserted)
        self.results_model.modelReset.connect(self._update_state)
        self.status_bar.follow(self.runs)
        self.runs.runStarted.connect(self._update_state)
        self.runs.errorOccurred.connect(self._on_error)
        self.runs.runFinished.connect(self._on_run_finished)

    # --- the model ----------------------------------------------------------------------------

    def load_initial_model(self, model_dir: str | Path | None = None) -> bool:
        """At start-up: the --model flag, else $EDGECLASS_MODEL, else the folder chosen last
        time, else the bundled default. Without any, the drop zone says how to choose one."""

        if model_dir is not None:
            return self.load_model(model_dir)
        remembered = self.prefs.last_model_dir()
        named = named_model_dir()
        if remembered and not named and self.load_model(remembered, show_errors=False):
            return True
        try:
            default = resolve_model_dir(None)
        except ModelError as error:
            self.model_error = str(error)
            self._update_state()
            return False
        return self.load_model(default)

    def load_model(
        self, path: str | Path, *, show_errors: bool = True, remember: bool = False
    ) -> bool:
        """Switch to the model in `path`. On failure the current model stays loaded.

        `remember`: load it again at the next start (a model the user chose in the app; a
        --model flag is for one session only)."""

        try:
            classifier = Classifier(resolve_model_dir(path), **desktop_thread_counts())
        except ModelError as error:
            self.model_error = str(error)
            if show_errors:
                kept = (
                    f"The model “{self.classifier.folder.path.name}” stays loaded."
                    if self.classifier is not None
                    else "No model is loaded yet."
                )
                self.report_error("Not a usable model folder", f"{path}\n\n{error}\n\n{kept}")
            return False
        self.classifier = classifier
        self.model_error = ""
        if remember:
            self.prefs.remember_model_dir(classifier.folder.path)
        self.label_combo.rebuild(classifier.labels, self.results_model.labels_present())
        self._update_state()
        self.modelChanged.emit(str(classifier.folder.path))
        return True

    def choose_model(self) -> None:
        start = self.prefs.last_model_dir() or self.prefs.last_folder()
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder", start)
        if folder:
            self.load_model(folder, remember=True)

    def show_model_dialog(self) -> None:
        if self.classifier is None:
            QMessageBox.information(self, "About this model", NO_MODEL_HINT)
            return
        ModelDialog(self.classifier.folder, self).exec()

    def show_about(self) -> None:
        from edgeclass import __version__

        QMessageBox.about(
            self,
            "About edgeclass",
            f"<h3>edgeclass {__version__}</h3>"
            "<p>Fast, private, offline image classification. Your photos never leave this "
            "computer.</p>",
        )

    # --- classifying --------------------------------------------------------------------------

    def classify_paths(self, paths: Iterable[str | Path]) -> None:
        """Queue files and folders (folders are scanned recursively in the worker)."""
        dropped = [Path(p) for p in paths]
        if not dropped:
            return
        folders = [p for p in dropped if p.is_dir()]
        self.prefs.remember_folder(folders[0] if folders else dropped[0].parent)
        if self.classifier is None:
            self.report_error("Choose a model first", NO_MODEL_HINT)
            return
        found = find_truths(folders, self.classifier.labels)
        if found.truths:
            self.results_model.set_truths(found.truths)
        self.notice.say(" ".join(found.why_not))
        self.results_model.add_dropped_folders(folders)
        self.runs.classify(dropped)

    def classify_again(self) -> None:
        self.runs.classify_again()

    def cancel(self) -> None:
        if self.runs.is_busy():
            self.status_bar.set_summary("Cancelling…")
        self.runs.cancel()

    def is_busy(self) -> bool:
        return self.runs.is_busy()

    def _on_error(self, message: str) -> None:
        self.report_error("Classification stopped", message)

    def _show_error(self, title: str, text: str) -> None:
        QMessageBox.critical(self, title, plain_text(text))

    def _on_run_finished(self, _outcome: str) -> None:
        self._update_state()
        self.runFinished.emit()

    # --- files, clipboard, export -------------------------------------------------------------

    def open_files(self) -> None:
        self.classify_paths(ask_photos(self, self.prefs.last_folder()))

    def open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Open a folder of photos", self.prefs.last_folder()
        )
        if folder:
            self.classify_paths([folder])

    def paste(self) -> None:
        """Files copied in a file manager, or an image copied from any app."""
        paths = self._pasted.paths_on_clipboard()
        if paths:
            self.classify_paths(paths)
        else:
            self.statusBar().showMessage("The clipboard holds no files or image", 5000)

    def copy_selection(self) -> None:
        """Selected rows (or all visible rows) as tab-separated text with a header line."""
        rows = self.table.shown_results(selected_only=True) or self.table.shown_results()
        QGuiApplication.clipboard().setText(rows_as_tsv(rows))
        self.statusBar().showMessage(f"Copied {len(rows)} row(s)", 3000)

    def export_dialog(self, kind: str) -> None:
        if not self.results_model.rowCount():
            return
        path = ask_export_path(self, kind, self.prefs.export_folder())
        if path is None:
            return
        try:
            self.export_to(path)
        except OSError as error:
            self.report_error("Export failed", f"Could not write {path}:\n{error}")

    def export_to(self, path: str | Path) -> Path:
        """The rows shown (the Show filter applies), in the order shown, with their truth
        when the table knows it."""
        rows = self.table.shown_results()
        truths = self.results_model.truths()
        written = export_results(rows, path, truths if truths else None)
        self.prefs.remember_export_folder(Path(written).parent)
        self.statusBar().showMessage(f"Saved {len(rows):,} row(s) to {written.name}", 8000)
        return written

    def clear_results(self) -> None:
        if not self.runs.is_busy():
            self.results_model.clear()
            self.detail_pane.show_result(None)
            self.notice.say("")

    # --- view state ---------------------------------------------------------------------------

    def _photos_moved(self, moves: Mapping[str, str]) -> None:
        self.results_model.relocate(moves)
        self.splitter.refresh_detail()

    def _threshold_changed(self, percent: int) -> None:
        self.results_model.set_threshold(percent / 100)
        self.splitter.refresh_detail()
        unknown = self.results_model.label_counts()[UNKNOWN_LABEL]
        self.statusBar().showMessage(
            f"Threshold {percent}%: {unknown:,} photo(s) read “{UNKNOWN_LABEL}”", 5000
        )

    def _label_filter_changed(self, key: str) -> None:
        self.proxy.set_label_filter(key)
        self.table.scrollToTop()
        self._update_state()

    def use_default_model(self) -> None:
        """The bundled model, also at the next start (the remembered choice is forgotten)."""
        default = bundled_model_dir()
        if default is None:
            self.report_error("No default model", "This build has no bundled model.")
        elif self.load_model(default):
            self.prefs.forget_model_dir()

    def show_evaluation(self) -> None:
        if self.classifier is not None and self.results_model.has_truths():
            labels, root = self.classifier.labels, self.prefs.last_folder()
            evaluation = table_evaluation(self.results_model, labels, root)
            self.evaluation_dialog = EvaluationDialog(evaluation, self)
            self.evaluation_dialog.mistakeChosen.connect(self.select_photo)
            self.evaluation_dialog.show()

    def select_photo(self, path: str) -> None:
        """Select the row of `path`, showing every row first if the Show filter hides it."""
        if not self.table.select_path(path) and self.results_model.contains(path):
            self.set_label_filter("")
            self.table.select_path(path)

    def _open_failed(self, path: str) -> None:
        name = Path(path).name
        self.report_error(
            "No program opens this photo",
            f"Nothing on this computer is set to open “{name}” (no default image viewer, or "
            "none for this kind of file). Space shows it large here; the context menu can "
            "show it in its folder.",
        )

    def set_label_filter(self, label: str) -> None:
        self.label_combo.select(label)

    def _rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        model = self.results_model
        self.label_combo.add_labels(model.result_at(row).label for row in range(first, last + 1))
        self.table.select_first_row_if_none()
        self._update_state()

    def _select_all(self) -> None:
        self.table.selectAll()

    def _update_state(self) -> None:
        busy = self.runs.is_busy()
        has_rows = self.results_model.rowCount() > 0
        # Classify Again empties the table while it runs: the table stays (and keeps focus).
        results_shown = has_rows or (busy and self.splitter.isVisible())
        self.splitter.setVisible(results_shown)
        self.drop_zone.set_compact(results_shown)
        name = self.classifier.folder.path.name if self.classifier is not None else None
        # Qt adds the application's name: "trip — 1,000 photos — edgeclass", or "edgeclass".
        self.setWindowTitle(
            window_title(self.results_model.folders.roots(), self.results_model.rowCount())
        )
        if self.classifier is None:
            self.drop_zone.show_no_model()
        else:
            self.drop_zone.show_model(name or "", self.classifier.labels, has_rows)
        self.status_bar.set_busy(busy)
        self.cancel_action.setEnabled(busy)
        self.choose_model_action.setEnabled(not busy)
        self.rerun_action.setEnabled(not busy and has_rows and self.classifier is not None)
        self.clear_action.setEnabled(not busy and has_rows)
        for action in (self.export_csv_action, self.export_json_action, self.copy_action):
            action.setEnabled(has_rows)
        self.default_model_action.setEnabled(not busy)
        self._show_counts()
        if has_rows and not self._results_focused:
            self._results_focused = True  # once: the arrow keys then move through the rows
            self.splitter.focus_results()  # the table or the grid, whichever is shown

    def _show_counts(self) -> None:
        model = self.results_model
        self.label_combo.set_counts(model.filter_counts())
        self.table.setColumnHidden(TRUTH, not model.has_truths())
        self.evaluation_action.setEnabled(model.has_truths())
        name = self.classifier.folder.path.name if self.classifier is not None else None
        summary = table_summary(name, model.label_counts(), model.rowCount(), self.proxy.rowCount())
        self.status_bar.set_summary(summary)

    # --- life cycle ---------------------------------------------------------------------------

    def _current_classifier(self) -> Classifier | None:
        return self.classifier

    def closeEvent(self, event: QCloseEvent) -> None:
        self.detail_pane.heatmap.stop()
        self.sort_commands.wait()  # a sort or undo stops after its current file
        self.runs.wait_for_done()
        self.prefs.save_window(self, self.splitter)
        self._pasted.cleanup()
        super().closeEvent(event)
