"""`edgeclass train`: turn a folder of labelled photos into a model folder (stdlib-only here:
its flags come from edgeclass.trainer.config, which needs no training extra)."""

from __future__ import annotations

import argparse
from typing import Any

DESCRIPTION = """\
Train an image classifier (MobileViT by default) on a folder of class sub-folders
(`data/cat/*.jpg`, `data/dog/*.jpg`; optionally pre-split into train/ val/ test/) or a
Hugging Face dataset id. Writes OUTPUT/model (config.json, model.safetensors,
preprocessor_config.json, training_summary.json), test reports and plots in OUTPUT/reports,
checkpoints in OUTPUT/checkpoints (for --resume), and one MLflow run.

Options can come from a YAML file (--config; keys are the option names, e.g. `batch_size: 64`);
options given on the command line override it."""

EPILOG = """\
examples:
  edgeclass train --data photos/ --output runs/pets           # fine-tunes apple/mobilevit-small
  edgeclass train --config recipes/default-model.yaml         # the bundled model's recipe
  edgeclass train --config recipes/catsdogs.yaml --epochs 5   # flags override the file
  torchrun --nproc-per-node 4 -m edgeclass train --config my.yaml   # several GPUs
See docs/training.md for configs, MLflow (`mlflow ui`) and GPU notes."""

S = argparse.SUPPRESS  # options not given stay absent, so the YAML file's values apply


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field, in its group, with the field's help and choices."""
    from dataclasses import fields

    from edgeclass.trainer.config import TrainConfig, flag_help

    groups: dict[str, argparse._ArgumentGroup] = {}
    for field in fields(TrainConfig):
        flag = field.metadata["flag"]
        if flag.group not in groups:
            groups[flag.group] = parser.add_argument_group(flag.group)
        kind = str(field.type).split(" ")[0]  # "int | None" -> "int"
        options: dict[str, Any] = {"help": flag_help(field), "default": S}
        if kind == "bool":
            options["action"] = argparse.BooleanOptionalAction
        else:
            options["type"] = {"int": int, "float": float}.get(kind, str)
            if flag.choices:
                options["choices"] = flag.choices
            if flag.metavar:
                options["metavar"] = flag.metavar
        name = "--" + field.name.replace("_", "-")
        groups[flag.group].add_argument(name, *flag.aliases, dest=field.name, **options)


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train",
        help="train a classifier on a folder of labelled photos",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", metavar="YAML", help="YAML file of options (flags win)")
    add_config_flags(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    import logging
    import os

    # Shared or busy CPUs: spinning OpenMP threads slow training down many times over.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from edgeclass.trainer.config import build_config
    from edgeclass.trainer.pipeline import train

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    overrides = {
        key: value for key, value in vars(args).items() if key not in ("func", "command", "config")
    }
    config = build_config(args.config, overrides)
    train(config)
    return 0
