"""A distillation teacher: any runtime model folder (model.onnx, config.json, preprocessor config).

The teacher runs through onnxruntime (no second PyTorch model in memory) on the student's own
training tensors, after augmentation and MixUp/CutMix: `Teacher.student_probabilities` turns
them back into RGB pixels, into the teacher's input (channel order, scale, mean/std, size), runs
the teacher and maps its classes onto the student's labels (`LabelGroups`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgeclass.errors import ModelError
from edgeclass.runtime.postprocess import softmax
from edgeclass.runtime.session import logits_of


class TeacherError(ModelError):
    """The teacher folder or its label map does not fit the student."""


@dataclass(frozen=True)
class LabelGroups:
    """Which teacher classes make up each student label.

    A group's score is the MEAN probability of its member classes, renormalised over the
    student's labels: summing instead favours the group with more classes (118 ImageNet dog
    breeds against 5 cats soak up the probability left over on an unclear photo).
    """

    student_labels: tuple[str, ...]
    members: tuple[tuple[int, ...], ...]  # teacher class indices, one tuple per student label
    teacher_classes: int

    def matrix(self) -> np.ndarray:
        """(teacher_classes, student_labels): probabilities @ matrix = mean per group."""
        weights = np.zeros((self.teacher_classes, len(self.student_labels)), np.float32)
        for column, members in enumerate(self.members):
            weights[list(members), column] = 1.0 / len(members)
        return weights

    def student_probabilities(self, teacher_probabilities: np.ndarray) -> np.ndarray:
        means = np.asarray(teacher_probabilities, np.float32) @ self.matrix()
        return means / np.maximum(means.sum(axis=-1, keepdims=True), 1e-30)


def read_label_map(path: str | Path) -> dict[str, list[int | str]]:
    """A JSON object {student label: [teacher class index or name, ...]}."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TeacherError(f"teacher label map not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TeacherError(f"cannot read the teacher label map {path}: {error}") from None
    if not isinstance(raw, dict) or not all(
        isinstance(v, list) and all(isinstance(m, (int, str)) for m in v) for v in raw.values()
    ):
        raise TeacherError(
            f"{path} must be a JSON object of student label: [teacher class index or name, ...]"
        )
    return raw


def label_groups(
    student_labels: Sequence[str],
    teacher_labels: Sequence[str],
    label_map: Mapping[str, Sequence[int | str]] | None = None,
) -> LabelGroups:
    """Map teacher classes onto student labels: through `label_map`, else by equal names."""
    student_labels = tuple(student_labels)
    if label_map is None:
        index = {name: i for i, name in enumerate(teacher_labels)}
        missing = [label for label in student_labels if label not in index]
        if missing:
            raise TeacherError(
                f"the teacher has no class named {', '.join(map(repr, missing))} (its classes: "
                f"{_preview(teacher_labels)}); pass --teacher-label-map to group its classes "
                "into the student's labels"
            )
        members = tuple((index[label],) for label in student_labels)
        return LabelGroups(student_labels, members, len(teacher_labels))
    unknown = sorted(set(label_map) - set(student_labels))
    unmapped = [label for label in student_labels if not label_map.get(label)]
    if unknown or unmapped:
        problems = []
        if unmapped:
            problems.append(f"no teacher classes for student label(s) {', '.join(unmapped)}")
        if unknown:
            problems.append(f"label(s) {', '.join(unknown)} are not the student's")
        raise TeacherError(
            f"the teacher label map does not fit the student's labels "
            f"({', '.join(student_labels)}): {'; '.join(problems)}"
        )
    by_name: dict[str, int] = {}
    for i, name in enumerate(teacher_labels):
        by_name.setdefault(name, i)
    groups = []
    owner: dict[int, str] = {}
    for label in student_labels:
        indices = []
        for member in label_map[label]:
            if isinstance(member, int):
                if not 0 <= member < len(teacher_labels):
                    raise TeacherError(
                        f"teacher label map: class index {member} (for {label!r}) is outside "
                        f"the teacher's 0..{len(teacher_labels) - 1}"
                    )
                indices.append(member)
            elif member in by_name:
                indices.append(by_name[member])
            else:
                raise TeacherError(
                    f"teacher label map: the teacher has no class named {member!r} (for {label!r})"
                )
        for i in indices:
            if owner.setdefault(i, label) != label:
                raise TeacherError(
                    f"teacher label map: teacher class {i} ({teacher_labels[i]!r}) is in both "
                    f"{owner[i]!r} and {label!r}"
                )
        groups.append(tuple(dict.fromkeys(indices)))
    return LabelGroups(student_labels, tuple(groups), len(teacher_labels))


def _preview(labels: Sequence[str], count: int = 5) -> str:
    shown = ", ".join(map(repr, labels[:count]))
    return shown + (f", ... ({len(labels)} in all)" if len(labels) > count else "")


