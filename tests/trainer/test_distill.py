"""Distillation (`edgeclass train --teacher`): label groups, the teacher's input, real runs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from teacher_models import COLOUR_LABELS, TEACHER_SIZE, write_colour_teacher
from trainer_data import draw_image, fast_options, make_folder

from edgeclass.trainer.config import ConfigError, build_config
from edgeclass.trainer.pipeline import train
from edgeclass.trainer.teacher import Teacher, TeacherError, label_groups
from edgeclass.training_summary import read_summary

STUDENT_LABELS = ("blue_stripes", "green_square", "red_circle")  # sorted folder names


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory) -> Path:
    return write_colour_teacher(tmp_path_factory.mktemp("teacher") / "colour-teacher")


def student_processor(size: int = 32):
    from edgeclass.trainer.model import mobilevit_processor

    return mobilevit_processor(size)


# --- label groups ---------------------------------------------------------------------------


def test_a_label_map_scores_each_group_by_its_mean_probability():
    teacher = ("tabby", "siamese", "beagle", "pug", "husky", "car")
    groups = label_groups(
        ("cat", "dog"), teacher, {"dog": [2, "pug", "husky"], "cat": ["tabby", 1]}
    )
    assert groups.members == ((0, 1), (2, 3, 4))
    probabilities = np.array([[0.2, 0.1, 0.3, 0.1, 0.2, 0.1], [0.05, 0.05, 0.0, 0.0, 0.3, 0.6]])
    # By hand: cat mean (0.2 + 0.1) / 2 = 0.15, dog mean (0.3 + 0.1 + 0.2) / 3 = 0.2, renormalised
    # 0.15 / 0.35 and 0.2 / 0.35; the sums (0.3 vs 0.6) would say 1/3 and 2/3. Second row: cat
    # 0.05, dog 0.1 -> 1/3, 2/3 (the car's 0.6 is left out).
    expected = np.array([[3 / 7, 4 / 7], [1 / 3, 2 / 3]])
    np.testing.assert_allclose(groups.student_probabilities(probabilities), expected, rtol=1e-6)


def test_without_a_map_labels_are_matched_by_name():
    groups = label_groups(STUDENT_LABELS, COLOUR_LABELS)
    assert groups.members == ((2,), (1,), (0,))
    probabilities = np.array([[0.7, 0.2, 0.1]])  # red, green, blue
    np.testing.assert_allclose(groups.student_probabilities(probabilities), [[0.1, 0.2, 0.7]])


@pytest.mark.parametrize(
    ("label_map", "message"),
    [
        (None, r"no class named 'cat', 'dog'.*--teacher-label-map"),
        ({"cat": ["tabby"]}, r"no teacher classes for student label\(s\) dog"),
        ({"cat": ["tabby"], "dog": []}, r"no teacher classes for student label\(s\) dog"),
        ({"cat": [0], "dog": [1], "bird": [2]}, r"label\(s\) bird are not the student's"),
        ({"cat": ["tabby"], "dog": ["labrador"]}, "no class named 'labrador' \\(for 'dog'\\)"),
        ({"cat": [0], "dog": [7]}, "class index 7 .* outside the teacher's 0..2"),
        ({"cat": [0, 1], "dog": ["siamese"]}, "class 1 \\('siamese'\\) is in both 'cat' and 'dog'"),
    ],
)
def test_a_map_that_does_not_fit_is_a_clear_error(label_map, message):
    with pytest.raises(TeacherError, match=message):
        label_groups(("cat", "dog"), ("tabby", "siamese", "beagle"), label_map)


def test_label_map_files_are_checked(tmp_path, teacher_dir):
    processor = student_processor().to_dict()
    bad = tmp_path / "map.json"
    bad.write_text('{"blue_stripes": "blue"}')
    with pytest.raises(TeacherError, match="must be a JSON object of student label"):
        Teacher(teacher_dir, STUDENT_LABELS, processor, bad)
    with pytest.raises(TeacherError, match="teacher label map not found"):
        Teacher(teacher_dir, STUDENT_LABELS, processor, tmp_path / "missing.json")


# --- the teacher folder and its input ---------------------------------------------------------


def test_a_missing_or_mismatched_teacher_is_a_clear_error(tmp_path):
    processor = student_processor().to_dict()
    with pytest.raises(TeacherError, match=r"teacher: model folder .*nowhere does not exist"):
        Teacher(tmp_path / "nowhere", STUDENT_LABELS, processor)
    mismatched = write_colour_teacher(tmp_path / "four-outputs", extra_outputs=1)
    with pytest.raises(TeacherError, match=r"outputs 4 classes but config\.json names 3"):
        Teacher(mismatched, STUDENT_LABELS, processor)
    other_task = write_colour_teacher(tmp_path / "other", labels=("cat", "dog", "bird"))
    with pytest.raises(TeacherError, match="no class named 'blue_stripes'"):
        Teacher(other_task, STUDENT_LABELS, processor)


def test_the_teacher_gets_its_own_pixel_convention_from_student_tensors(teacher_dir):
    """MobileViT tensors (BGR, x/255) become the teacher's (RGB, (x-127)/128) input exactly."""
    import torch

    processor = student_processor(TEACHER_SIZE)
    teacher = Teacher(teacher_dir, STUDENT_LABELS, processor.to_dict())
    image = draw_image("red_circle", random.Random(3)).resize((TEACHER_SIZE, TEACHER_SIZE))
    student = processor(image, do_resize=False, do_center_crop=False, return_tensors="pt")
    converted = teacher.teacher_input(student["pixel_values"])
    expected = (np.asarray(image, np.float32) - 127.0) / 128.0
    np.testing.assert_allclose(converted[0].numpy(), expected.transpose(2, 0, 1), atol=1e-4)
    # At the student's 32px the teacher input is resized to its 24px, and still read right.
    big = student_processor(32)(image.resize((32, 32)), return_tensors="pt")["pixel_values"]
    assert tuple(teacher.teacher_input(big).shape) == (1, 3, TEACHER_SIZE, TEACHER_SIZE)
    probabilities = teacher.student_probabilities(torch.cat([student["pixel_values"]] * 2))
    assert probabilities.shape == (2, 3)
    assert STUDENT_LABELS[int(probabilities[0].argmax())] == "red_circle"
    assert float(probabilities[0].max()) > 0.99


