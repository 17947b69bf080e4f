"""Post-build check of a PyInstaller bundle: fails when an excluded package slipped in, a needed
one is missing, or (Linux) a shipped binary cannot find a library it links to.

    python packaging/check_bundle.py [dist/edgeclass]      # prints JSON, exit 1 on problems
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bundle_contents as contents

REPO = Path(__file__).resolve().parent.parent


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def unresolved_libraries(bundle_dir: Path) -> list[str]:
    """Linux: `ldd` every ELF file in the bundle; report libraries nobody can find.

    Libraries the bundle leaves to the host (contents.HOST_LIBS_LINUX) may be absent on a
    build machine (no Wayland here), so those are not counted; anything else "not found" is a
    dependency the spec pruned by mistake.
    """
    if not sys.platform.startswith("linux") or shutil.which("ldd") is None:
        return []
    internal = bundle_dir / contents.CONTENTS_DIR
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    missing: set[str] = set()
    for dirpath, _dirnames, filenames in os.walk(bundle_dir):
        for filename in filenames:
            path = Path(dirpath) / filename
            if path.is_symlink() or not _is_elf(path):
                continue
            result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
            for line in result.stdout.splitlines():
                name = line.split("=>")[0].strip()
                if "not found" in line and name not in contents.HOST_LIBS_LINUX:
                    missing.add(f"{path.relative_to(bundle_dir).as_posix()}: {name} not found")
    return sorted(missing)


def glibc_required(bundle_dir: Path) -> str | None:
    """Linux: the newest GLIBC symbol version any shipped binary needs (the distro floor)."""
    if not sys.platform.startswith("linux") or shutil.which("objdump") is None:
        return None
    newest: tuple[int, ...] = ()
    for dirpath, _dirnames, filenames in os.walk(bundle_dir):
        for filename in filenames:
            path = Path(dirpath) / filename
            if path.is_symlink() or not _is_elf(path):
                continue
            out = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True)
            for match in re.finditer(r"GLIBC_(\d+(?:\.\d+)+)", out.stdout):
                newest = max(newest, tuple(int(part) for part in match.group(1).split(".")))
    return ".".join(map(str, newest)) or None


def dangling_symlinks(bundle_dir: Path) -> list[str]:
    return [
        Path(dirpath, name).relative_to(bundle_dir).as_posix()
        for dirpath, dirnames, filenames in os.walk(bundle_dir)
        for name in dirnames + filenames
        if Path(dirpath, name).is_symlink() and not Path(dirpath, name).exists()
    ]


def check(bundle_dir: Path) -> dict:
    """Everything the check found, as a JSON-ready dict with `ok` and `problems`."""
    inv = contents.inventory(bundle_dir)
    problems = contents.problems(inv)
    problems += [f"unresolved library: {line}" for line in unresolved_libraries(bundle_dir)]
    problems += [f"dangling symlink: {link}" for link in dangling_symlinks(bundle_dir)]
    allocated, apparent = contents.size_on_disk(bundle_dir)
    model_dir = inv.contents_dir / "edgeclass" / "resources" / "models" / "default"
    return {
        "ok": not problems,
        "bundle": str(bundle_dir),
        "files": len(inv.files),
        "modules": len(inv.modules),
        "size_on_disk_bytes": allocated,
        "size_on_disk_mib": round(allocated / 2**20, 1),
        "apparent_size_bytes": apparent,
        "size_target_mib": contents.SIZE_TARGET_MIB,
        "bundled_default_model": (model_dir / "model.onnx").is_file(),
        "glibc_required": glibc_required(bundle_dir),
        "largest_files": [
            {"path": path, "mib": round(size / 2**20, 2)}
            for path, size in contents.largest_files(bundle_dir, 12)
        ],
        "problems": problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "bundle",
        nargs="?",
        default=str(REPO / "dist" / contents.BUNDLE_NAME),
        help="the onedir bundle folder (default: dist/edgeclass)",
    )
    args = parser.parse_args(argv)
    bundle_dir = Path(args.bundle)
    if not bundle_dir.is_dir():
        print(f"check_bundle: no bundle at {bundle_dir}", file=sys.stderr)
        return 2
    report = check(bundle_dir)
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
