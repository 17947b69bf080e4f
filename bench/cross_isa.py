"""How much do an int8 model's results move on a CPU with other int8 instructions?

onnxruntime picks its int8 kernels by CPUID: AMX, AVX512-VNNI, AVX-VNNI, AVX512BW or AVX2 (whose
u8s8 `vpmaddubsw` can saturate), so the same model gives slightly different logits on other
CPUs. This runs one model folder over a labelled folder (label/photo) natively, then under
QEMU's user-mode emulation of an AVX2-only CPU (Debian's qemu-user; no AVX-512, no VNNI), and
compares the two: accuracy, per-class correct counts, predictions that flip, largest probability
change. Emulation is slow (about 0.5 s a photo) and says nothing about speed; --limit takes the
first N photos of each label.

    python bench/cross_isa.py [--model DIR] [--data DIR] [--cpu Haswell] [--limit N]

Prints one JSON object. Needs `qemu-x86_64` on the PATH (apt-get install qemu-user).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CATSDOGS_TEST = REPO.parent / "shared" / "data" / "catsdogs" / "test"


def photos_of(data: Path, limit: int | None) -> list[tuple[str, Path]]:
    from edgeclass.runtime import find_images

    labelled = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        found = sorted(find_images([folder]))
        labelled += [(folder.name, Path(path)) for path in found[:limit]]
    return labelled


def predict(model: str | None, data: Path, limit: int | None, out: Path) -> None:
    """The worker: one row per photo (truth, path, probabilities by label) into `out`."""
    from edgeclass.runtime import Classifier

    classifier = Classifier(model, threads=1)
    labelled = photos_of(data, limit)
    rows = []
    results = classifier.classify_paths([p for _, p in labelled], top_k=len(classifier.labels))
    for (truth, path), result in zip(labelled, results, strict=True):
        rows.append(
            {"truth": truth, "path": path.name, "probabilities": dict(result.top_k)}
            if result.ok
            else {"truth": truth, "path": path.name, "error": result.message}
        )
    out.write_text(json.dumps(rows))


def summary(rows: list[dict]) -> dict:
    per_class: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = per_class.setdefault(row["truth"], {"images": 0, "correct": 0})
        counts["images"] += 1
        counts["correct"] += _top1(row) == row["truth"]
    correct = sum(c["correct"] for c in per_class.values())
    return {"accuracy": correct / max(len(rows), 1), "correct": correct, "per_class": per_class}


def _top1(row: dict) -> str | None:
    probabilities = row.get("probabilities")
    return max(probabilities, key=probabilities.get) if probabilities else None


def compare(native: list[dict], emulated: list[dict]) -> dict:
    flips = [
        {"path": a["path"], "truth": a["truth"], "native": _top1(a), "emulated": _top1(b)}
        for a, b in zip(native, emulated, strict=True)
        if _top1(a) != _top1(b)
    ]
    changes = [
        abs(a["probabilities"][label] - b["probabilities"][label])
        for a, b in zip(native, emulated, strict=True)
        if "probabilities" in a and "probabilities" in b
        for label in a["probabilities"]
    ]
    return {
        "flips": flips,
        "max_abs_probability_change": max(changes, default=0.0),
        "mean_abs_probability_change": sum(changes) / max(len(changes), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder (default: the bundled default model)")
    parser.add_argument("--data", type=Path, default=CATSDOGS_TEST, help="label/photo folders")
    parser.add_argument("--cpu", default="Haswell", help="QEMU CPU model to emulate")
    parser.add_argument("--limit", type=int, help="first N photos of each label")
    parser.add_argument("--predict-to", type=Path, help=argparse.SUPPRESS)  # worker mode
    args = parser.parse_args()
    if args.predict_to is not None:
        predict(args.model, args.data, args.limit, args.predict_to)
        return 0
    qemu = shutil.which("qemu-x86_64")
    if qemu is None or not args.data.is_dir():
        print(json.dumps({"skipped": "needs qemu-x86_64 (qemu-user) and the photos"}))
        return 0

    from edgeclass.quantize.sysinfo import cpu_info, tool_versions

    worker = [sys.executable, __file__, "--data", str(args.data)]
    worker += ["--model", args.model] if args.model else []
    worker += ["--limit", str(args.limit)] if args.limit else []
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as work:
        native_out, emulated_out = Path(work) / "native.json", Path(work) / "emulated.json"
        subprocess.run([*worker, "--predict-to", native_out], check=True, env=env, timeout=3600)
        subprocess.run(
            [qemu, "-cpu", args.cpu, *worker, "--predict-to", emulated_out],
            check=True,
            env=env,
            stderr=subprocess.DEVNULL,  # QEMU's warnings about host features TCG lacks
            timeout=6 * 3600,
        )
        native = json.loads(native_out.read_text())
        emulated = json.loads(emulated_out.read_text())
    cpu = cpu_info()
    print(
        json.dumps(
            {
                "model": args.model or "bundled default",
                "photos": len(native),
                "native": {
                    "cpu": cpu["model"],
                    "isa": [flag for flag, present in cpu["isa"].items() if present],
                    **summary(native),
                },
                "emulated": {"qemu_cpu": args.cpu, **summary(emulated)},
                **compare(native, emulated),
                "onnxruntime": tool_versions()["onnxruntime"],
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
