#!/usr/bin/env bash
# Rebuild the bundled default model (src/edgeclass/resources/models/default) with edgeclass's own
# train and quantize commands. From the repo root, with `make dev` done:
#   bash recipes/make_default_model.sh [RUNS_DIR]
# Stage 1 trains MobileViT xx-small from scratch (no pretrained weights were available), stages
# 2 and 3 continue from the previous stage's weights (warm restarts, stage 3 at 128px); quantize
# gates the int8 model against fp32 on the test photos. Every stage and the quantization land in
# one MLflow store under RUNS_DIR.
# About 160 minutes on a 2-core CPU; on a GPU raise the time budgets and resolution instead.
set -euo pipefail
RUNS=${1:-runs}
DATA=../shared/data/catsdogs
BIN=.venv/bin
DEFAULT=src/edgeclass/resources/models/default
TRACKING="sqlite:///$(realpath -m "$RUNS")/mlflow.db"
FINAL="$RUNS/catsdogs-default-stage3"
mkdir -p "$RUNS"

"$BIN/edgeclass" train --config recipes/default-model.yaml --data "$DATA" \
    --output "$RUNS/catsdogs-default" --tracking-uri "$TRACKING"
previous="$RUNS/catsdogs-default"
for stage in 2 3; do
    "$BIN/edgeclass" train --config "recipes/default-model-stage$stage.yaml" --data "$DATA" \
        --model "$previous/model" --output "$RUNS/catsdogs-default-stage$stage" \
        --tracking-uri "$TRACKING"
    previous="$RUNS/catsdogs-default-stage$stage"
done
"$BIN/edgeclass" quantize "$FINAL/model" \
    --calib "$DATA/train" --eval "$DATA/test" --out "$FINAL/quantized" \
    --max-drop 0.5 --overwrite
"$BIN/python" recipes/measure_out_of_domain.py "$FINAL/quantized" > "$FINAL/out_of_domain.json"

# The runtime folder: the model, its config, the report. MODEL_CARD.md is edited by hand from
# the report, training_summary.json and out_of_domain.json (the test checks it quotes the report).
for name in model.onnx config.json preprocessor_config.json quantization_report.json \
    quantization_report.md; do
    cp "$FINAL/quantized/$name" "$DEFAULT/$name"
done
echo "now update $DEFAULT/MODEL_CARD.md with the numbers in $FINAL/"
