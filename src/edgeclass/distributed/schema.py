"""The result row of `edgeclass classify --format json`, as one Arrow schema for every block.

Rows are made by `ClassificationResult.to_dict`, the JSON writer's own construction, so a Parquet
file and a JSON file of the same run hold the same values. A fixed schema matters: a block of
only failed files would otherwise infer `null` types for label, score and top_k, and blocks with
different schemas cannot be written to one Parquet dataset.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from edgeclass.runtime.results import ClassificationResult

RESULT_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("path_base64", pa.string()),  # the exact name, when `path` had to escape bytes
        ("status", pa.string()),
        ("label", pa.string()),
        ("score", pa.float64()),
        ("top_k", pa.list_(pa.struct([("label", pa.string()), ("score", pa.float64())]))),
        ("message", pa.string()),
        ("width", pa.int64()),
        ("height", pa.int64()),
    ]
)
# Opt-in column: which loaded model made the row ("host:pid:load number"), to count loads.
MODEL_INSTANCE_COLUMN = "model_instance"


def results_table(
    results: Iterable[ClassificationResult], model_instance: str | None = None
) -> pa.Table:
    table = pa.Table.from_pylist([result.to_dict() for result in results], schema=RESULT_SCHEMA)
    if model_instance is not None:
        column = pa.array([model_instance] * table.num_rows, pa.string())
        table = table.append_column(MODEL_INSTANCE_COLUMN, column)
    return table
