"""Training configuration: built-in defaults, then a YAML file, then command-line flags.

Each field is one `edgeclass train` flag (`--batch-size` is `batch_size`), generated from the
field (cli/train.py): its default, help, choices and group are written once, below. A YAML config
uses the same names, with dashes or underscores, and may start from another (`base:`). Flags
given on the command line win over the YAML file, which wins over the defaults below (timm's
`--config` behaviour). Standard library only: the CLI builds its parser from this module.
"""

from __future__ import annotations

import dataclasses
import difflib
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


@dataclass(frozen=True)
class Flag:
    """How a `TrainConfig` field appears as an `edgeclass train` flag (`--batch-size` for
    `batch_size`). `{default}` in the help is replaced by the field's default."""

    group: str
    help: str
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    aliases: tuple[str, ...] = ()


def option(default: Any, group: str, help: str, **flag: Any) -> Any:
    return field(default=default, metadata={"flag": Flag(group, help, **flag)})


DATA, MODEL, OPTIM = "data", "model", "optimisation"
AUGMENT, DISTILL, HARDWARE, RUNS = "augmentation", "distillation", "hardware", "runs and tracking"


@dataclass
class TrainConfig:
    # Data
    data: str | None = option(
        None, DATA, "class folders, or a HF dataset id", metavar="FOLDER|DATASET"
    )
    output: str | None = option(
        None, DATA, "where model/, reports/, checkpoints/ go", metavar="FOLDER"
    )
    image_column: str = option("image", DATA, "HF dataset image column (default: {default})")
    label_column: str = option("label", DATA, "HF dataset label column (default: {default})")
    dataset_config: str | None = option(None, DATA, "HF dataset configuration name")
    val_fraction: float = option(0.1, DATA, "validation share when no val/ (default {default})")
    test_fraction: float = option(0.1, DATA, "test share when no test/ (default {default})")
    max_samples: int | None = option(None, DATA, "use at most N images per split (quick trials)")
    cache_images: bool | None = option(
        None, DATA, "decode images once into memory (default: when they fit)"
    )
    # Model
    model: str = option(
        "apple/mobilevit-small", MODEL, "hub id or local HF model folder (default {default})"
    )
    from_scratch: str | None = option(
        None,
        MODEL,
        "random MobileViT of this size instead of pretrained weights",
        choices=SCRATCH_SIZES,
    )
    image_size: int | None = option(None, MODEL, "input resolution (default: the model's)")
    train_image_size: int | None = option(
        None,
        MODEL,
        "resolution of training crops (default: --image-size); a little lower than "
        "--image-size trains faster and tests well (FixRes)",
    )
    # Optimisation
    epochs: int = option(10, OPTIM, "maximum epochs (default {default})")
    batch_size: int = option(32, OPTIM, "per-device batch size (default {default})")
    eval_batch_size: int | None = option(None, OPTIM, "default: twice --batch-size")
    learning_rate: float = option(
        3e-4, OPTIM, "peak AdamW learning rate (default {default})", aliases=("--lr",)
    )
    weight_decay: float = option(0.05, OPTIM, "AdamW weight decay (default {default})")
    scheduler: str = option("cosine", OPTIM, "default {default}", choices=SCHEDULERS)
    warmup_ratio: float = option(0.1, OPTIM, "share of steps for warm-up (default {default})")
    label_smoothing: float = option(0.1, OPTIM, "default {default}")
    head_epochs: int = option(0, OPTIM, "two-phase fine-tuning: head-only epochs first")
    backbone_lr_scale: float = option(1.0, OPTIM, "backbone LR = LR x this (default {default})")
    early_stopping_patience: int = option(
        5,
        OPTIM,
        "stop after N epochs without improvement; 0 = off (default {default})",
        aliases=("--patience",),
    )
    max_minutes: float | None = option(
        None,
        OPTIM,
        "time budget: stop after the last epoch that fits (the best checkpoint is kept)",
    )
    metric: str = option(
        "accuracy",
        OPTIM,
        "validation metric for the best checkpoint and early stopping",
        choices=METRICS,
    )
    seed: int = option(42, OPTIM, "seed for splits, init, augmentation (default {default})")
    # Augmentation (applied to PIL images before the image processor's pixel steps)
    crop_scale_min: float = option(0.35, AUGMENT, "random resized crop min area ({default})")
    hflip: bool = option(True, AUGMENT, "random horizontal flips (default {default})")
    rotation: float = option(10.0, AUGMENT, "max rotation in degrees (default {default})")
    color_jitter: float = option(0.3, AUGMENT, "brightness/contrast/saturation jitter ({default})")
    randaugment_ops: int = option(0, AUGMENT, "RandAugment ops per image; 0 = off")
    randaugment_magnitude: int = option(9, AUGMENT, "RandAugment magnitude 0-30 ({default})")
    mixup_alpha: float = option(0.0, AUGMENT, "MixUp alpha; 0 = off")
    cutmix_alpha: float = option(0.0, AUGMENT, "CutMix alpha; 0 = off")
    mix_prob: float = option(0.5, AUGMENT, "share of batches mixed (default {default})")
    # Distillation (trainer/distill.py): a runtime model folder teaches the student
    teacher: str | None = option(
        None,
        DISTILL,
        "distil from this runtime model folder (model.onnx, config.json, "
        "preprocessor_config.json), run through onnxruntime on every training batch",
        metavar="FOLDER",
    )
    teacher_label_map: str | None = option(
        None,
        DISTILL,
        "JSON {{student label: [teacher class index or name, ...]}}; default: equal names",
        metavar="JSON",
    )
    distill_alpha: float = option(
        0.5,
        DISTILL,
        "weight of the teacher's loss; the labels' loss gets 1 - alpha (default {default})",
    )
    distill_temperature: float = option(
        2.0, DISTILL, "softmax temperature of the distillation loss (default {default})"
    )
    # Hardware
    device: str = option("auto", HARDWARE, "default: CUDA when present", choices=DEVICES)
    precision: str = option(
        "auto",
        HARDWARE,
        "autocast precision; auto = bf16 (or fp16) on GPU, fp32 on CPU",
        choices=PRECISIONS,
    )
    channels_last: bool | None = option(
        None, HARDWARE, "channels-last memory format (default: on GPU)"
    )
    compile: bool = option(False, HARDWARE, "torch.compile the model")
    workers: int | None = option(
        None, HARDWARE, "data-loader processes (default 0 on CPU, 8 on GPU)"
    )
    # Run management
    resume: bool = option(False, RUNS, "continue from the last checkpoint in --output")
    tracking: bool = option(True, RUNS, "log to MLflow (default {default})")
    tracking_uri: str | None = option(
        None, RUNS, "MLflow store or server (default: $MLFLOW_TRACKING_URI, else ./mlflow.db)"
    )
    experiment: str = option("edgeclass", RUNS, "MLflow experiment name (default {default})")
    run_name: str | None = option(None, RUNS, "MLflow run name (default: the output folder's name)")

    def validate(self) -> TrainConfig:
        if not self.data:
            raise ConfigError("no data given: pass --data FOLDER (or a Hugging Face dataset id)")
        if not self.output:
            raise ConfigError("no output folder given: pass --output FOLDER")
        for f in fields(self):
            choices = f.metadata["flag"].choices
            value = getattr(self, f.name)
            if choices and value is not None and value not in choices:
                raise ConfigError(f"{f.name} must be one of {', '.join(choices)}")
        checks = [
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
        return dataclasses.asdict(self)


FIELD_NAMES = tuple(f.name for f in fields(TrainConfig))
BASE_KEY = "base"  # in a YAML file: another YAML file (relative to this one) it starts from


def flag_help(f: dataclasses.Field[Any]) -> str:
    """A field's flag help, its `{default}` filled in (`on`/`off` for switches, 3e-4 as 0.0003)."""
    default = f.default
    if isinstance(default, bool):
        shown = "on" if default else "off"
    elif isinstance(default, float):
        shown = f"{default:g}"
    else:
        shown = str(default)
    return str(f.metadata["flag"].help.format(default=shown))


def check_names(names: list[str], where: str) -> None:
    """ConfigError naming each unknown option, with the closest known name when there is one."""
    unknown = sorted(set(names) - set(FIELD_NAMES))
    if not unknown:
        return
    described = []
    for name in unknown:
        close = difflib.get_close_matches(name, FIELD_NAMES, n=1)
        described.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    raise ConfigError(f"unknown option(s) {where}: {', '.join(described)}")


def load_yaml(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a YAML config file into a dict of known field names (dashes become underscores).

    `base: other.yaml` (a path relative to this file) reads that file first; this file's keys
    then replace the base's, key by key (a key set to null here sets the option to None).
    """
    import yaml

    path = Path(path)
    if path.resolve() in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path.resolve()))
        raise ConfigError(f"config files inherit from each other in a loop: {chain}")
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
    base = values.pop(BASE_KEY, None)
    check_names(list(values), f"in {path}")
    # Relative data/output paths in a config file are relative to the current folder, like flags.
    if base is None:
        return values
    if not isinstance(base, str):
        raise ConfigError(f"{path}: base must be the path of another YAML file")
    inherited = load_yaml(path.parent / base, (*_seen, path.resolve()))
    return {**inherited, **values}


def build_config(
    yaml_path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> TrainConfig:
    """Defaults, then the YAML file, then `overrides` (the flags actually given)."""
    values: dict[str, Any] = {}
    if yaml_path is not None:
        values.update(load_yaml(yaml_path))
    overrides = overrides or {}
    check_names(list(overrides), "given")
    values.update(overrides)
    config = TrainConfig(**values)
    _coerce_types(config)
    return config.validate()


def _coerce_types(config: TrainConfig) -> None:
    """YAML reads `1e-3` as a string and users write `epochs: 10.0`; fix types per field."""
    for f in fields(config):
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
