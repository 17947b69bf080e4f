"""The main window: wires the drop zone, the worker, the results table and the dialogs together.

Widgets only delegate: the drop zone emits paths, the worker classifies, the model holds the rows.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from edgeclass.desktop.detail_pane import DetailPane
from edgeclass.desktop.drop_zone import DropZone, paths_from_mime_data
from edgeclass.desktop.export import export_results
from edgeclass.desktop.model_dialog import ModelDialog
from edgeclass.desktop.model_summary import plain_text
from edgeclass.desktop.results_model import (
    ALL_LABELS,
    CONFIDENCE,
    LABEL,
    MESSAGE,
    NAME,
    PROBLEMS,
    STATUS,
    STATUS_TEXT,
    THUMBNAIL,
    ResultRole,
    ResultsFilterProxy,
    ResultsModel,
    format_confidence,
)
from edgeclass.desktop.sort_commands import SortCommands
from edgeclass.desktop.worker import CANCELLED, ClassifyWorker, ResultBatch
from edgeclass.errors import ModelError
from edgeclass.image_formats import file_dialog_filter
from edgeclass.runtime.results import UNKNOWN_LABEL, ClassificationResult

APP_NAME = "edgeclass"
IMAGE_FILTER = file_dialog_filter()
NO_MODEL_HINT = (
    "No model is loaded. Choose a model folder with File > Choose Model… "
    "(a folder holding model.onnx, config.json and preprocessor_config.json, "
    "as `edgeclass quantize` writes it)."
)


class MainWindow(QMainWindow):
    """`runFinished` fires when the last queued run ends (cancelled or not): tests and the
    self-test wait on it. `modelChanged` carries the new model folder's path."""

    runFinished = Signal()
    modelChanged = Signal(str)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.classifier = None
        self.model_error = ""  # why no model is loaded, when none is
        self._worker: ClassifyWorker | None = None
        self._queue: list[Path] = []
        self._run_started = 0.0
        self._run_count = 0
        self._paste_dir: Path | None = None
        self._paste_count = 0
        # How errors reach the user; the self-test swaps this for a recorder (no modal dialogs).
        self.report_error: Callable[[str, str], None] = self._show_error

        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.results_model = ResultsModel(self, threshold=self._stored_threshold())
        self.proxy = ResultsFilterProxy(self)
        self.proxy.setSourceModel(self.results_model)

        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_central()
        self._build_status_bar()
        self._connect()
        self._restore_geometry()
        self._update_state()

    # --- building -----------------------------------------------------------------------------

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden (macOS, tests)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.open_files_action = self._action(
            "&Open Photos…", self.open_files, key.Open, "Classify photos chosen in a file dialog"
        )
        self.open_folder_action = self._action(
            "Open &Folder…", self.open_folder, "Ctrl+Shift+O", "Classify every photo in a folder"
        )
        self.choose_model_action = self._action(
            "Choose &Model…", self.choose_model, "Ctrl+M", "Use another model folder"
        )
        self.export_csv_action = self._action(
            "Export as &CSV…", lambda: self.export_dialog("csv"), "Ctrl+E", "Save results as CSV"
        )
        self.export_json_action = self._action(
            "Export as &JSON…",
            lambda: self.export_dialog("json"),
            "Ctrl+Shift+E",
            "Save results as JSON",
        )
        self.quit_action = self._action("&Quit", self.close, key.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.copy_action = self._action(
            "&Copy", self.copy_selection, key.Copy, "Copy the selected rows as tab-separated text"
        )
        self.paste_action = self._action(
            "&Paste", self.paste, key.Paste, "Classify files or an image from the clipboard"
        )
        self.select_all_action = self._action("Select &All", self._select_all, key.SelectAll)
        self.clear_action = self._action(
            "C&lear Results", self.clear_results, "Ctrl+Shift+Backspace", "Remove every row"
        )
        self.cancel_action = self._action(
            "&Cancel", self.cancel, "Esc", "Stop classifying (rows so far stay)"
        )
        self.rerun_action = self._action(
            "Classify &Again", self.classify_again, "Ctrl+R", "Run the current model on every row"
        )
        self.about_model_action = self._action(
            "About This &Model…", self.show_model_dialog, "F1", "Model card and numbers"
        )
        self.about_action = self._action("&About edgeclass", self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.open_files_action, self.open_folder_action])
        file_menu.addSeparator()
        file_menu.addAction(self.choose_model_action)
        file_menu.addSeparator()
        file_menu.addActions([self.export_csv_action, self.export_json_action])
        self.sort_commands = SortCommands(
            self,
            self.settings,
            results=self.results_model.results,
            threshold=self.results_model.threshold,
            start_folder=self._last_folder,
        )
        file_menu.addAction(self.sort_commands.sort_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.sort_commands.undo_action)
        edit_menu.addSeparator()
        edit_menu.addActions([self.copy_action, self.paste_action, self.select_all_action])
        edit_menu.addSeparator()
        edit_menu.addAction(self.clear_action)
        run_menu = bar.addMenu("&Run")
        run_menu.addActions([self.rerun_action, self.cancel_action])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.about_model_action, self.about_action])
        for menu in (file_menu, edit_menu):
            menu.aboutToShow.connect(self.sort_commands.refresh)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("MainToolBar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        toolbar.addActions([self.open_files_action, self.open_folder_action])
        toolbar.addSeparator()
        toolbar.addAction(self.choose_model_action)
        toolbar.addSeparator()

        toolbar.addWidget(_padded_label("Threshold:"))
        self.threshold_spin = QSpinBox(toolbar)
        self.threshold_spin.setRange(0, 100)
        self.threshold_spin.setSuffix(" %")
        self.threshold_spin.setValue(round(self.results_model.threshold() * 100))
        self.threshold_spin.setToolTip(
            f"Below this confidence a photo's label reads “{UNKNOWN_LABEL}”"
        )
        toolbar.addWidget(self.threshold_spin)
        toolbar.addSeparator()

        toolbar.addWidget(_padded_label("Show:"))
        self.label_combo = QComboBox(toolbar)
        self.label_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.label_combo.setToolTip("Show only the rows with this label")
        toolbar.addWidget(self.label_combo)
        self._rebuild_label_filter()

        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addAction(self.export_csv_action)
        self.toolbar = toolbar

    def _build_central(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.setSpacing(8)

        self.drop_zone = DropZone(central)
        layout.addWidget(self.drop_zone)

        self.table = QTableView(central)
        self.table.setModel(self.proxy)
        # Unsorted (arrival order) until a header is clicked.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setShowGrid(False)
        self.table.setIconSize(QSize(48, 48))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(54)
        # Fixed row heights: the view never asks every row for a size hint.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(THUMBNAIL, QHeaderView.ResizeMode.Fixed)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in (
            (THUMBNAIL, 60),
            (NAME, 200),
            (LABEL, 100),
            (CONFIDENCE, 95),
            (STATUS, 110),
            (MESSAGE, 160),
        ):
            header.resizeSection(column, width)

        self.detail_pane = DetailPane(central)
        self.detail_pane.heatmap.set_classifier_source(self._current_classifier)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, central)
        self.splitter.setObjectName("ResultsSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail_pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.summary_label = QLabel(bar)
        bar.addWidget(self.summary_label, 1)
        self.progress_bar = QProgressBar(bar)
        self.progress_bar.setMaximumWidth(240)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%v / %m")
        self.cancel_button = QPushButton("Cancel", bar)
        self.cancel_button.setToolTip("Stop classifying (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.cancel_button)

    def _connect(self) -> None:
        self.drop_zone.pathsDropped.connect(self.classify_paths)
        self.drop_zone.openRequested.connect(self._open_from_drop_zone)
        self.threshold_spin.valueChanged.connect(self._threshold_changed)
        self.label_combo.currentIndexChanged.connect(self._label_filter_changed)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.results_model.rowsInserted.connect(self._rows_inserted)
        self.results_model.modelReset.connect(self._update_state)

    # --- the model ----------------------------------------------------------------------------

    def load_initial_model(self, model_dir: str | Path | None = None) -> bool:
        """At start-up: the --model flag, else $EDGECLASS_MODEL, else the folder chosen last
        time, else the bundled default. Without any, the drop zone says how to choose one."""
        from edgeclass.runtime import resolve_model_dir

        if model_dir is not None:
            return self.load_model(model_dir)
        remembered = self.settings.value("model/last_dir", "", str)
        from_env = os.environ.get("EDGECLASS_MODEL")
        if remembered and not from_env and self.load_model(remembered, show_errors=False):
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
        from edgeclass.runtime import Classifier, resolve_model_dir

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
            self.settings.setValue("model/last_dir", str(classifier.folder.path.resolve()))
        self._rebuild_label_filter()
        self._update_state()
        self.modelChanged.emit(str(classifier.folder.path))
        return True

    def choose_model(self) -> None:
        start = self.settings.value("model/last_dir", "", str) or self._last_folder()
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
        paths = [Path(p) for p in paths]
        if not paths:
            return
        folders = [p for p in paths if p.is_dir()]
        self._remember_folder(folders[0] if folders else paths[0].parent)
        if self.classifier is None:
            self.report_error("Choose a model first", NO_MODEL_HINT)
            return
        self._queue.extend(paths)
        if self._worker is None:
            self._start_next()

    def classify_again(self) -> None:
        if self._worker is not None or self.classifier is None:
            return
        paths = [r.path for r in self.results_model.results()]
        self.results_model.clear()
        self.classify_paths(paths)

    def cancel(self) -> None:
        self._queue.clear()
        if self._worker is not None:
            self._worker.cancel()
            self.summary_label.setText("Cancelling…")

    def is_busy(self) -> bool:
        return self._worker is not None

    def _start_next(self) -> None:
        paths, self._queue = self._queue, []
        known = {r.path for r in self.results_model.results()}
        worker = ClassifyWorker(self.classifier, paths, skip=known)
        worker.signals.result.connect(self._on_batch)
        worker.signals.progress.connect(self._on_progress)
        worker.signals.error.connect(self._on_error)
        worker.signals.finished.connect(self._on_finished)
        self._worker = worker
        if not self._run_started:
            self._run_started = time.monotonic()
            self._run_count = 0
        self.progress_bar.setRange(0, 0)  # busy until the folders are scanned
        self._update_state()
        QThreadPool.globalInstance().start(worker)

    def _on_batch(self, batch: ResultBatch) -> None:
        self.results_model.append_results(batch.results, batch.thumbnails)
        self._run_count += len(batch.results)
        self._add_labels_to_filter(r.label for r in batch.results)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)

    def _on_error(self, message: str) -> None:
        self.report_error("Classification stopped", message)

    def _show_error(self, title: str, text: str) -> None:
        QMessageBox.critical(self, title, plain_text(text))

    def _on_finished(self, outcome: str) -> None:
        cancelled = outcome == CANCELLED
        self._worker = None
        if self._queue and not cancelled:
            self._start_next()
            return
        self._queue.clear()
        seconds = time.monotonic() - self._run_started
        self._run_started = 0.0
        self._update_state()
        verb = "Cancelled after" if cancelled else "Classified"
        self.statusBar().showMessage(f"{verb} {self._run_count:,} file(s) in {seconds:.1f} s", 8000)
        self.runFinished.emit()

    # --- files, clipboard, export -------------------------------------------------------------

    def open_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Open photos", self._last_folder(), IMAGE_FILTER
        )
        self.classify_paths(files)

    def open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Open a folder of photos", self._last_folder()
        )
        if folder:
            self.classify_paths([folder])

    def _open_from_drop_zone(self) -> None:
        if self.classifier is None:
            self.choose_model()
        else:
            self.open_files()

    def paste(self) -> None:
        """Files copied in a file manager, or an image copied from any app."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return
        paths = paths_from_mime_data(mime)
        if not paths and mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                paths = [self._save_pasted_image(image)]
        if paths:
            self.classify_paths(paths)
        else:
            self.statusBar().showMessage("The clipboard holds no files or image", 5000)

    def _save_pasted_image(self, image: QImage) -> Path:
        if self._paste_dir is None:
            self._paste_dir = Path(tempfile.mkdtemp(prefix="edgeclass-paste-"))
        self._paste_count += 1
        path = self._paste_dir / f"pasted-{time.strftime('%H%M%S')}-{self._paste_count}.png"
        image.save(str(path), "PNG")
        return path

    def copy_selection(self) -> None:
        """Selected rows (or all visible rows) as tab-separated text with a header line."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        if not rows:
            rows = list(range(self.proxy.rowCount()))
        lines = ["path\tlabel\tconfidence\tstatus\tmessage"]
        for row in rows:
            result: ClassificationResult = self.proxy.index(row, 0).data(ResultRole)
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
        QGuiApplication.clipboard().setText("\n".join(lines) + "\n")
        self.statusBar().showMessage(f"Copied {len(rows)} row(s)", 3000)

    def export_dialog(self, kind: str) -> None:
        if not self.results_model.rowCount():
            return
        suffix = ".json" if kind == "json" else ".csv"
        start = str(Path(self._last_folder()) / f"edgeclass-results{suffix}")
        name_filter = "JSON (*.json)" if kind == "json" else "CSV (*.csv)"
        path, _ = QFileDialog.getSaveFileName(self, "Export results", start, name_filter)
        if not path:
            return
        if not path.lower().endswith(suffix):
            path += suffix
        try:
            self.export_to(path)
        except OSError as error:
            self.report_error("Export failed", f"Could not write {path}:\n{error}")

    def export_to(self, path: str | Path) -> Path:
        """All rows (not only the filtered ones), in table order of arrival."""
        written = export_results(self.results_model.results(), path)
        self.statusBar().showMessage(f"Saved {written}", 5000)
        return written

    def clear_results(self) -> None:
        if self._worker is None:
            self.results_model.clear()
            self.detail_pane.show_result(None)

    # --- view state ---------------------------------------------------------------------------

    def _threshold_changed(self, percent: int) -> None:
        self.results_model.set_threshold(percent / 100)
        self.settings.setValue("classify/threshold", percent / 100)
        current = self.table.currentIndex()
        if current.isValid():
            self._show_detail(current)

    def _stored_threshold(self) -> float:
        try:
            value = float(self.settings.value("classify/threshold", 0.0))
        except (TypeError, ValueError):
            return 0.0
        return min(max(value, 0.0), 1.0)

    def _rebuild_label_filter(self) -> None:
        current = self.label_combo.currentData() if self.label_combo.count() else ALL_LABELS
        self.label_combo.blockSignals(True)
        self.label_combo.clear()
        self.label_combo.addItem("All labels", ALL_LABELS)
        labels = list(self.classifier.labels) if self.classifier is not None else []
        for label in [*labels, UNKNOWN_LABEL, *self.results_model.labels_present()]:
            if self.label_combo.findData(label) < 0:
                self.label_combo.addItem(label, label)
        self.label_combo.addItem("Problems only", PROBLEMS)
        index = self.label_combo.findData(current)
        self.label_combo.setCurrentIndex(max(index, 0))
        self.label_combo.blockSignals(False)
        self.proxy.set_label_filter(self.label_combo.currentData())

    def _add_labels_to_filter(self, labels: Iterable[str | None]) -> None:
        for label in set(labels):
            if label is not None and self.label_combo.findData(label) < 0:
                self.label_combo.insertItem(self.label_combo.count() - 1, label, label)

    def set_label_filter(self, label: str) -> None:
        index = self.label_combo.findData(label)
        if index >= 0:
            self.label_combo.setCurrentIndex(index)

    def _label_filter_changed(self, index: int) -> None:
        self.proxy.set_label_filter(self.label_combo.itemData(index))

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_detail(current)

    def _show_detail(self, index: QModelIndex) -> None:
        if not index.isValid():
            self.detail_pane.show_result(None)
            return
        icon = self.proxy.index(index.row(), THUMBNAIL).data(Qt.ItemDataRole.DecorationRole)
        # The thumbnail fills in (blurry) until the sharp preview is decoded off the UI thread.
        thumbnail = icon.pixmap(QSize(48, 48), 2.0).toImage() if icon is not None else None
        self.detail_pane.show_result(index.data(ResultRole), thumbnail)

    def _rows_inserted(self, *_args) -> None:
        if not self.table.currentIndex().isValid() and self.proxy.rowCount():
            self.table.selectionModel().setCurrentIndex(
                self.proxy.index(0, NAME),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._update_state()

    def _select_all(self) -> None:
        self.table.selectAll()

    def _update_state(self) -> None:
        busy = self._worker is not None
        has_rows = self.results_model.rowCount() > 0
        self.splitter.setVisible(has_rows)
        self.drop_zone.set_compact(has_rows)
        if self.classifier is None:
            self.drop_zone.set_message("No model loaded", NO_MODEL_HINT)
            self.drop_zone.set_button_text("Choose Model…")
            self.setWindowTitle("")  # Qt adds the application's name: "edgeclass"
        else:
            name = self.classifier.folder.path.name
            labels = ", ".join(self.classifier.labels)
            self.drop_zone.set_message(
                "Drop photos or folders here" if not has_rows else "Drop more photos here",
                f"Model “{name}” sorts photos into: {labels}. Nothing leaves this computer.",
            )
            self.setWindowTitle(name)  # shown as "name — edgeclass"
            self.drop_zone.set_button_text("Open Photos…")
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.cancel_action.setEnabled(busy)
        self.choose_model_action.setEnabled(not busy)
        self.rerun_action.setEnabled(not busy and has_rows and self.classifier is not None)
        self.clear_action.setEnabled(not busy and has_rows)
        for action in (self.export_csv_action, self.export_json_action, self.copy_action):
            action.setEnabled(has_rows)
        self.summary_label.setText(self._summary())

    def _summary(self) -> str:
        model = (
            f"Model: {self.classifier.folder.path.name}"
            if self.classifier is not None
            else "No model loaded"
        )
        results = self.results_model.results()
        if not results:
            return model
        problems = sum(1 for r in results if not r.ok)
        text = f"{model}   ·   {len(results):,} file(s)"
        if problems:
            text += f"   ·   {problems:,} could not be read"
        return text

    # --- settings and life cycle --------------------------------------------------------------

    def _last_folder(self) -> str:
        return self.settings.value("paths/last_folder", str(Path.home()), str)

    def _remember_folder(self, folder: Path) -> None:
        if folder.is_dir():
            self.settings.setValue("paths/last_folder", str(folder))

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 720)
        splitter = self.settings.value("window/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([780, 300])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if paths_from_mime_data(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = paths_from_mime_data(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.classify_paths(paths)

    def _current_classifier(self):
        return self.classifier

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel()
        self.detail_pane.heatmap.stop()
        if self._worker is not None:
            # The worker stops within one batch; wait so no thread outlives the window.
            QThreadPool.globalInstance().waitForDone(10_000)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.sync()
        if self._paste_dir is not None:
            shutil.rmtree(self._paste_dir, ignore_errors=True)
        super().closeEvent(event)


def desktop_thread_counts(cpus: int | None = None) -> dict[str, int]:
    """Half the cores for inference, half for decoding: unlike the CLI, the app keeps CPU
    for its own window, so the UI stays responsive while a big folder is classified."""
    cpus = cpus or os.cpu_count() or 2
    half = max(1, cpus // 2)
    return {"threads": half, "decode_threads": min(4, half)}


def _padded_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setContentsMargins(6, 0, 4, 0)
    return label


__all__ = ["STATUS_TEXT", "MainWindow"]
