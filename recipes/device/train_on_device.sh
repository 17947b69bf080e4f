#!/usr/bin/env bash
# Runs ON the project's lent GPU machine (the `device` tool), from the repo root there; it
# trains recipes/default-model-gpu.yaml on photos packed by recipes/device/pack_photos.py and
# leaves the run in $OUT for recipes/device/log_device_run.py to unpack, check and log here.
#
# Here, once:  .venv/bin/python recipes/device/pack_photos.py ../shared/data/catsdogs/train \
#                  .device/catsdogs/train          # about 48 MiB: the tree that travels <= 64 MiB
# Then the device tool's run, with carry [".device"] and timeout_s 600:
#              bash recipes/device/train_on_device.sh [extra train flags]
# Then here:   .venv/bin/python recipes/device/log_device_run.py /work/.device/<files_at> runs/gpu
# If the run was cut short (LIMIT_S, default 560 s), only checkpoint.tar.part-* comes back: the
# newest checkpoint's weights, a model folder for `edgeclass train --model` or quantize.
#
# The machine's own Python (3.12, torch with CUDA, transformers 5.x) runs the trainer from src/:
# no install, no MLflow there (--no-tracking; the run is logged here afterwards). What comes back
# is limited to 16 MiB a file, so the run travels as a tar split into 15 MiB parts.
set -euo pipefail
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD/src" TQDM_DISABLE=1
OUT=${OUT:?run this through the device tool, which sets OUT}
DATA=${DATA:-.device/catsdogs}  # packed photos: DATA/train/<label>/*.webp
RUN=${RUN:-/tmp/edgeclass-gpu-run}
PYTHON=${PYTHON:-python3}
rm -rf "$RUN"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PYTHON" -c "import torch, transformers; print('torch', torch.__version__, 'cuda', \
torch.cuda.is_available(), '| transformers', transformers.__version__)"

status=0
# Ctrl+C (SIGINT) before the device tool's 600 s kill, which would return nothing at all.
timeout -s INT "${LIMIT_S:-560}" "$PYTHON" -m edgeclass train \
    --config recipes/default-model-gpu.yaml --data "$DATA" --output "$RUN" --no-tracking "$@" \
    2>&1 | tee "$OUT/train.log" || status=$?
if [ -d "$RUN/model" ]; then
    tar -cf - -C "$RUN" model reports train_config.yaml | split -b 15M - "$OUT/run.tar.part-"
else
    # Interrupted: bring back the newest complete checkpoint's weights (no optimizer state). A
    # Ctrl+C during a save leaves a checkpoint without trainer_state.json, which is passed over.
    last=$("$PYTHON" -c "import json, sys; from pathlib import Path
from edgeclass.trainer.model import mobilevit_processor
from edgeclass.trainer.pipeline import complete_checkpoints
done = complete_checkpoints(Path(sys.argv[1]) / 'checkpoints')
if done:
    size = json.loads((done[-1] / 'config.json').read_text())['image_size']
    mobilevit_processor(size).save_pretrained(done[-1])
    print(done[-1])" "$RUN")
    if [ -n "$last" ]; then
        tar -cf - -C "$last" config.json model.safetensors preprocessor_config.json \
            trainer_state.json | split -b 15M - "$OUT/checkpoint.tar.part-"
    fi
fi
ls -la "$OUT"
exit "$status"
