"""edgeclass.distributed on a local 2-CPU Ray: the same rows as the local runtime, one model load
per actor, files opened by the workers or given to them as bytes."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from scale_helpers import assert_same_rows, bad_files

from edgeclass.runtime import ClassificationResult, Classifier, Status, find_images
from edgeclass.runtime.locate import bundled_model_dir

ray = pytest.importorskip("ray", reason="the scale extra (Ray Data) is not installed")
import edgeclass.distributed as distributed  # noqa: E402


@pytest.fixture(scope="module")
def model_dir():
    return bundled_model_dir()  # the model `classify` uses by default


def _local_rows(model_dir: Path, paths: list) -> list[dict]:
    classifier = Classifier(model_dir, threads=2)
    return [result.to_dict() for result in classifier.classify_paths(paths, top_k=2)]


@pytest.mark.slow
def test_1000_photos_and_bad_files_give_the_local_rows_with_one_model_per_actor(
    local_ray, model_dir, tmp_path, catsdogs_test
):
    photos = find_images([catsdogs_test], recursive=True)
    assert len(photos) == 1000
    files = [*photos, *bad_files(tmp_path / "bad"), tmp_path / "missing.jpg"]
    unlistable = ClassificationResult(
        str(tmp_path / "locked"), Status.PERMISSION_ERROR, message="permission denied"
    )

    classified = distributed.classify_dataset(
        distributed.files_dataset([*files, unlistable]),
        model_dir,
        top_k=2,
        report_model_instance=True,
    )
    rows = classified.take_all()

    loads = Counter(row.pop(distributed.MODEL_INSTANCE_COLUMN) for row in rows)
    # Two actors on two CPUs, each loading the model once (":1"), each doing real work.
    assert len(loads) == 2, loads
    assert all(instance.endswith(":1") for instance in loads), loads
    assert all(count >= 50 for count in loads.values()), loads
    assert_same_rows(rows, [*_local_rows(model_dir, files), unlistable.to_dict()])
    statuses = Counter(row["status"] for row in rows)
    for status in ("too_large", "empty_file", "not_an_image", "not_found", "permission_error"):
        assert statuses[status] == 1, statuses
    exact_names = [row["path"] for row in rows if row["path_base64"]]
    assert [Path(name).name for name in exact_names] == ["caf\\xe9.jpg"]


@pytest.mark.slow
def test_bytes_from_read_binary_files_give_the_local_rows(local_ray, model_dir, tmp_path):
    files = [path for path in bad_files(tmp_path / "bad") if b"\xe9" not in bytes(path)]
    dataset = ray.data.read_binary_files(
        [str(path) for path in files], include_paths=True
    )  # pyarrow's filesystem: UTF-8 names only
    rows = distributed.classify_dataset(dataset, model_dir, top_k=2).take_all()  # default actors

    assert_same_rows(sorted(rows, key=lambda row: row["path"]), _local_rows(model_dir, files))
    assert {row["status"] for row in rows} >= {"ok", "too_large", "empty_file", "not_an_image"}


@pytest.mark.slow
def test_files_dataset_resolves_relative_names_here_and_shows_them_as_given(
    local_ray, model_dir, tmp_path, monkeypatch
):
    """The workers run in another folder (the repository's, here): a relative name reaches them
    absolute; a URI is passed through untouched (and is not a local file)."""
    bad_files(tmp_path / "photos")
    monkeypatch.chdir(tmp_path)
    dataset = distributed.files_dataset(["photos/good.jpg", "s3://bucket/a.jpg", "photos"])
    sent = dataset.take_all()
    assert sent[0]["path"] == b"photos/good.jpg"
    assert sent[0]["open_path"] == bytes(tmp_path / "photos" / "good.jpg")
    assert (sent[1]["path"], sent[1]["open_path"]) == (b"s3://bucket/a.jpg", None)

    rows = distributed.classify_dataset(dataset, model_dir, top_k=2).take_all()
    local = _local_rows(model_dir, [Path(os.fsdecode(row["path"])) for row in sent])
    assert (rows[0]["path"], rows[0]["status"]) == ("photos/good.jpg", "ok")
    assert (rows[1]["path"], rows[1]["status"]) == ("s3://bucket/a.jpg", "not_found")
    assert_same_rows(rows[2:], local[2:])  # the folder's files, good.jpg not twice
    assert len(rows) == len(list((tmp_path / "photos").iterdir())) + 1
