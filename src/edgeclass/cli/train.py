"""`edgeclass train`: turn a folder of labelled photos into a model folder (stdlib-only here)."""

from __future__ import annotations

import argparse

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


def _add(group, *flags, **kwargs) -> None:
    group.add_argument(*flags, default=S, **kwargs)


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train",
        help="train a classifier on a folder of labelled photos",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", metavar="YAML", help="YAML file of options (flags win)")
    flag = argparse.BooleanOptionalAction

    data = parser.add_argument_group("data")
    _add(data, "--data", metavar="FOLDER|DATASET", help="class folders, or a HF dataset id")
    _add(data, "--output", metavar="FOLDER", help="where model/, reports/, checkpoints/ go")
    _add(data, "--image-column", help="HF dataset image column (default: image)")
    _add(data, "--label-column", help="HF dataset label column (default: label)")
    _add(data, "--dataset-config", help="HF dataset configuration name")
    _add(data, "--val-fraction", type=float, help="validation share when no val/ (default 0.1)")
    _add(data, "--test-fraction", type=float, help="test share when no test/ (default 0.1)")
    _add(data, "--max-samples", type=int, help="use at most N images per split (quick trials)")
    _add(data, "--cache-images", action=flag, help="decode images once into memory (default: "
         "when they fit)")  # fmt: skip

    model = parser.add_argument_group("model")
    _add(model, "--model", help="hub id or local HF model folder (default apple/mobilevit-small)")
    _add(model, "--from-scratch", choices=("xx-small", "x-small", "small"),
         help="random MobileViT of this size instead of pretrained weights")  # fmt: skip
    _add(model, "--image-size", type=int, help="input resolution (default: the model's)")
    _add(model, "--train-image-size", type=int,
         help="resolution of training crops (default: --image-size); a little lower than "
         "--image-size trains faster and tests well (FixRes)")  # fmt: skip

    optim = parser.add_argument_group("optimisation")
    _add(optim, "--epochs", type=int, help="maximum epochs (default 10)")
    _add(optim, "--batch-size", type=int, help="per-device batch size (default 32)")
    _add(optim, "--eval-batch-size", type=int, help="default: twice --batch-size")
    _add(optim, "--learning-rate", "--lr", dest="learning_rate", type=float,
         help="peak AdamW learning rate (default 3e-4)")  # fmt: skip
    _add(optim, "--weight-decay", type=float, help="AdamW weight decay (default 0.05)")
    _add(optim, "--scheduler", choices=("cosine", "linear", "constant"), help="default cosine")
    _add(optim, "--warmup-ratio", type=float, help="share of steps for warm-up (default 0.1)")
    _add(optim, "--label-smoothing", type=float, help="default 0.1")
    _add(optim, "--head-epochs", type=int, help="two-phase fine-tuning: head-only epochs first")
    _add(optim, "--backbone-lr-scale", type=float, help="backbone LR = LR x this (default 1)")
    _add(optim, "--early-stopping-patience", "--patience", dest="early_stopping_patience",
         type=int, help="stop after N epochs without improvement; 0 = off (default 5)")  # fmt: skip
    _add(
        optim,
        "--max-minutes",
        type=float,
        help="time budget: stop after the last epoch that fits (the best checkpoint is kept)",
    )
    _add(optim, "--metric", choices=("accuracy", "f1_macro", "balanced_accuracy", "loss"),
         help="validation metric for the best checkpoint and early stopping")  # fmt: skip
    _add(optim, "--seed", type=int, help="seed for splits, init, augmentation (default 42)")

    aug = parser.add_argument_group("augmentation")
    _add(aug, "--crop-scale-min", type=float, help="random resized crop min area (0.35)")
    _add(aug, "--hflip", action=flag, help="random horizontal flips (default on)")
    _add(aug, "--rotation", type=float, help="max rotation in degrees (default 10)")
    _add(aug, "--color-jitter", type=float, help="brightness/contrast/saturation jitter (0.3)")
    _add(aug, "--randaugment-ops", type=int, help="RandAugment ops per image; 0 = off")
    _add(aug, "--randaugment-magnitude", type=int, help="RandAugment magnitude 0-30 (9)")
    _add(aug, "--mixup-alpha", type=float, help="MixUp alpha; 0 = off")
    _add(aug, "--cutmix-alpha", type=float, help="CutMix alpha; 0 = off")
    _add(aug, "--mix-prob", type=float, help="share of batches mixed (default 0.5)")

    distill = parser.add_argument_group("distillation")
    _add(
        distill,
        "--teacher",
        metavar="FOLDER",
        help="distil from this runtime model folder (model.onnx, config.json, "
        "preprocessor_config.json), run through onnxruntime on every training batch",
    )
    _add(
        distill,
        "--teacher-label-map",
        metavar="JSON",
        help="JSON {student label: [teacher class index or name, ...]}; default: equal names",
    )
    _add(
        distill,
        "--distill-alpha",
        type=float,
        help="weight of the teacher's loss; the labels' loss gets 1 - alpha (default 0.5)",
    )
    _add(
        distill,
        "--distill-temperature",
        type=float,
        help="softmax temperature of the distillation loss (default 2)",
    )

    hw = parser.add_argument_group("hardware")
    _add(hw, "--device", choices=("auto", "cpu", "cuda"), help="default: CUDA when present")
    _add(hw, "--precision", choices=("auto", "no", "bf16", "fp16"),
         help="autocast precision; auto = bf16 (or fp16) on GPU, fp32 on CPU")  # fmt: skip
    _add(hw, "--channels-last", action=flag, help="channels-last memory format (default: on GPU)")
    _add(hw, "--compile", action=flag, help="torch.compile the model")
    _add(hw, "--workers", type=int, help="data-loader processes (default 0 on CPU, 8 on GPU)")

    runs = parser.add_argument_group("runs and tracking")
    _add(runs, "--resume", action=flag, help="continue from the last checkpoint in --output")
    _add(runs, "--tracking", action=flag, help="log to MLflow (default on)")
    _add(runs, "--tracking-uri", help="MLflow store or server (default: $MLFLOW_TRACKING_URI, "
         "else ./mlflow.db)")  # fmt: skip
    _add(runs, "--experiment", help="MLflow experiment name (default edgeclass)")
    _add(runs, "--run-name", help="MLflow run name (default: the output folder's name)")
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
