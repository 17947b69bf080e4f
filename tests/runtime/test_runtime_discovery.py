"""Folder scanning: an unreadable folder is a result, in its place, never a silent gap."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hostile_inputs import nested_folders
from PIL import Image
from unprivileged import open_tmp_dir, run_unprivileged

from edgeclass.runtime import Status
from edgeclass.runtime.discovery import discover, find_images

SCAN = """
import json, sys
from edgeclass.runtime.discovery import discover
found = discover(sys.argv[2:], recursive=sys.argv[1] == "r")
print(json.dumps({
    "items": [[str(i), None, None] if not hasattr(i, "status") else [i.path, i.status.value,
              i.message] for i in found.items],
    "skipped_subfolders": found.skipped_subfolders,
}))
"""


@pytest.fixture
def tree():
    """top/a.jpg, top/locked/ (no permission), top/open/b.png, top/z.jpg; readable by others."""
    with open_tmp_dir() as root:
        top = root / "top"
        for name in ["a.jpg", "locked/hidden.jpg", "open/b.png", "z.jpg"]:
            (top / name).parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (8, 8)).save(top / name)
        (top / "locked").chmod(0o000)
        yield top


def scan_as_user(recursive: bool, *paths: Path) -> dict:
    flag = "r" if recursive else "-"
    proc = run_unprivileged([sys.executable, "-c", SCAN, flag, *map(str, paths)])
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def test_unreadable_sub_folder_in_a_walk_is_a_result_in_its_place(tree):
    found = scan_as_user(True, tree)
    paths = [item[0] for item in found["items"]]
    assert paths == [str(tree / n) for n in ["a.jpg", "z.jpg", "locked", "open/b.png"]]
    _path, status, message = found["items"][2]
    assert status == Status.PERMISSION_ERROR.value
    assert "permission denied" in message


def test_unreadable_folder_named_directly_is_a_result(tree):
    found = scan_as_user(False, tree / "locked", tree / "z.jpg")
    assert found["items"] == [
        [str(tree / "locked"), Status.PERMISSION_ERROR.value, found["items"][0][2]],
        [str(tree / "z.jpg"), None, None],
    ]


def test_skipped_sub_folders_are_counted_without_recursive(tree):
    assert scan_as_user(False, tree)["skipped_subfolders"] == 2
    assert scan_as_user(True, tree)["skipped_subfolders"] == 0


def test_find_images_still_lists_only_files(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ["b.jpg", "a.png", "sub/c.jpg", "notes.txt"]:
        (tmp_path / name).write_bytes(b"x")
    assert find_images([tmp_path]) == [tmp_path / "a.png", tmp_path / "b.jpg"]
    assert discover([tmp_path], recursive=True).files == [
        tmp_path / "a.png",
        tmp_path / "b.jpg",
        tmp_path / "sub" / "c.jpg",
    ]


def test_a_walk_goes_deeper_than_the_recursion_limit(tmp_path):
    top = tmp_path / "top"
    depth = sys.getrecursionlimit() + 100
    Image.new("RGB", (8, 8)).save(tmp_path / "a.jpg")
    with nested_folders(top, depth) as deep, nested_folders(top / "e", 2) as shallow:
        found = discover([tmp_path], recursive=True)
    # Files first, then sub-folders in name order ("d" before "e"), depth first.
    assert found.files == [tmp_path / "a.jpg", deep, shallow]


def test_paths_no_file_can_be_reached_by_are_kept_for_the_classifier(tmp_path):
    loop = tmp_path / "loop.jpg"
    loop.symlink_to(loop.name)
    afile = tmp_path / "afile.jpg"
    afile.write_bytes(b"x")
    names = [
        str(tmp_path / ("n" * 252 + ".jpg")),  # 256 bytes: one part over NAME_MAX
        str(loop),
        str(afile / "inside.jpg"),  # ENOTDIR
        "a\0b.jpg",
    ]
    found = discover(names, recursive=True)
    assert found.items == [Path(name) for name in names]
    assert found.files == find_images(names)
