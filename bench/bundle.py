"""Bundle benchmark: size on disk, and the frozen CLI against the installed package, side by side.

Measures, in one run, interleaving frozen and installed so machine noise hits both alike:
- the bundle's size on disk (bytes allocated, like `du`);
- `edgeclass --version` wall time (start-up), frozen vs installed (`.venv/bin/edgeclass`);
- `edgeclass classify` on 100 generated photos (CSV to a file), frozen vs installed;
- `edgeclass-desktop --self-test` (start Qt offscreen, classify 5 images, quit), same.
Medians over --repeats runs, after one warm-up each. Prints one JSON object with the ratios
and the targets (bundle <= 150 MiB, frozen start-up <= 1.5x installed).

    python bench/bundle.py [--bundle dist/edgeclass] [--model DIR] [--images 100] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "packaging"))

import bundle_contents as contents  # noqa: E402

STARTUP_RATIO_TARGET = 1.5


def write_photos(folder: Path, count: int) -> None:
    """`count` photo-sized JPEGs (640x480, smooth gradients plus noise, like camera output)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    y, x = np.mgrid[0:480, 0:640]
    for index in range(count):
        base = np.stack([x * (index % 7 + 1), y * (index % 5 + 1), x + y], axis=-1) % 256
        noisy = base + rng.normal(0, 12, size=base.shape)
        pixels = np.clip(noisy, 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"photo_{index:03d}.jpg", quality=90)


def installed_command() -> list[str]:
    script = Path(sys.executable).parent / ("edgeclass.exe" if os.name == "nt" else "edgeclass")
    return [str(script)] if script.exists() else [sys.executable, "-m", "edgeclass"]


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-1000:]}")
    return elapsed


def side_by_side(
    commands: dict[str, list[str]], repeats: int, cwd: Path, env: dict[str, str]
) -> dict[str, dict[str, float]]:
    """Median and min seconds per command, runs interleaved (A B A B ...) after a warm-up."""
    for command in commands.values():
        timed(command, cwd, env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            samples[name].append(timed(command, cwd, env))
    return {
        name: {"median_s": round(statistics.median(s), 4), "min_s": round(min(s), 4)}
        for name, s in samples.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default=str(REPO / "dist" / contents.BUNDLE_NAME))
    parser.add_argument("--model", help="model folder (default: bundled default, else fixture)")
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7, help="runs of --version per side")
    parser.add_argument("--classify-repeats", type=int, default=3, help="classify runs per side")
    args = parser.parse_args(argv)

    bundle = Path(args.bundle)
    frozen = str(contents.executable_path(bundle, contents.CLI_NAME))
    if not Path(frozen).exists():
        print(f"bench/bundle.py: no bundle at {bundle} (build it first)", file=sys.stderr)
        return 2
    default = bundle / contents.CONTENTS_DIR / "edgeclass/resources/models/default"
    if args.model:
        model = Path(args.model).resolve()
    elif (default / "model.onnx").is_file():
        model = default
    else:
        model = REPO / "tests" / "fixtures" / "tiny_mobilevit"
    installed = installed_command()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGECLASS_")}

    allocated, apparent = contents.size_on_disk(bundle)
    with tempfile.TemporaryDirectory(prefix="edgeclass-bench-") as temp:
        work = Path(temp)
        write_photos(work / "photos", args.images)
        startup = side_by_side(
            {"frozen": [frozen, "--version"], "installed": [*installed, "--version"]},
            args.repeats,
            work,
            env,
        )
        classify_args = ["classify", str(work / "photos"), "--model", str(model)]
        classify_args += ["--format", "csv", "--quiet", "--output", str(work / "out.csv")]
        classify = side_by_side(
            {"frozen": [frozen, *classify_args], "installed": [*installed, *classify_args]},
            args.classify_repeats,
            work,
            env,
        )
        rows = (work / "out.csv").read_text().count("\n") - 1
        desktop_frozen = str(contents.executable_path(bundle, contents.DESKTOP_NAME))
        self_test = ["--self-test", "--model", str(model)]
        desktop = side_by_side(
            {
                "frozen": [desktop_frozen, *self_test],
                "installed": [sys.executable, "-m", "edgeclass.desktop", *self_test],
            },
            args.classify_repeats,
            work,
            {**env, "QT_QPA_PLATFORM": "offscreen"},
        )

    startup_ratio = startup["frozen"]["median_s"] / startup["installed"]["median_s"]
    classify_ratio = classify["frozen"]["median_s"] / classify["installed"]["median_s"]
    size_mib = allocated / 2**20
    print(
        json.dumps(
            {
                "bench": "bundle",
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "bundle": str(bundle),
                "size_on_disk_bytes": allocated,
                "size_on_disk_mib": round(size_mib, 1),
                "size_on_disk_mb": round(allocated / 1e6, 1),
                "apparent_size_bytes": apparent,
                "size_target_mib": contents.SIZE_TARGET_MIB,
                "size_within_target": size_mib <= contents.SIZE_TARGET_MIB,
                "installed_command": " ".join(installed),
                "version_startup": startup,
                "startup_ratio_frozen_vs_installed": round(startup_ratio, 3),
                "startup_ratio_target": STARTUP_RATIO_TARGET,
                "startup_within_target": startup_ratio <= STARTUP_RATIO_TARGET,
                "model": str(model),
                "images": args.images,
                "rows_written": rows,
                "classify": classify,
                "classify_ratio_frozen_vs_installed": round(classify_ratio, 3),
                "frozen_images_per_s": round(args.images / classify["frozen"]["median_s"], 1),
                "installed_images_per_s": round(args.images / classify["installed"]["median_s"], 1),
                "desktop_self_test": desktop,
                "desktop_self_test_ratio_frozen_vs_installed": round(
                    desktop["frozen"]["median_s"] / desktop["installed"]["median_s"], 3
                ),
                "repeats": {"version": args.repeats, "classify": args.classify_repeats},
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
