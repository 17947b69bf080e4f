"""`edgeclass quantize`: trained model folder -> int8 ONNX runtime folder, gated and reported."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from edgeclass.cli.arguments import add_command, probability
from edgeclass.quantize.options import CALIBRATION_METHODS, DEFAULTS, MODES

if TYPE_CHECKING:
    from edgeclass.quantize.pipeline import QuantizeRequest

DESCRIPTION = """\
Export a trained Hugging Face image classifier (the trainer's model folder) to ONNX, quantize
it to int8 (static, calibrated on your images), check it against held-out images, and write a
complete runtime model folder: model.onnx (int8), config.json, preprocessor_config.json,
quantization_report.json/.md and MODEL_CARD.md. The folder is written atomically.

Accuracy gate: if int8 loses more than --max-drop percentage points on --eval, or agrees with
fp32 on fewer than --min-agreement of those images, parts of the network are kept in float (the
layers that add the most noise, or the front of the network; 1, 2, 4, ... layers up to
--max-float-nodes) until both hold. A model within --max-drop is written even when the
agreement target is not reached (the most faithful attempt); one that loses more is not: nothing
is written and the exit code is 5.

Data folders (--calib, --eval) hold one sub-folder per class, named like the model's labels.
"""

EPILOG = """\
exit codes: 0 written, 2 usage or output exists, 3 model error (not a model folder, export
failed), 4 data error (calibration set too small or wrong classes), 5 accuracy gate failed.

example:
  edgeclass quantize runs/cats/model --calib data/train --eval data/test --out runs/cats/int8
"""


# --reduce-range's words for QuantizeOptions.reduce_range (None: decide from the CPU).
REDUCE_RANGE: dict[str, bool | None] = {"auto": None, "on": True, "off": False}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "quantize",
        help="export a trained model to a fast int8 ONNX folder, with an accuracy gate",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument("model_dir", type=Path, metavar="MODEL_DIR", help="trained model folder")
    parser.add_argument(
        "--calib",
        type=Path,
        required=True,
        metavar="DATA",
        help="calibration images, one sub-folder per class (training images are fine)",
    )
    parser.add_argument(
        "--eval",
        type=Path,
        required=True,
        metavar="DATA",
        help="held-out images, one sub-folder per class, for the gate and the report",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="OUT_DIR", help="output folder")
    parser.add_argument(
        "--max-drop",
        type=float,
        default=DEFAULTS.max_drop,
        metavar="POINTS",
        help=f"largest accuracy loss allowed, in percentage points (default {DEFAULTS.max_drop})",
    )
    parser.add_argument(
        "--calibration-method",
        choices=(*CALIBRATION_METHODS, "auto"),
        default=DEFAULTS.calibration,
        help="how activation ranges are set; auto tries all three and keeps the one whose "
        "logits stay closest to fp32 on --eval (3x the calibration work) "
        f"(default {DEFAULTS.calibration})",
    )
    parser.add_argument(
        "--calib-size",
        type=int,
        default=DEFAULTS.calib_size,
        metavar="N",
        help="calibration images to use, split evenly over the classes "
        f"(default {DEFAULTS.calib_size})",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default=DEFAULTS.mode,
        help="static int8 (the fast one) or dynamic (weights only; for comparison) "
        f"(default {DEFAULTS.mode})",
    )
    parser.add_argument(
        "--exclude-nodes",
        nargs="+",
        default=list(DEFAULTS.exclude_nodes),
        metavar="NODE",
        help="ONNX node names to keep in float (the report lists `quantizable_nodes`)",
    )
    parser.add_argument(
        "--max-float-nodes",
        type=int,
        default=DEFAULTS.max_float_nodes,
        metavar="N",
        help="most layers with weights the gate may keep in float, with their activations "
        f"(default {DEFAULTS.max_float_nodes})",
    )
    parser.add_argument(
        "--min-agreement",
        type=probability,
        default=DEFAULTS.min_agreement,
        metavar="RATE",
        help="top-1 agreement with fp32 on --eval that the gate searches for, 0..1 (default "
        f"{DEFAULTS.min_agreement}; 0: stop at the first attempt within --max-drop)",
    )
    parser.add_argument(
        "--reduce-range",
        choices=tuple(REDUCE_RANGE),
        default=next(k for k, v in REDUCE_RANGE.items() if v is DEFAULTS.reduce_range),
        help="7-bit weights, so that the model gives the same answers on every x86 CPU; auto: "
        "on only when this CPU is x86 without VNNI; off: 8-bit weights (default on)",
    )
    parser.add_argument(
        "--no-logit-correction",
        action="store_true",
        help="keep int8's mean logit shift (by default it is measured on the calibration "
        "images and subtracted; see docs/quantize.md)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULTS.threads,
        help=f"threads for the timing in the report (default {DEFAULTS.threads})",
    )
    parser.add_argument(
        "--opset", type=int, default=DEFAULTS.opset, help=f"ONNX opset (default {DEFAULTS.opset})"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace OUT_DIR if it exists")
    parser.add_argument(
        "--no-mlflow",
        action="store_true",
        help="do not log into the training run's MLflow run (logged by default when known)",
    )
    parser.set_defaults(func=run)


def request_from(args: argparse.Namespace) -> QuantizeRequest:
    """The pipeline's request for the parsed command line."""
    from edgeclass.quantize.pipeline import QuantizeRequest

    return QuantizeRequest(
        model_dir=args.model_dir,
        calib_dir=args.calib,
        eval_dir=args.eval,
        out_dir=args.out,
        max_drop=args.max_drop,
        calibration=args.calibration_method,
        mode=args.mode,
        exclude_nodes=tuple(args.exclude_nodes),
        max_float_nodes=args.max_float_nodes,
        min_agreement=args.min_agreement,
        calib_size=args.calib_size,
        opset=args.opset,
        threads=args.threads,
        reduce_range=REDUCE_RANGE[args.reduce_range],
        logit_correction=not args.no_logit_correction,
        overwrite=args.overwrite,
        log_mlflow=not args.no_mlflow,
    )


def run(args: argparse.Namespace) -> int:
    from edgeclass.cli import exit_codes
    from edgeclass.quantize.gate import GateFailed
    from edgeclass.quantize.pipeline import run_quantize

    def progress(message: str) -> None:
        print(f"edgeclass quantize: {message}", file=sys.stderr, flush=True)

    request = request_from(args)
    try:
        outcome = run_quantize(request, progress)
    except GateFailed as error:
        print(f"edgeclass: accuracy gate failed: {error}", file=sys.stderr)
        return exit_codes.GATE_FAILED
    report = outcome.quantization_report
    accuracy, speedup = report.accuracy, report.latency.speedup_batch_1
    print(
        f"wrote {outcome.out_dir}: int8 accuracy {100 * accuracy.int8.accuracy:.2f}% "
        f"(fp32 {100 * accuracy.fp32.accuracy:.2f}%, drop {accuracy.drop_points:.2f} "
        f"points), x{speedup:.2f} faster at batch 1, "
        f"{report.sizes_bytes.int8 / 1e6:.1f} MB"
    )
    if speedup < 1.0:
        print(
            "edgeclass quantize: note: on this CPU the int8 model is slower than fp32 at batch 1 "
            f"(x{speedup:.2f}); small models spend their time in "
            "per-operator overhead, which int8 adds to. See quantization_report.md.",
            file=sys.stderr,
        )
    return exit_codes.OK
