"""Smoke tests of a built bundle: run the frozen executables the way a user would.

- `edgeclass --version` prints the package version;
- `edgeclass --help` offers `classify` and none of the training commands;
- `edgeclass classify DIR --format csv` on generated photos of every common format plus a
  corrupt, an empty and a not-an-image file: the CSV is parsed back, one row per file, the
  right status for each, a known label and a probability for every good photo, exit code 1
  (some files failed); the results equal the installed package's on the same files;
- `edgeclass classify` with no model: a clear error and exit code 3 when no default is bundled,
  the bundled default otherwise;
- `edgeclass-desktop --self-test`: the real window, offscreen, classifies generated images.

Each runs in a scratch directory with PYTHON* and EDGECLASS_* variables removed, so nothing can
leak in from the build environment.

    python packaging/smoke_test.py [dist/edgeclass] [--model DIR]   # prints JSON, exit 1 on failure
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bundle_contents as contents

REPO = Path(__file__).resolve().parent.parent
FIXTURE_MODEL = REPO / "tests" / "fixtures" / "tiny_mobilevit"
TIMEOUT_S = 300
CSV = ("--format", "csv", "--quiet")

# File name -> the status the runtime must give it. Every other generated file must be "ok".
BAD_FILES = {
    "corrupt.jpg": "unreadable",
    "empty.png": "empty_file",
    "notes.jpg": "not_an_image",
}


def write_test_images(folder: Path, count: int = 12) -> list[Path]:
    """Photos in the formats and modes people have (JPEG, PNG with alpha, grey, palette GIF,
    WebP, BMP, TIFF, CMYK JPEG, EXIF-rotated JPEG), then the BAD_FILES. Returns every path."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    kinds = [
        ("jpg", "RGB"),
        ("png", "RGBA"),
        ("png", "L"),
        ("gif", "P"),
        ("webp", "RGB"),
        ("bmp", "RGB"),
        ("tif", "RGB"),
        ("jpg", "CMYK"),
    ]
    paths = []
    for index in range(count):
        ext, mode = kinds[index % len(kinds)]
        width, height = 64 + 37 * index, 48 + 23 * index
        gradient = Image.linear_gradient("L").resize((width, height))
        image = Image.merge("RGB", (gradient, gradient.rotate(90 * index), gradient.transpose(0)))
        if mode == "P":
            image = image.quantize(64)
        elif mode != "RGB":
            image = image.convert(mode)
        path = folder / f"photo_{index:02d}.{ext}"
        if index == 0:
            exif = Image.Exif()
            exif[0x0112] = 6  # orientation: rotate 90 degrees on display
            image.save(path, exif=exif)
        else:
            image.save(path)
        paths.append(path)
    good_jpeg = paths[0].read_bytes()
    (folder / "corrupt.jpg").write_bytes(good_jpeg[: len(good_jpeg) // 3])
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("not a photo, just text with a .jpg name\n")
    return sorted(paths + [folder / name for name in BAD_FILES])


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "EDGECLASS_")) and key != "VIRTUAL_ENV"
    }
    env.update(extra)
    return env


