"""Classify images on a Ray cluster with Ray Data (`pip install 'edgeclass[scale]'`).

The runtime does the work, unchanged: one `Classifier` per Ray actor, the same decoding, pixel
budget, statuses and preprocessing as `edgeclass classify`, and the same result rows as its
`--format json`. Importing this package imports Ray; nothing in the runtime or the bundle does.
"""

from edgeclass.distributed.dataset import (
    classify_dataset,
    files_dataset,
    results_from_dataset,
)
from edgeclass.distributed.model_files import ModelFiles
from edgeclass.distributed.schema import MODEL_INSTANCE_COLUMN, RESULT_SCHEMA
from edgeclass.distributed.watch import (
    DEFAULT_STALL_TIMEOUT_S,
    ClusterStalled,
    RowCounter,
    stall_watch,
    watched_rows,
)

__all__ = [
    "DEFAULT_STALL_TIMEOUT_S",
    "MODEL_INSTANCE_COLUMN",
    "RESULT_SCHEMA",
    "ClusterStalled",
    "ModelFiles",
    "RowCounter",
    "classify_dataset",
    "files_dataset",
    "results_from_dataset",
    "stall_watch",
    "watched_rows",
]
