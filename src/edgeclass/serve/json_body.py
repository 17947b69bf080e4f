"""Parse a JSON request body that may be hostile: too deeply nested (Python's parser and
anything that walks the result recurse, and a RecursionError is a 500), or holding lone
surrogates (valid JSON escapes, but no UTF-8 answer can carry them back)."""

from __future__ import annotations

import json

MAX_DEPTH = 32  # the API's documents are 4 deep at most


class BadJson(ValueError):
    """The body is not a JSON document this server accepts; the message says why."""


def load_json(body: bytes, what: str = "the body") -> object:
    try:
        document = json.loads(body)
    except RecursionError:
        raise BadJson(f"{what} is nested deeper than {MAX_DEPTH} levels") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadJson(f"{what} is not valid JSON: {error}") from None
    _check(document, what)
    return document


def _check(document: object, what: str) -> None:
    """Depth and text, with a stack instead of recursion."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    raise BadJson(
                        f"{what} holds a lone surrogate escape (\\ud800-\\udfff without its "
                        "pair): not valid Unicode text"
                    ) from None
            continue
        if isinstance(value, (list, dict)):
            if depth > MAX_DEPTH:
                raise BadJson(f"{what} is nested deeper than {MAX_DEPTH} levels")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
