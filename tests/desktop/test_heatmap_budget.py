"""The heat map goes through the runtime's budgets: a 20000x1 PNG (101 bytes) costs what any
photo costs, in `edgeclass explain` and in the desktop's "Why this label?".

Resized whole, that PNG becomes a 1,440,000x72 bitmap for the tiny model (a 3,520,000x176 one,
7 GB of work, for the bundled model): the first version of the heat map did that. Each map is
made in a subprocess that reports its own peak resident memory, beside the same run on an
ordinary photo.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

PROBE = Path(__file__).resolve().parents[1] / "heatmap_probe.py"
# Over what the same run costs on a 96x72 photo. Resizing the whole 20000x1 PNG first costs
# 311 MB for its bitmap alone (twice that with the array copy).
EXTRA_MB = 100


def probe(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(PROBE), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def pictures(tmp_path) -> tuple[Path, Path]:
    wide = tmp_path / "wide.png"
    Image.new("RGB", (20000, 1), (200, 120, 40)).save(wide)
    assert wide.stat().st_size < 200
    ordinary = tmp_path / "ordinary.png"
    Image.new("RGB", (96, 72), (200, 120, 40)).save(ordinary)
    return wide, ordinary


def test_explain_on_a_20000x1_png_costs_what_an_ordinary_photo_costs(
    tiny_model_dir, pictures, tmp_path
):
    wide, ordinary = pictures
    base = probe("cli", str(tiny_model_dir), str(ordinary), str(tmp_path / "ordinary-heat.png"))
    found = probe("cli", str(tiny_model_dir), str(wide), str(tmp_path / "wide-heat.png"))
    assert (base["exit_code"], found["exit_code"]) == (0, 0), found["stderr"]
    with Image.open(tmp_path / "wide-heat.png") as heat:
        assert heat.size == (512, 512)  # the model's square input, as the model saw it
    assert found["peak_rss_mb"] < base["peak_rss_mb"] + EXTRA_MB, (found, base)


def test_why_this_label_on_a_20000x1_png_costs_what_an_ordinary_photo_costs(
    tiny_model_dir, pictures
):
    wide, ordinary = pictures
    base = probe("desktop", str(tiny_model_dir), str(ordinary))
    found = probe("desktop", str(tiny_model_dir), str(wide))
    assert base["outcome"] == found["outcome"] == "succeeded", found
    assert found["heat_shape"] == [64, 64]  # the tiny model's crop
    assert found["peak_rss_mb"] < base["peak_rss_mb"] + EXTRA_MB, (found, base)


def test_a_photo_over_the_pixel_limit_is_refused_in_words(tiny_model_dir, tmp_path):
    from edgeclass.runtime import Classifier, ImageLoadError, Status
    from edgeclass.runtime.occlusion import explain_file, occlusion_map

    wide = tmp_path / "wide.png"
    Image.new("RGB", (20000, 1)).save(wide)
    # Decoding every pixel, as `edgeclass evaluate` does, the whole 1,440,000x72 resize would
    # be needed: over a budget of a million pixels, it is refused before resizing.
    exact = Classifier(tiny_model_dir, threads=1, max_pixels=1_000_000, exact_decode=True)
    with pytest.raises(ImageLoadError) as refused:
        explain_file(exact, wide)
    assert refused.value.status is Status.TOO_LARGE
    assert "1,440,000x72" in refused.value.message and "refused before resizing" in (
        refused.value.message
    )
    with Image.open(wide) as image, pytest.raises(ImageLoadError, match="1,000,000 pixels"):
        occlusion_map(exact, image)
