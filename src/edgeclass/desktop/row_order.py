"""The order of the table's rows, worked out in Python with one key per row.

Sorting through QSortFilterProxyModel asks the model's Python `data()` for both rows of every
comparison: 6,000 rows froze the window for 4.5-14 s. Here each row's key is computed once, the
rows are ordered by Python's sort over those keys (10,000 rows in milliseconds), and a row that
arrives later is put in its place by a binary search over the same keys. Ties keep the order
in which the rows arrived, ascending or descending.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def sorted_rows(keys: Sequence[Any], arrivals: Sequence[int], descending: bool) -> list[int]:
    """Row numbers in display order: by key (largest first if `descending`), ties by arrival."""
    order = sorted(range(len(keys)), key=arrivals.__getitem__)
    order.sort(key=keys.__getitem__, reverse=descending)  # stable, also in reverse
    return order


def insert_position(
    keys: Sequence[Any], arrivals: Sequence[int], key: Any, arrival: int, descending: bool
) -> int:
    """Where a row with `key` goes among rows in `sorted_rows` order (keys and arrivals given
    in that order): after every row that comes before it."""
    low, high = 0, len(keys)
    while low < high:
        middle = (low + high) // 2
        if _comes_before(keys[middle], arrivals[middle], key, arrival, descending):
            low = middle + 1
        else:
            high = middle
    return low


def _comes_before(key: Any, arrival: int, other: Any, other_arrival: int, descending: bool) -> bool:
    if key == other:
        return bool(arrival < other_arrival)
    return bool(key > other) if descending else bool(key < other)