# --- configuration ------------------------------------------------------------------------------


def test_distillation_options_come_from_yaml_and_are_checked(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "data: d\noutput: o\nteacher: teachers/lite0\nteacher-label-map: map.json\n"
        "distill_alpha: 0.7\ndistill-temperature: 3\n"
    )
    config = build_config(recipe, {"distill_alpha": 0.9})
    assert (config.teacher, config.teacher_label_map) == ("teachers/lite0", "map.json")
    assert (config.distill_alpha, config.distill_temperature) == (0.9, 3.0)
    for options, message in [
        ({"teacher_label_map": "map.json"}, "needs a teacher"),
        ({"teacher": "t", "distill_alpha": 1.5}, "distill_alpha must be in"),
        ({"teacher": "t", "distill_temperature": 0}, "distill_temperature must be > 0"),
    ]:
        with pytest.raises(ConfigError, match=message):
            build_config(None, {"data": "d", "output": "o", **options})


# --- whole runs ---------------------------------------------------------------------------------


def test_a_distilled_run_end_to_end(tmp_path, tiny_config, teacher_dir):
    """A run with MixUp/CutMix: the teacher scores exactly the tensors the student trains on."""
    import mlflow
    import torch

    from edgeclass.trainer import distill

    data = make_folder(tmp_path / "data", per_class=10)
    label_map = tmp_path / "map.json"
    label_map.write_text(json.dumps({"red_circle": ["red_circle"], "green_square": [1],
                                     "blue_stripes": ["blue_stripes"]}))  # fmt: skip
    seen_by_teacher: list[torch.Tensor] = []
    seen_by_student: list[torch.Tensor] = []
    original = distill.Teacher.student_probabilities

    def spy(self, pixel_values):
        seen_by_teacher.append(pixel_values.clone())
        return original(self, pixel_values)

    class Recorder(distill.TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kwargs):
            def hook(module, inputs, kwargs):
                if module.training:
                    seen_by_student.append(kwargs["pixel_values"].clone())

            model.register_forward_pre_hook(hook, with_kwargs=True)

    options = fast_options(
        tmp_path, data, teacher=str(teacher_dir), teacher_label_map=str(label_map),
        distill_alpha=0.8, mixup_alpha=0.4, cutmix_alpha=1.0, mix_prob=1.0,
    )  # fmt: skip
    distill.Teacher.student_probabilities = spy
    try:
        result = train(build_config(None, options), model_config=tiny_config,
                       callbacks=[Recorder()])  # fmt: skip
    finally:
        distill.Teacher.student_probabilities = original

    summary = read_summary(result.model_dir)
    assert summary.distillation is not None
    assert summary.distillation.teacher_val_accuracy == 1.0
    assert summary.distillation.alpha == 0.8
    assert summary.training.epochs_run == 2
    # Validation batches (the teacher's score) come first, then one call per training step.
    steps = summary.training.global_step
    assert len(seen_by_student) == steps and len(seen_by_teacher) > steps
    for taught, trained in zip(seen_by_teacher[-steps:], seen_by_student, strict=True):
        assert torch.equal(taught, trained)
    # MixUp/CutMix mixed these batches: not a single one is a plain processor output.
    assert not any(torch.equal(t, t.round(decimals=2)) for t in seen_by_student)
    client = mlflow.tracking.MlflowClient(tracking_uri=summary.mlflow.tracking_uri)
    history = client.get_metric_history(result.run_id, "teacher_val_accuracy")
    assert [m.step for m in history] == [0, 1, 2] and {m.value for m in history} == {1.0}
    assert client.get_run(result.run_id).data.params["teacher"] == str(teacher_dir)


def test_train_refuses_a_teacher_that_does_not_fit_before_training(tmp_path, tiny_config):
    data = make_folder(tmp_path / "data", per_class=4)
    cats = write_colour_teacher(tmp_path / "teacher", labels=("cat", "dog", "bird"))
    options = fast_options(tmp_path, data, teacher=str(cats), tracking=False)
    with pytest.raises(TeacherError, match="no class named 'blue_stripes'"):
        train(build_config(None, options), model_config=tiny_config)
    assert not (tmp_path / "run" / "checkpoints").exists()
