"""Unpack a training run that came back from the lent GPU machine, check it, log it in MLflow.

recipes/device/train_on_device.sh trains with --no-tracking there (the machine has no MLflow)
and returns the run as `run.tar.part-*`. This joins and unpacks them into DEST (model/,
reports/, train_config.yaml), loads the model folder with this machine's transformers, records
one MLflow run with the same params, per-epoch metrics, final metrics and artifacts that a local
`edgeclass train` records, and writes that run's id into model/training_summary.json, so that
`edgeclass quantize DEST/model ...` logs its report into the same run.

    python recipes/device/log_device_run.py FILES_DIR DEST [--tracking-uri URI]
        [--experiment edgeclass-default-model] [--run-name NAME]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from pathlib import Path

from edgeclass.atomic_files import write_json_atomic
from edgeclass.trainer.summarize import log_results, parameter_count
from edgeclass.trainer.tracking import Tracker, run_params
from edgeclass.training_summary import SUMMARY_FILE, MlflowRun, TrainingSummary, read_summary


def unpack(files_dir: Path, dest: Path) -> None:
    parts = sorted(files_dir.glob("run.tar.part-*"))
    if not parts:
        raise SystemExit(f"no run.tar.part-* in {files_dir}: did the device run write its model?")
    data = b"".join(part.read_bytes() for part in parts)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(dest, filter="data")  # no absolute paths, links out, or devices
    log = files_dir / "train.log"
    if log.exists():
        (dest / "train.log").write_bytes(log.read_bytes())


def check_model(model_dir: Path, labels: tuple[str, ...]) -> int:
    from transformers import AutoImageProcessor, MobileViTForImageClassification

    model = MobileViTForImageClassification.from_pretrained(model_dir)
    AutoImageProcessor.from_pretrained(model_dir)
    found = tuple(model.config.id2label[i] for i in range(model.config.num_labels))
    if found != labels:
        raise SystemExit(f"model labels {found} differ from the summary's {labels}")
    return parameter_count(model)


def log_run(
    dest: Path, summary: TrainingSummary, parameters: int, args: argparse.Namespace
) -> Tracker:
    """The same params, tags, per-epoch metrics and artifacts a local `edgeclass train` logs."""
    tracker = Tracker(True, args.tracking_uri, args.experiment, args.run_name or dest.name)
    hardware = summary.hardware
    data = summary.data
    tracker.log_params(
        run_params(
            summary.config,
            model_source=summary.model.source,
            num_parameters=parameters,
            images={"train": data.train, "val": data.val, "test": data.test},
            labels=summary.labels,
            device=hardware.device,
            precision=hardware.precision,
        )
    )
    tracker.set_tags(
        {
            "edgeclass.version": summary.edgeclass_version,
            "hardware": hardware.description,
            "trained_on": "lent GPU machine (recipes/device/train_on_device.sh)",
        }
    )
    for row in summary.training.history:
        epoch_metrics = {key: value for key, value in row.items() if key != "epoch"}
        tracker.log_metrics(epoch_metrics, step=int(row["epoch"]))
    if (dest / "train.log").exists():
        tracker.log_artifact(dest / "train.log", "logs")
    plots = sorted((dest / "reports").glob("*.png"))
    log_results(tracker, dest, dest / "model", summary, plots)
    return tracker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files_dir", type=Path, help="where the device tool put the run's files")
    parser.add_argument("dest", type=Path, help="run folder to create (model/ lands in it)")
    parser.add_argument("--tracking-uri", help="MLflow store (default: MLflow's own default)")
    parser.add_argument("--experiment", default="edgeclass-default-model")
    parser.add_argument("--run-name")
    args = parser.parse_args(argv)

    if (args.dest / "model").exists():
        parser.error(f"{args.dest / 'model'} exists already; pick a new DEST")
    unpack(args.files_dir, args.dest)
    summary = read_summary(args.dest / "model")
    parameters = check_model(args.dest / "model", summary.labels)
    tracker = log_run(args.dest, summary, parameters, args)
    summary = summary.with_mlflow(
        MlflowRun(
            run_id=tracker.run_id, tracking_uri=tracker.tracking_uri, experiment=args.experiment
        )
    )
    write_json_atomic(args.dest / "model" / SUMMARY_FILE, summary.to_dict())
    json.dump(
        {
            "model": str(args.dest / "model"),
            "mlflow_run_id": tracker.run_id,
            "tracking_uri": tracker.tracking_uri,
            "epochs_run": summary.training.epochs_run,
            "evaluated_on": summary.evaluated_on,
            "accuracy": summary.metrics["accuracy"],
            "hardware": summary.hardware.description,
        },
        sys.stdout,
        indent=2,
    )
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
