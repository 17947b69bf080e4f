"""`edgeclass explain`: an occlusion heat map of why the model gave a photo its label.
Stdlib only at module level."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from edgeclass.cli import exit_codes
from edgeclass.cli.arguments import add_command, add_model_option, positive_int
from edgeclass.errors import EdgeclassError

if TYPE_CHECKING:
    from PIL import Image

DESCRIPTION = """\
Show where in a photo the evidence for its label lies. A grey patch (the image's mean colour)
is slid over the model's input, and the drop of the label's probability when each region is
hidden becomes the heat; the map is drawn over the photo as the model sees it (resized and
centre-cropped) and written to --output.

Bright means: hiding this region costs the label much. It does not say what there the model
reacts to, and evidence spread over the whole photo (a colour, a texture) makes no hot spot.
"""

EPILOG = """\
exit codes: 0 written; 1 the image could not be read; 2 bad command line or unwritable output;
3 model missing or broken; 130 interrupted.

examples:
  edgeclass explain photo.jpg -o heat.png
  edgeclass explain photo.jpg -o heat.png --label dog --format json
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "explain",
        help="draw a heat map of where a photo's label comes from (occlusion)",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument("image", metavar="IMAGE", help="the photo")
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="heat map image (.png, .jpg, .webp)"
    )
    add_model_option(parser)
    parser.add_argument(
        "-l", "--label", metavar="LABEL", help="explain this label (default: the predicted one)"
    )
    parser.add_argument(
        "--patch",
        type=positive_int,
        metavar="PX",
        help="side of the hiding patch on the model's input (default: 2/11 of the input side)",
    )
    parser.add_argument(
        "--stride",
        type=positive_int,
        metavar="PX",
        help="step between patch positions (default: half the patch)",
    )
    parser.add_argument(
        "--size",
        type=positive_int,
        default=512,
        metavar="PX",
        help="longer side of the written image (default: 512)",
    )
    parser.add_argument(
        "-f",
        "--format",
        choices=("table", "json"),
        default="table",
        help="stdout: one line (table), or JSON with the heat map as numbers (rows of the "
        "model's input)",
    )
    parser.add_argument("--threads", type=positive_int, metavar="N", help="onnxruntime threads")
    parser.set_defaults(func=run)


def _check_output(output: Path) -> None:
    from PIL import Image

    if output.suffix.lower() not in Image.registered_extensions():
        raise EdgeclassError(f"--output {output}: unknown image type {output.suffix!r}; use .png")
    if output.is_dir():
        raise EdgeclassError(f"--output {output} is a folder; give a file name")
    if not output.parent.is_dir():
        raise EdgeclassError(f"--output {output}: folder {output.parent} does not exist")
    if not os.access(output.parent, os.W_OK):
        raise EdgeclassError(f"--output {output}: folder {output.parent} is not writable")


def _save_atomically(image: Image.Image, output: Path) -> None:
    from edgeclass.atomic_files import atomic_write

    with atomic_write(output, binary=True) as stream:
        image.save(stream, format=_format_for(output))


def _format_for(output: Path) -> str:
    from PIL import Image

    return Image.registered_extensions()[output.suffix.lower()]


def run(args: argparse.Namespace) -> int:
    from edgeclass.cli.steps import interrupt_sets
    from edgeclass.errors import Cancelled
    from edgeclass.runtime import Classifier, ImageLoadError, resolve_model_dir
    from edgeclass.runtime.heatmap import overlay
    from edgeclass.runtime.occlusion import explain_file

    output = Path(args.output)
    _check_output(output)
    classifier = Classifier(resolve_model_dir(args.model), threads=args.threads)
    if args.label is not None and args.label not in classifier.labels:
        raise EdgeclassError(
            f"--label {args.label}: the model's labels are {', '.join(classifier.labels)}"
        )
    stride = args.stride or (args.patch // 2 if args.patch else None)
    cancel = threading.Event()
    try:
        with interrupt_sets(cancel):
            result = explain_file(
                classifier,
                args.image,
                label=args.label,
                patch=args.patch,
                stride=max(1, stride) if stride else None,
                cancel=cancel,
            )
    except ImageLoadError as error:  # decoded and resized as `edgeclass classify` does
        print(f"edgeclass: {args.image}: {error.status.value}: {error.message}", file=sys.stderr)
        return exit_codes.SOME_FILES_FAILED
    except Cancelled:
        print("edgeclass: interrupted; nothing written", file=sys.stderr)
        return exit_codes.INTERRUPTED
    try:
        _save_atomically(overlay(result.view, result.heat, size=args.size), output)
    except OSError as error:
        raise EdgeclassError(f"cannot write {output}: {error.strerror or error}") from error
    if args.format == "json":
        print(
            json.dumps(
                {
                    "image": args.image,
                    "output": str(output),
                    "label": result.label,
                    "probability": result.probability,
                    "patch": result.patch,
                    "stride": result.stride,
                    "heat": [[round(float(v), 6) for v in row] for row in result.heat],
                }
            )
        )
    else:
        print(f"{args.image}: {result.label} {result.probability:.3f}; heat map in {output}")
    return exit_codes.OK
