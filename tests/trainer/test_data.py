"""Finding labelled images: folders, pre-split folders, HF datasets, splits, bad data."""

from __future__ import annotations

import logging
import random
import shutil

import pytest
from trainer_data import draw_image, make_folder

from edgeclass.errors import DataError
from edgeclass.trainer.data import load_data, stratified_split


def test_folder_scan_is_sorted_with_classes_from_folder_names(tmp_path):
    data = make_folder(tmp_path / "data", per_class=10)
    (data / "red_circle" / "UPPER.JPG").write_bytes(
        (data / "red_circle").glob("*.jpg").__next__().read_bytes()
    )
    (data / "red_circle" / "notes.txt").write_text("not an image")
    splits = load_data(str(data), val_fraction=0.2, test_fraction=0.2, seed=1)
    assert splits.labels == ("blue_stripes", "green_square", "red_circle")
    every = splits.train + splits.val + splits.test
    assert len(every) == 31  # .JPG counted, .txt ignored
    assert sum(s.path.name == "UPPER.JPG" for s in every) == 1
    for part in (splits.train, splits.val, splits.test):
        assert [str(s.path) for s in part] == sorted(str(s.path) for s in part)
    # Stratified: every class in every split, in proportion.
    assert splits.summary()["val_per_class"] == {
        "blue_stripes": 2,
        "green_square": 2,
        "red_circle": 2,
    }


def test_splits_are_repeatable_with_a_seed_and_change_with_another(tmp_path):
    data = make_folder(tmp_path / "data", per_class=20)
    a = load_data(str(data), seed=3)
    b = load_data(str(data), seed=3)
    c = load_data(str(data), seed=4)
    assert [s.path for s in a.val] == [s.path for s in b.val]
    assert [s.path for s in a.val] != [s.path for s in c.val]
    assert not {s.path for s in a.train} & {s.path for s in a.test}


def test_pre_split_folders_are_used_as_given_and_duplicates_warned(tmp_path, caplog):
    root = tmp_path / "data"
    make_folder(root / "train", per_class=8, seed=0)
    make_folder(root / "val", per_class=3, seed=1)
    make_folder(root / "test", per_class=3, seed=2)
    leaked = next((root / "train" / "red_circle").glob("*.jpg"))
    shutil.copy(leaked, root / "test" / "red_circle" / "copy_of_train_image.jpg")
    with caplog.at_level(logging.WARNING):
        splits = load_data(str(root))
    assert (len(splits.train), len(splits.val), len(splits.test)) == (24, 9, 10)
    assert splits.split_origin == "folders train/val/test"
    assert splits.duplicates == 1
    assert "more than one split" in caplog.text and "copy_of_train_image.jpg" in caplog.text


def test_missing_val_split_is_carved_from_train(tmp_path):
    root = tmp_path / "data"
    make_folder(root / "train", per_class=10)
    make_folder(root / "test", per_class=2, seed=5)
    splits = load_data(str(root), val_fraction=0.2)
    assert len(splits.val) == 6 and len(splits.train) == 24 and len(splits.test) == 6


def test_max_samples_caps_each_split_keeping_classes(tmp_path):
    data = make_folder(tmp_path / "data", per_class=30)
    splits = load_data(str(data), max_samples=12)
    assert len(splits.train) == 12
    assert set(splits.summary()["train_per_class"].values()) == {4}


def test_unreadable_files_are_skipped_and_counted(tmp_path):
    data = make_folder(tmp_path / "data", per_class=6)
    (data / "blue_stripes" / "broken.png").write_bytes(b"\x89PNG garbage")
    (data / "blue_stripes" / "empty.jpg").write_bytes(b"")
    splits = load_data(str(data))
    assert splits.skipped == 2
    assert len(splits.train + splits.val + splits.test) == 18


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="data folder not found"):
        load_data(str(tmp_path / "nope" / "photos"))


def test_a_single_class_is_a_clear_error(tmp_path):
    data = make_folder(tmp_path / "data", per_class=5, classes=("red_circle",))
    with pytest.raises(DataError, match=r"at least two class sub-folders.*only 'red_circle'"):
        load_data(str(data))


def test_an_empty_class_is_a_clear_error(tmp_path):
    data = make_folder(tmp_path / "data", per_class=5, classes=("red_circle", "green_square"))
    (data / "blue_stripes").mkdir()
    (data / "blue_stripes" / "readme.txt").write_text("no images here")
    with pytest.raises(DataError, match=r"'.*blue_stripes' has no readable images"):
        load_data(str(data))


def test_cli_exit_code_and_message_for_bad_data(tmp_path, capsys):
    from edgeclass.cli.main import main

    data = make_folder(tmp_path / "data", per_class=3, classes=("red_circle",))
    code = main(["train", "--data", str(data), "--output", str(tmp_path / "out"), "--no-tracking"])
    assert code == 4
    assert "data error" in capsys.readouterr().err
    assert not (tmp_path / "out" / "model").exists()


def test_stratified_split_takes_the_fraction_of_each_class(tmp_path):
    from edgeclass.trainer.data import Sample

    samples = [Sample(label=i % 2, name=str(i)) for i in range(40)]
    keep, taken = stratified_split(samples, 0.25, random.Random(0))
    assert len(taken) == 10 and sum(s.label for s in taken) == 5
    assert len(keep) == 30


def test_hugging_face_dataset_from_local_parquet_files(tmp_path):
    """The `datasets.load_dataset` path, fed from local parquet files (no hub here)."""
    import io

    import datasets

    rng = random.Random(0)
    rows = {"picture": [], "kind": []}
    for label, kind in enumerate(("red_circle", "green_square")):
        for _ in range(10):
            buffer = io.BytesIO()
            draw_image(kind, rng).save(buffer, format="PNG")
            rows["picture"].append({"bytes": buffer.getvalue(), "path": None})
            rows["kind"].append(label)
    features = datasets.Features(
        {"picture": datasets.Image(), "kind": datasets.ClassLabel(names=["circle", "square"])}
    )
    folder = tmp_path / "hf"
    (folder / "data").mkdir(parents=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(
        str(folder / "data" / "train-00000-of-00001.parquet")
    )
    splits = load_data(str(folder), image_column="picture", label_column="kind", seed=0)
    assert splits.labels == ("circle", "square")
    assert len(splits.train) + len(splits.val) + len(splits.test) == 20
    image = splits.train[0].open()
    assert image.mode == "RGB" and image.size[0] > 30

    with pytest.raises(DataError, match="no column 'image'"):
        load_data(str(folder), label_column="kind")