def run(command: list[str], cwd: Path, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    result = subprocess.run(
        command,
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    return result, time.perf_counter() - started


def parse_csv(text: str) -> dict[str, dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return {Path(row["path"]).name: row for row in rows}


def model_labels(model_dir: Path) -> set[str]:
    config = json.loads((model_dir / "config.json").read_text())
    return {str(label) for label in config["id2label"].values()}


def check_classify_csv(
    rows: dict[str, dict[str, str]], files: list[Path], labels: set[str]
) -> list[str]:
    """What is wrong with a classify CSV, given the files it was run on."""
    problems = []
    if len(rows) != len(files):
        problems.append(f"{len(rows)} CSV rows for {len(files)} files")
    for path in files:
        row = rows.get(path.name)
        want = BAD_FILES.get(path.name, "ok")
        if row is None:
            problems.append(f"{path.name}: no CSV row")
            continue
        if row["status"] != want:
            problems.append(f"{path.name}: status {row['status']!r}, expected {want!r}")
        if want == "ok":
            score = float(row["score"]) if row["score"] else -1.0
            if row["label"] not in labels | {"unknown"} or not 0.0 <= score <= 1.0:
                problems.append(f"{path.name}: label {row['label']!r} score {row['score']!r}")
        elif not row["message"]:
            problems.append(f"{path.name}: failed without a message")
    return problems


def compare_with_installed(
    frozen: dict[str, dict[str, str]], folder: Path, model: Path, work: Path
) -> dict:
    """Run the same classification with the installed package (this Python) and compare."""
    probe = subprocess.run(
        [sys.executable, "-c", "import edgeclass.cli.classify"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return {"skipped": "edgeclass is not installed in the build environment"}
    result, _ = run(
        [sys.executable, "-m", "edgeclass", "classify", str(folder), "--model", str(model), *CSV],
        work,
        PYTHONPATH=str(REPO / "src"),
    )
    installed = parse_csv(result.stdout)
    differences = []
    for name, row in installed.items():
        other = frozen.get(name)
        if other is None or other["status"] != row["status"] or other["label"] != row["label"]:
            differences.append(f"{name}: installed {row['status']}/{row['label']}, frozen {other}")
        elif row["score"] and abs(float(row["score"]) - float(other["score"])) > 1e-5:
            differences.append(f"{name}: score {row['score']} vs frozen {other['score']}")
    return {"files": len(installed), "differences": differences}


def smoke(bundle_dir: Path, model: Path | None = None) -> dict:
    """Run every smoke test; returns a JSON-ready summary with `ok` and `problems`."""
    import edgeclass

    cli = str(contents.executable_path(bundle_dir, contents.CLI_NAME))
    desktop = str(contents.executable_path(bundle_dir, contents.DESKTOP_NAME))
    default_model = bundle_dir / contents.CONTENTS_DIR / "edgeclass/resources/models/default"
    has_default = (default_model / "model.onnx").is_file()
    models = [("fixture", FIXTURE_MODEL)] if model is None else [("--model", model)]
    if has_default:
        models.append(("bundled default", None))
    summary: dict = {"bundle": str(bundle_dir), "bundled_default_model": has_default}
    problems: list[str] = []

    with tempfile.TemporaryDirectory(prefix="edgeclass-smoke-") as temp:
        work = Path(temp)
        photos = write_test_images(work / "photos")

        result, seconds = run([cli, "--version"], work)
        summary["version"] = {"stdout": result.stdout.strip(), "seconds": round(seconds, 3)}
        if result.returncode != 0 or result.stdout.strip() != f"edgeclass {edgeclass.__version__}":
            problems.append(f"--version: rc {result.returncode}, {result.stdout!r} {result.stderr}")

        result, _ = run([cli, "--help"], work)
        offered = set(re.findall(r"^\s{4}(\w+)\s", result.stdout, flags=re.MULTILINE))
        summary["commands"] = sorted(offered)
        if "classify" not in offered or offered & {"train", "quantize", "report"}:
            problems.append(f"--help offers {sorted(offered)}; want classify only")

        for name, model_dir in models:
            command = [cli, "classify", str(work / "photos"), "--format", "csv"]
            if model_dir is not None:
                command += ["--model", str(model_dir)]
            result, seconds = run(command, work)
            rows = parse_csv(result.stdout)
            labels = model_labels(model_dir or default_model)
            found = check_classify_csv(rows, photos, labels)
            if result.returncode != 1:  # SOME_FILES_FAILED: the three bad files
                found.append(f"exit code {result.returncode}, expected 1: {result.stderr[-500:]}")
            entry = {
                "files": len(rows),
                "statuses": _count(row["status"] for row in rows.values()),
                "seconds": round(seconds, 3),
                "exit_code": result.returncode,
            }
            if model_dir is not None and not found:
                same = compare_with_installed(rows, work / "photos", model_dir, work)
                entry["vs_installed"] = same
                found += same.get("differences", [])
            summary[f"classify ({name})"] = entry
            problems += [f"classify ({name}): {line}" for line in found]

        if not has_default:
            result, _ = run([cli, "classify", str(work / "photos")], work)
            summary["classify (no model)"] = {
                "exit_code": result.returncode,
                "stderr": result.stderr.strip()[-300:],
            }
            if result.returncode != 3 or "--model" not in result.stderr:
                problems.append(f"classify, no model: rc {result.returncode}, {result.stderr}")

        for name, model_dir in models:
            command = [desktop, "--self-test"]
            if model_dir is not None:
                command += ["--model", str(model_dir)]
            result, seconds = run(command, work, QT_QPA_PLATFORM="offscreen")
            report = _json_object(result.stdout)
            summary[f"desktop self-test ({name})"] = {
                "exit_code": result.returncode,
                "seconds": round(seconds, 3),
                "report": report,
            }
            # Windowed Windows executables have no stdout: there the exit code alone decides.
            if result.returncode != 0 or (report is not None and not report.get("ok")):
                problems.append(
                    f"desktop self-test ({name}): rc {result.returncode}, "
                    f"{result.stdout[-800:]} {result.stderr[-800:]}"
                )

    summary["problems"] = problems
    summary["ok"] = not problems
    return summary


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _json_object(text: str) -> dict | None:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return None
    try:
        return json.loads(text[start : end + 1])
    except json.JSONDecodeError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke-test a built edgeclass bundle.")
    parser.add_argument(
        "bundle", nargs="?", default=str(REPO / "dist" / contents.BUNDLE_NAME), help="bundle dir"
    )
    parser.add_argument("--model", help=f"model folder for the tests (default: {FIXTURE_MODEL})")
    args = parser.parse_args(argv)
    summary = smoke(Path(args.bundle), Path(args.model) if args.model else None)
    print(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
