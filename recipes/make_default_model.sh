#!/usr/bin/env bash
# Rebuild the bundled default model (src/edgeclass/resources/models/default) with edgeclass's own
# train and quantize commands. From the repo root, with `make dev` done:
#   bash recipes/make_default_model.sh [RUNS_DIR]
# Stage 1 trains MobileViT xx-small from scratch (no pretrained weights were available), stage 2
# continues from it with a warm restart; quantize gates the int8 model against fp32 on the test
# photos. Both stages and the quantization land in one MLflow store under RUNS_DIR.
# About 100 minutes on a 2-core CPU; on a GPU raise the time budgets and resolution instead.
set -euo pipefail
RUNS=${1:-runs}
DATA=../shared/data/catsdogs
BIN=.venv/bin
DEFAULT=src/edgeclass/resources/models/default
TRACKING="sqlite:///$(realpath -m "$RUNS")/mlflow.db"
mkdir -p "$RUNS"

"$BIN/edgeclass" train --config recipes/default-model.yaml --data "$DATA" \
    --output "$RUNS/catsdogs-default" --tracking-uri "$TRACKING"
"$BIN/edgeclass" train --config recipes/default-model-stage2.yaml --data "$DATA" \
    --model "$RUNS/catsdogs-default/model" --output "$RUNS/catsdogs-default-stage2" \
    --tracking-uri "$TRACKING"
"$BIN/edgeclass" quantize "$RUNS/catsdogs-default-stage2/model" \
    --calib "$DATA/train" --eval "$DATA/test" --out "$RUNS/catsdogs-default-stage2/quantized" \
    --max-drop 0.5 --overwrite
"$BIN/python" recipes/measure_out_of_domain.py "$RUNS/catsdogs-default-stage2/quantized" \
    > "$RUNS/catsdogs-default-stage2/out_of_domain.json"

# The runtime folder: the model, its config, the report. MODEL_CARD.md is edited by hand from
# the report, training_summary.json and out_of_domain.json (the test checks it quotes the report).
for name in model.onnx config.json preprocessor_config.json quantization_report.json \
    quantization_report.md; do
    cp "$RUNS/catsdogs-default-stage2/quantized/$name" "$DEFAULT/$name"
done
echo "now update $DEFAULT/MODEL_CARD.md with the numbers in $RUNS/catsdogs-default-stage2/"
