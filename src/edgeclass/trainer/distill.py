"""Knowledge distillation: the loss, the Trainer that feeds the teacher, the teacher's score.

loss = (1 - alpha) * cross-entropy(labels) + alpha * T^2 * KL(teacher_T || student_T), where
_T means softened by the temperature T (Hinton et al., 2015). The teacher scores the exact batch
the student trains on (augmented, MixUp/CutMix included): "consistent teaching" (Beyer et al.,
2022). Validation loss stays the plain cross-entropy, so best checkpoints compare across runs.
"""

from __future__ import annotations

from typing import Any

from transformers import Trainer, TrainerCallback

from edgeclass.trainer.optimization import make_loss
from edgeclass.trainer.teacher import Teacher


def distillation_loss(
    logits, labels, teacher_probabilities, *, alpha: float, temperature: float, label_smoothing
):
    import torch.nn.functional as F

    logits = logits.float()
    hard = make_loss(label_smoothing)({"logits": logits}, labels)
    soft_teacher = F.softmax(teacher_probabilities.clamp_min(1e-8).log() / temperature, dim=-1)
    log_student = F.log_softmax(logits / temperature, dim=-1)
    kl = F.kl_div(log_student, soft_teacher, reduction="batchmean")
    return (1.0 - alpha) * hard + alpha * temperature**2 * kl


class DistillTrainer(Trainer):
    """Trainer whose training loss asks the teacher about every batch; evaluation is unchanged."""

    def __init__(self, *args, teacher: Teacher, alpha: float, temperature: float,
                 label_smoothing: float, **kwargs) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.teacher = teacher
        self.alpha = alpha
        self.temperature = temperature
        self.label_smoothing = label_smoothing

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if not model.training:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        inputs = dict(inputs)
        labels = inputs.pop("labels")
        pixels = inputs["pixel_values"]
        targets = self.teacher.student_probabilities(pixels).to(pixels.device)
        outputs = model(**inputs)
        loss = distillation_loss(
            outputs["logits"],
            labels,
            targets,
            alpha=self.alpha,
            temperature=self.temperature,
            label_smoothing=self.label_smoothing,
        )
        return (loss, outputs) if return_outputs else loss


def teacher_accuracy(teacher: Teacher, batches) -> float:
    """The teacher's accuracy on (student tensor, label) batches, e.g. the validation split."""
    right = total = 0
    for batch in batches:
        predicted = teacher.student_probabilities(batch["pixel_values"]).argmax(dim=-1)
        right += int((predicted == batch["labels"]).sum())
        total += len(predicted)
    return right / max(1, total)


class TeacherMetric(TrainerCallback):
    """Logs the teacher's validation accuracy at every evaluation, beside the student's."""

    def __init__(self, accuracy: float, tracker) -> None:
        self.accuracy = accuracy
        self.tracker = tracker

    def on_evaluate(self, args, state, control, metrics=None, **kwargs) -> Any:
        from edgeclass.trainer.callbacks import epoch_number

        if state.is_world_process_zero:
            self.tracker.log_metrics(
                {"teacher_val_accuracy": self.accuracy}, step=epoch_number(state.epoch)
            )
