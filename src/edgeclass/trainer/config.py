"""Training configuration: built-in defaults, then a YAML file, then command-line flags.

Each field is one `edgeclass train` flag (`--batch-size` is `batch_size`); a YAML config uses the
same names, with dashes or underscores. Flags given on the command line win over the YAML file,
which wins over the defaults below (timm's `--config` behaviour).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from edgeclass.errors import EdgeclassError

SCRATCH_SIZES = ("xx-small", "x-small", "small")
SCHEDULERS = ("cosine", "linear", "constant")
METRICS = ("accuracy", "f1_macro", "balanced_accuracy", "loss")
PRECISIONS = ("auto", "no", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda")


class ConfigError(EdgeclassError):
    """The training configuration (YAML file or flags) is invalid."""


@dataclass
class TrainConfig:
    # Data
    data: str | None = None
    output: str | None = None
    image_column: str = "image"
    label_column: str = "label"
    dataset_config: str | None = None
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    max_samples: int | None = None
    cache_images: bool | None = None  # None: cache decoded images when they fit in memory
    # Model
    model: str = "apple/mobilevit-small"
    from_scratch: str | None = None
    image_size: int | None = None  # crop size; None keeps the model's image processor
    train_image_size: int | None = None  # training crops (FixRes: a bit below image_size)
    # Optimisation
    epochs: int = 10
    batch_size: int = 32
    eval_batch_size: int | None = None
    learning_rate: float = 3e-4
    weight_decay: float = 0.05
    scheduler: str = "cosine"
    warmup_ratio: float = 0.1
    label_smoothing: float = 0.1
    head_epochs: int = 0
    backbone_lr_scale: float = 1.0
    early_stopping_patience: int = 5
    max_minutes: float | None = None  # stop at the epoch end that would overrun this budget
    metric: str = "accuracy"
    seed: int = 42
    # Augmentation (applied to PIL images before the image processor's pixel steps)
    crop_scale_min: float = 0.35
    hflip: bool = True
    rotation: float = 10.0
    color_jitter: float = 0.3
    randaugment_ops: int = 0
    randaugment_magnitude: int = 9
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    mix_prob: float = 0.5
    # Distillation (trainer/distill.py): a runtime model folder teaches the student
    teacher: str | None = None
    teacher_label_map: str | None = None  # JSON {student label: [teacher class id or name]}
    distill_alpha: float = 0.5  # share of the teacher's loss; 1 - alpha is the labels' loss
    distill_temperature: float = 2.0
    # Hardware
    device: str = "auto"
    precision: str = "auto"
    channels_last: bool | None = None  # None: on for CUDA, off on CPU
    compile: bool = False
    workers: int | None = None  # None: 0 on CPU, up to 8 on GPU
    # Run management
    resume: bool = False
    tracking: bool = True
    tracking_uri: str | None = None
    experiment: str = "edgeclass"
    run_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def validate(self) -> TrainConfig:
        if not self.data:
            raise ConfigError("no data given: pass --data FOLDER (or a Hugging Face dataset id)")
        if not self.output:
            raise ConfigError("no output folder given: pass --output FOLDER")
        checks = [
            (self.from_scratch is None or self.from_scratch in SCRATCH_SIZES,
             f"from_scratch must be one of {', '.join(SCRATCH_SIZES)}"),
            (self.scheduler in SCHEDULERS, f"scheduler must be one of {', '.join(SCHEDULERS)}"),
            (self.metric in METRICS, f"metric must be one of {', '.join(METRICS)}"),
            (self.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}"),
            (self.device in DEVICES, f"device must be one of {', '.join(DEVICES)}"),
            (self.epochs >= 1, "epochs must be at least 1"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (0.0 <= self.val_fraction < 1.0, "val_fraction must be in [0, 1)"),
            (0.0 <= self.test_fraction < 1.0, "test_fraction must be in [0, 1)"),
            (self.val_fraction + self.test_fraction < 1.0,
             "val_fraction + test_fraction must leave images to train on"),
            (0.0 < self.crop_scale_min <= 1.0, "crop_scale_min must be in (0, 1]"),
            (self.image_size is None or self.image_size >= 32, "image_size must be >= 32"),
            (self.train_image_size is None or self.train_image_size >= 32,
             "train_image_size must be >= 32"),
            (self.max_samples is None or self.max_samples >= 2, "max_samples must be >= 2"),
            (0 <= self.head_epochs < self.epochs or self.head_epochs == 0,
             "head_epochs must be smaller than epochs"),
            (0.0 <= self.distill_alpha <= 1.0, "distill_alpha must be in [0, 1]"),
            (self.distill_temperature > 0, "distill_temperature must be > 0"),
            (self.teacher_label_map is None or self.teacher is not None,
             "teacher_label_map needs a teacher (--teacher FOLDER)"),
        ]  # fmt: skip
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        return self

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("extra")
        return data


FIELD_NAMES = tuple(f.name for f in fields(TrainConfig) if f.name != "extra")


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML config file into a dict of known field names (dashes become underscores)."""
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(f"config file not found: {path}") from error
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from error
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path} must hold a mapping of option: value")
    values = {str(key).replace("-", "_"): value for key, value in raw.items()}
    unknown = sorted(set(values) - set(FIELD_NAMES))
    if unknown:
        raise ConfigError(f"unknown option(s) in {path}: {', '.join(unknown)}")
    # Relative data/output paths in a config file are relative to the current folder, like flags.
    return values


def build_config(
    yaml_path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> TrainConfig:
    """Defaults, then the YAML file, then `overrides` (the flags actually given)."""
    values: dict[str, Any] = {}
    if yaml_path is not None:
        values.update(load_yaml(yaml_path))
    for key, value in (overrides or {}).items():
        if key not in FIELD_NAMES:
            raise ConfigError(f"unknown option: {key}")
        values[key] = value
    config = TrainConfig(**values)
    _coerce_types(config)
    return config.validate()


def _coerce_types(config: TrainConfig) -> None:
    """YAML reads `1e-3` as a string and users write `epochs: 10.0`; fix types per field."""
    for f in fields(config):
        if f.name == "extra":
            continue
        value = getattr(config, f.name)
        if value is None:
            continue
        kind = str(f.type)
        try:
            if kind.startswith("int"):
                value = int(value)
            elif kind.startswith("float"):
                value = float(value)
            elif kind.startswith("bool"):
                value = _to_bool(value)
            elif kind.startswith("str"):
                value = str(value)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{f.name}: {value!r} is not a valid {kind}") from error
        setattr(config, f.name, value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)
