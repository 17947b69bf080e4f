"""schemathesis (generated requests from /openapi.json) against the real `edgeclass serve`: no
5xx, every status code, content type and body as the schema documents, schema-violating requests
rejected, the key enforced where documented. Bounded: seeded, at most 15 examples per operation
and 45 s of generation (about a minute in all on 2 shared cores)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))

# A request over --max-images or --max-body-mb is schema-violating and rightly answered 413.
CONFIG = """\
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428",
                     "429"]
"""


@pytest.mark.slow
def test_schemathesis_finds_nothing_against_the_documented_schema(
    serve_process, tiny_model_dir, tmp_path
):
    if SCHEMATHESIS is None:
        pytest.skip("schemathesis is not installed (the dev extra)")
    key = tmp_path / "key"
    key.write_text("k3y-for-schemathesis\n")
    server = serve_process("--model", str(tiny_model_dir), "--api-key-file", str(key))
    server.wait_ready()
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        SCHEMATHESIS,
        *("--config-file", str(config)),
        "run",
        f"{server.url}/openapi.json",
        *("--checks", "all"),
        # A schema cannot say "bytes that decode as an image", so schema-valid requests with
        # random image data are rightly refused: that check cannot hold for this API.
        *("--exclude-checks", "positive_data_acceptance"),
        *("--header", "Authorization: Bearer k3y-for-schemathesis"),
        *("--seed", "20261207", "--max-examples", "15", "--max-time", "45"),
        *("--workers", "1", "--generation-database", "none", "--no-color"),
    ]
    run = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=240, check=False
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "passed" in run.stdout
