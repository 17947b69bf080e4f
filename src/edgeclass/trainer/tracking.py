"""MLflow tracking: one run per training, resumed runs continue the same MLflow run.

Without --tracking-uri, MLflow's own default applies ($MLFLOW_TRACKING_URI, else a local
`mlflow.db` SQLite store in the working folder, which is what `mlflow ui` opens there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def absolute_tracking_uri(uri: str) -> str:
    """Make a relative local store absolute, so quantize can log to the run from anywhere."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return "sqlite:///" + str(Path(uri[len("sqlite:///") :]).resolve())
    if "://" not in uri:
        return Path(uri).resolve().as_uri()
    return uri


class Tracker:
    """Thin wrapper over the MLflow client; every call is a no-op when tracking is off."""

    def __init__(
        self,
        enabled: bool,
        tracking_uri: str | None,
        experiment: str,
        run_name: str | None,
        run_id: str | None = None,
    ) -> None:
        self.enabled = enabled
        self.run_id: str | None = None
        self.tracking_uri: str | None = None
        if not enabled:
            return
        import mlflow
        from mlflow.tracking import MlflowClient

        uri = absolute_tracking_uri(tracking_uri or mlflow.get_tracking_uri())
        self.tracking_uri = uri
        self.client = MlflowClient(tracking_uri=uri)
        if run_id is None:
            experiment_id = self._experiment_id(experiment)
            run = self.client.create_run(experiment_id, run_name=run_name)
            run_id = run.info.run_id
        else:
            self.client.update_run(run_id, status="RUNNING")
        self.run_id = run_id

    def _experiment_id(self, name: str) -> str:
        existing = self.client.get_experiment_by_name(name)
        if existing is not None:
            return existing.experiment_id
        return self.client.create_experiment(name, artifact_location=self._artifact_root(name))

    def _artifact_root(self, name: str) -> str | None:
        """Artifacts of a local SQLite store go next to it (`<store folder>/mlruns/<name>`).

        MLflow's own default is `./mlruns` in the *current* folder, which scatters artifacts
        wherever a training happened to be started from.
        """
        uri = self.tracking_uri or ""
        if not uri.startswith("sqlite:///"):
            return None
        store = Path(uri[len("sqlite:///") :])
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        return (store.parent / "mlruns" / safe).as_uri()

    def log_params(self, params: Mapping[str, Any]) -> None:
        if not self.enabled:
            return
        from mlflow.entities import Param

        existing = self.client.get_run(self.run_id).data.params
        fresh = [
            Param(key, str(value)[:6000])
            for key, value in params.items()
            if key not in existing  # a resumed run already has its params
        ]
        if fresh:
            self.client.log_batch(self.run_id, params=fresh)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if not self.enabled:
            return
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [
            Metric(key, float(value), now, step or 0)
            for key, value in metrics.items()
            if isinstance(value, (int, float))
        ]
        if batch:
            self.client.log_batch(self.run_id, metrics=batch)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        if self.enabled:
            for key, value in tags.items():
                self.client.set_tag(self.run_id, key, value)

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        if not self.enabled:
            return
        if path.is_dir():
            self.client.log_artifacts(self.run_id, str(path), artifact_path)
        else:
            self.client.log_artifact(self.run_id, str(path), artifact_path)

    def finish(self, status: str = "FINISHED") -> None:
        if self.enabled and self.run_id:
            self.client.set_terminated(self.run_id, status=status)


def run_params(
    config: Mapping[str, Any],
    *,
    model_source: str | None,
    num_parameters: int,
    images: Mapping[str, int],
    labels: Sequence[str],
    device: str,
    precision: str,
) -> dict[str, Any]:
    """A training run's MLflow params: every option that is set, plus what the run was made of."""
    return {
        **{key: value for key, value in config.items() if value is not None},
        "model_source": model_source,
        "num_parameters": num_parameters,
        "train_images": images["train"],
        "val_images": images["val"],
        "test_images": images["test"],
        "labels": ",".join(labels),
        "device": device,
        "precision": precision,
    }


def flatten(prefix: str, values: Mapping[str, Any]) -> dict[str, float]:
    """{"f1_per_class": {"cat": 0.9}} -> {"test_f1_cat": 0.9}: MLflow metrics are flat."""
    flat: dict[str, float] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            for sub, inner in value.items():
                if isinstance(inner, (int, float)):
                    flat[f"{prefix}{key.replace('_per_class', '')}_{_safe(sub)}"] = float(inner)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[f"{prefix}{key}"] = float(value)
    return flat


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in str(name))
