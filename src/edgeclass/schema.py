"""Reading typed JSON artefacts (quantization_report.json, training_summary.json): the file, the
schema check and the dataclass-from-object step they share. Standard library only."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")
R = TypeVar("R")


def read_artifact(
    folder: Path,
    name: str,
    from_dict: Callable[[Any], R],
    error: type[Exception],
    missing_hint: str = "",
) -> R:
    """`from_dict` of the JSON file `folder/name`; `error`, naming the file, when it is missing,
    unreadable, not JSON or refused by `from_dict` (which raises `error` itself)."""
    path = folder / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{folder} has no {name}{missing_hint}") from None
    except (OSError, ValueError) as failure:
        raise error(f"{path} is not readable JSON: {failure}") from failure
    try:
        return from_dict(data)
    except error as failure:
        raise error(f"{path}: {failure}") from failure


def from_schema(
    data: Any,
    build: Callable[[Mapping[str, Any]], R],
    *,
    what: str,
    newest: int,
    error: Callable[[str], Exception],
) -> R:
    """`build(data)` for a JSON object of schema `newest` or older (no `schema` key: 1); `error`
    raised, naming `what`, for anything else or when `build` fails on it."""
    if not isinstance(data, Mapping):
        raise error(f"a {what} is a JSON object")
    schema = data.get("schema", 1)
    if not isinstance(schema, int) or schema > newest:
        raise error(f"{what} schema {schema!r} is newer than this edgeclass reads (up to {newest})")
    try:
        return build(data)
    except (KeyError, TypeError, ValueError, AttributeError) as failure:
        raise error(f"not a {what} edgeclass wrote: {failure!r}") from failure


def dataclass_from(cls: type[T], data: Any) -> T:
    """A dataclass of plain fields from the keys it knows; lists become tuples, unknown keys are
    ignored, None is an empty object, a missing required key raises TypeError."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    return cls(**values)
