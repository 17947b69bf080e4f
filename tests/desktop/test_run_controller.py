"""The run queue on its own: no window, a real model and real files."""

from __future__ import annotations

from desktop_helpers import write_images

from edgeclass.desktop.results_model import ResultsModel
from edgeclass.desktop.run_controller import RunController
from edgeclass.desktop.worker import CANCELLED, COMPLETED
from edgeclass.runtime import Classifier


def make_controller(tiny_model_dir) -> RunController:
    controller = RunController(ResultsModel())
    controller.classifier = Classifier(tiny_model_dir)
    return controller


def test_queued_paths_run_one_after_another_and_finish_once(qtbot, tiny_model_dir, tmp_path):
    controller = make_controller(tiny_model_dir)
    first = write_images(tmp_path / "a", 3)
    second = write_images(tmp_path / "b", 2, prefix="b")
    finished: list[str] = []
    started: list[int] = []
    controller.runFinished.connect(finished.append)
    controller.runStarted.connect(lambda: started.append(1))

    with qtbot.waitSignal(controller.runFinished, timeout=60_000):
        controller.classify(first)
        controller.classify(second)  # queued behind the running worker
        assert controller.is_busy()

    assert finished == [COMPLETED]
    assert len(started) == 2  # one worker per queued batch of paths
    paths = [r.path for r in controller.results_model.results()]
    assert sorted(paths) == sorted(str(p) for p in [*first, *second])
    assert controller.tally.done == 5
    assert not controller.is_busy()


def test_a_path_already_in_the_table_is_not_classified_again(qtbot, tiny_model_dir, tmp_path):
    controller = make_controller(tiny_model_dir)
    photos = write_images(tmp_path, 3)
    with qtbot.waitSignal(controller.runFinished, timeout=60_000):
        controller.classify(photos)
    with qtbot.waitSignal(controller.runFinished, timeout=60_000):
        controller.classify(photos)
    assert controller.results_model.rowCount() == 3
    assert controller.tally.done == 0


def test_cancel_ends_the_run_and_drops_the_queue(qtbot, tiny_model_dir, tmp_path):
    controller = make_controller(tiny_model_dir)
    many = write_images(tmp_path / "many", 300, size=(96, 64))
    queued = write_images(tmp_path / "queued", 2, prefix="q")
    controller.results_model.rowsInserted.connect(controller.cancel)
    with qtbot.waitSignal(controller.runFinished, timeout=60_000) as finished:
        controller.classify(many)
        controller.classify(queued)
    assert finished.args == [CANCELLED]
    paths = {r.path for r in controller.results_model.results()}
    assert 0 < len(paths) < len(many)
    assert not paths & {str(p) for p in queued}


def test_classify_again_replaces_every_row(qtbot, tiny_model_dir, tmp_path):
    controller = make_controller(tiny_model_dir)
    photos = write_images(tmp_path, 2)
    with qtbot.waitSignal(controller.runFinished, timeout=60_000):
        controller.classify(photos)
    before = controller.results_model.results()
    with qtbot.waitSignal(controller.runFinished, timeout=60_000):
        controller.classify_again()
    assert controller.results_model.results() == before
    assert controller.tally.done == 2
