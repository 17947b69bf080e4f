"""Where the real photos of ../shared/data are, and what a test does when they are missing.

Tests reach the photos only through the `catsdogs_test` and `catsdogs_photos` fixtures
(tests/conftest.py), which mark the test `needs_shared_data`. Without the folder such a test
skips with its path, unless $EDGECLASS_REQUIRE_SHARED_DATA=1 (CI: .ci/run) turns the skip into a
failure, so a CI run without the photos cannot go green. $EDGECLASS_SHARED_DATA points at the
folder from elsewhere (a git worktree, a second checkout).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIRE_ENV = "EDGECLASS_REQUIRE_SHARED_DATA"
LOCATION_ENV = "EDGECLASS_SHARED_DATA"


def shared_data_dir() -> Path:
    return Path(os.environ.get(LOCATION_ENV) or REPO_ROOT.parent / "shared" / "data")


def catsdogs_test_dir() -> Path:
    return shared_data_dir() / "catsdogs" / "test"


def missing_shared_data() -> str | None:
    """Why the real photos cannot be used here, or None when they can."""
    folder = catsdogs_test_dir()
    if all((folder / label).is_dir() for label in ("cat", "dog")):
        return None
    return f"real photos not found at {folder} (../shared/data from the repo root)"


def require_shared_data() -> None:
    """Skip, or fail under $EDGECLASS_REQUIRE_SHARED_DATA=1, when the photos are missing."""
    reason = missing_shared_data()
    if reason is None:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; ${REQUIRE_ENV}=1 requires them", pytrace=False)
    pytest.skip(reason)
