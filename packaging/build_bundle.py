"""Build the edgeclass bundle and prove it works: PyInstaller with build.spec, then the contents
check (no excluded package, every needed one, no unresolved library), the size budget, and the
smoke tests of the frozen executables. Prints one JSON summary; exits 1 on any failure.

    python packaging/build_bundle.py               # -> dist/edgeclass/ (macOS: + Edgeclass.app)
    python packaging/build_bundle.py --skip-build  # check and smoke-test an existing bundle
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bundle_contents as contents
import check_bundle
import smoke_test

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "build.spec"
DIST = REPO / "dist"
WORK = REPO / "build" / "pyinstaller"


def build(clean: bool, default_model: str | None) -> tuple[int, float, str]:
    """Run PyInstaller on the spec; returns (exit code, seconds, tail of its log)."""
    env = dict(os.environ)
    if default_model:
        env["EDGECLASS_BUNDLE_DEFAULT_MODEL"] = str(Path(default_model).resolve())
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    command += ["--distpath", str(DIST), "--workpath", str(WORK)]
    if clean:
        command.append("--clean")
    command.append(str(SPEC))
    print(f"build_bundle: {' '.join(command)}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    log = (result.stdout + result.stderr).splitlines()
    # "Library not found" warnings are about the Qt plugins the spec cuts afterwards.
    log = [line for line in log if "Library not found" not in line]
    return result.returncode, time.perf_counter() - started, "\n".join(log[-40:])


def model_bytes(bundle_dir: Path) -> int:
    default = bundle_dir / contents.CONTENTS_DIR / "edgeclass" / "resources" / "models"
    return contents.size_on_disk(default)[0] if default.exists() else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true", help="reuse dist/edgeclass as it is")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    parser.add_argument("--no-smoke", action="store_true", help="build and check only")
    parser.add_argument("--model", help="model folder for the smoke tests (default: test fixture)")
    parser.add_argument(
        "--default-model",
        metavar="DIR",
        help="bundle DIR as the default model instead of src/edgeclass/resources/models/default",
    )
    parser.add_argument(
        "--nice", type=int, default=10, help="CPU niceness of the build (default: 10; 0 = none)"
    )
    args = parser.parse_args(argv)
    if args.nice and hasattr(os, "nice"):
        os.nice(args.nice)

    bundle_dir = DIST / contents.BUNDLE_NAME
    summary: dict = {"bundle": str(bundle_dir), "platform": sys.platform}
    problems: list[str] = []

    if not args.skip_build:
        refused = contents.broken_qt_binding(contents.installed_qt_bindings())
        if refused:
            summary.update(ok=False, problems=[refused])
            print(json.dumps(summary, indent=2))
            return 1
        code, seconds, log = build(args.clean, args.default_model)
        summary["build_seconds"] = round(seconds, 1)
        if code != 0:
            summary.update(ok=False, problems=[f"PyInstaller failed (exit {code})"], log=log)
            print(json.dumps(summary, indent=2))
            return 1
    if not bundle_dir.is_dir():
        summary.update(ok=False, problems=[f"no bundle at {bundle_dir}"])
        print(json.dumps(summary, indent=2))
        return 1

    report = check_bundle.check(bundle_dir)
    problems += report["problems"]
    app_bytes = report["size_on_disk_bytes"] - model_bytes(bundle_dir)
    summary.update(
        size_on_disk_mib=report["size_on_disk_mib"],
        size_on_disk_bytes=report["size_on_disk_bytes"],
        size_without_model_mib=round(app_bytes / 2**20, 1),
        size_target_mib=contents.SIZE_TARGET_MIB,
        files=report["files"],
        frozen_modules=report["modules"],
        bundled_default_model=report["bundled_default_model"],
        glibc_required=report["glibc_required"],
        largest_files=report["largest_files"][:8],
    )
    if app_bytes > contents.SIZE_TARGET_MIB * 2**20:
        problems.append(
            f"bundle is {app_bytes / 2**20:.1f} MiB without its model, "
            f"over the {contents.SIZE_TARGET_MIB:.0f} MiB budget"
        )
    if sys.platform == "darwin":
        summary["macos_app"] = str(DIST / contents.MACOS_APP_NAME)

    if not args.no_smoke:
        smoke = smoke_test.smoke(bundle_dir, Path(args.model) if args.model else None)
        summary["smoke"] = smoke
        problems += smoke["problems"]

    summary["problems"] = problems
    summary["ok"] = not problems
    print(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
