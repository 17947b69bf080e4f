"""The window's menu bar: which action sits in which menu (the actions live on the window)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edgeclass.desktop.main_window import MainWindow


def build_menu_bar(window: MainWindow) -> None:
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([window.open_files_action, window.open_folder_action])
    file_menu.addSeparator()
    file_menu.addActions([window.choose_model_action, window.default_model_action])
    file_menu.addSeparator()
    file_menu.addActions([window.export_csv_action, window.export_json_action])
    file_menu.addAction(window.sort_commands.sort_action)
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)
    edit_menu = bar.addMenu("&Edit")
    edit_menu.addAction(window.sort_commands.undo_action)
    edit_menu.addSeparator()
    edit_menu.addActions([window.copy_action, window.paste_action, window.select_all_action])
    edit_menu.addSeparator()
    edit_menu.addAction(window.clear_action)
    bar.addMenu("&View").addAction(window.splitter.grid_action)
    window.addAction(window.splitter.grid_action)  # Ctrl+G without the menu bar too
    show_menu = bar.addMenu("&Show")
    show_menu.aboutToShow.connect(lambda: window.label_combo.fill_menu(show_menu))
    run_menu = bar.addMenu("&Run")
    run_menu.addActions([window.rerun_action, window.cancel_action])
    run_menu.addSeparator()
    run_menu.addAction(window.evaluation_action)
    help_menu = bar.addMenu("&Help")
    help_menu.addActions([window.about_model_action, window.about_action])
    for menu in (file_menu, edit_menu):
        menu.aboutToShow.connect(window.sort_commands.refresh)