class Teacher:
    """A loaded teacher folder, ready to score batches of the student's tensors."""

    def __init__(
        self,
        folder: str | Path,
        student_labels: Sequence[str],
        student_processor: Mapping[str, Any],
        label_map: str | Path | None = None,
        threads: int | None = None,
    ) -> None:
        from edgeclass.runtime.model_folder import ModelFolder
        from edgeclass.runtime.preprocess import Preprocessor
        from edgeclass.runtime.session import create_session

        self.path = Path(folder)
        try:
            self.folder = ModelFolder.load(self.path)
        except ModelError as error:
            raise TeacherError(f"teacher: {error}") from error
        self.preprocessor = self.folder.preprocessor
        self.student_preprocessor = Preprocessor.from_config(
            dict(student_processor), source="the student's image processor"
        )
        mapping = read_label_map(label_map) if label_map is not None else None
        self.groups = label_groups(student_labels, self.folder.labels, mapping)
        self.session = create_session(self.folder.onnx_path, threads)
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        self.size = self._input_size(model_input.shape)
        self._check_outputs()

    def _input_size(self, shape: list) -> tuple[int, int]:
        if len(shape) != 4:
            raise TeacherError(
                f"teacher {self.path}: expected an image input (N, 3, H, W), got {shape}"
            )
        size = self.preprocessor.output_size
        static = tuple(shape[2:])
        if all(isinstance(d, int) for d in static):
            if size is not None and static != size:
                raise TeacherError(
                    f"teacher {self.path}: model.onnx takes {static[0]}x{static[1]} images but "
                    f"its preprocessor_config.json makes {size[0]}x{size[1]}"
                )
            return static  # type: ignore[return-value]
        if size is None:
            raise TeacherError(f"teacher {self.path}: its input size is unknown (no crop size)")
        return size

    def _check_outputs(self) -> None:
        shape = self.session.get_outputs()[0].shape
        classes = shape[-1] if shape else None
        if isinstance(classes, int) and classes != len(self.folder.labels):
            raise TeacherError(
                f"teacher {self.path}: model.onnx outputs {classes} classes but config.json "
                f"names {len(self.folder.labels)}"
            )

    @property
    def labels(self) -> tuple[str, ...]:
        return self.folder.labels

    def teacher_input(self, pixel_values):
        """The student's (N, 3, h, w) tensors as the teacher's input (torch, float32)."""
        import torch.nn.functional as F

        rgb = to_rgb255(pixel_values.detach().float().cpu(), self.student_preprocessor)
        if tuple(rgb.shape[-2:]) != self.size:
            mode = "bicubic" if self.preprocessor.resample == 3 else "bilinear"
            rgb = F.interpolate(rgb, size=self.size, mode=mode, antialias=True)
            rgb = rgb.clamp(0.0, 255.0)
        return from_rgb255(rgb, self.preprocessor)

    def logits(self, teacher_input: np.ndarray) -> np.ndarray:
        return logits_of(self.session, teacher_input, batch_size=len(teacher_input))

    def student_probabilities(self, pixel_values):
        """(N, student labels) probabilities the teacher gives the student's tensors."""
        import torch

        logits = self.logits(self.teacher_input(pixel_values).numpy())
        probabilities = softmax(logits.astype(np.float64))
        return torch.from_numpy(self.groups.student_probabilities(probabilities))


def to_rgb255(tensor, preprocessor):
    """Undo a preprocessor's pixel steps: model tensor -> RGB values in 0..255 (N, 3, H, W)."""
    import torch

    if preprocessor.flip_channel_order:
        tensor = tensor.flip(1)
    if preprocessor.image_mean is not None and preprocessor.image_std is not None:
        std = torch.tensor(preprocessor.image_std).view(1, 3, 1, 1)
        mean = torch.tensor(preprocessor.image_mean).view(1, 3, 1, 1)
        tensor = tensor * std + mean
    if preprocessor.rescale_factor is not None:
        tensor = tensor / preprocessor.rescale_factor
    return tensor


def from_rgb255(rgb, preprocessor):
    """A preprocessor's pixel steps on RGB values in 0..255 (N, 3, H, W), as the runtime does."""
    import torch

    tensor = rgb
    if preprocessor.rescale_factor is not None:
        tensor = tensor * preprocessor.rescale_factor
    if preprocessor.image_mean is not None and preprocessor.image_std is not None:
        mean = torch.tensor(preprocessor.image_mean).view(1, 3, 1, 1)
        std = torch.tensor(preprocessor.image_std).view(1, 3, 1, 1)
        tensor = (tensor - mean) / std
    if preprocessor.flip_channel_order:
        tensor = tensor.flip(1)
    return tensor.contiguous()
