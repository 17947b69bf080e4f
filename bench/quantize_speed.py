"""Is the shipped int8 model worth it? PyTorch eager fp32 vs onnxruntime fp32 vs shipped int8.

onnxruntime fp32 is timed twice: Optimum's plain export, and edgeclass's export with its exact
MobileViT graph rewrites (the graph the int8 model is quantized from); speed-ups are against the
faster of the two.

One run, interleaved timings (the machine is shared, so ratios are the numbers to read), batch 1
and batch 8, 2 threads each, plus file sizes; prints one JSON object.

Model: a MobileViT-small (`MobileViTConfig()` defaults, 256x256, 2 labels) with the trainer's
from-scratch initialisation and BatchNorm statistics estimated on real photos, so activations
have realistic ranges. (Transformers' default init makes MobileViT activations decay into
denormal floats, which makes fp32 artificially ~10x slower and any comparison meaningless.)
Or pass --model with a trained model folder. Calibrated on real photos from
../shared/data/catsdogs/train, preprocessed by the runtime.

    python bench/quantize_speed.py [--model DIR] [--calib N] [--repeats R] [--threads T]
Targets: int8 >= 1.8x onnxruntime fp32 at batch 1, >= 4x PyTorch eager, size <= 27% of fp32.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

# torch's OpenMP threads busy-wait after each call by default; on a 2-core machine that steals
# the cores from the onnxruntime run that follows. Set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

REPO = Path(__file__).resolve().parents[1]
CATSDOGS_TRAIN = REPO.parent / "shared" / "data" / "catsdogs" / "train"


def build_small_model(folder: Path, calib_tensors) -> Path:
    import torch
    from transformers import MobileViTConfig, MobileViTForImageClassification

    from edgeclass.trainer.model import init_from_scratch, mobilevit_processor

    torch.manual_seed(0)
    labels = ("cat", "dog")
    config = MobileViTConfig(
        num_labels=2,
        id2label=dict(enumerate(labels)),
        label2id={k: i for i, k in enumerate(labels)},
    )
    model = init_from_scratch(MobileViTForImageClassification(config))
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # cumulative average over the batches below
    model.train()
    with torch.no_grad():
        for start in range(0, len(calib_tensors), 16):
            model(pixel_values=torch.from_numpy(calib_tensors[start : start + 16]))
    model.eval()
    model.save_pretrained(folder)
    mobilevit_processor(256).save_pretrained(folder)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="a trained model folder (default: see above)")
    parser.add_argument("--calib", type=int, default=64, help="calibration photos (default 64)")
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per model at batch 1")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not CATSDOGS_TRAIN.is_dir():
        print(json.dumps({"skipped": f"{CATSDOGS_TRAIN} not found"}))
        return 0

    import numpy as np
    import torch
    from transformers import AutoModelForImageClassification

    from edgeclass.quantize import sysinfo
    from edgeclass.quantize.data import load_tensors, scan_labelled_folder
    from edgeclass.quantize.export import export_onnx
    from edgeclass.quantize.latency import session_runner, summarize, time_interleaved
    from edgeclass.quantize.quantize import (
        compact_for_shipping,
        preprocess_for_quantization,
        quantize_model,
        settings_for_cpu,
    )
    from edgeclass.runtime import Preprocessor, create_session
    from edgeclass.runtime.model_config import load_preprocessor

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="edgeclass-bench-") as tmp:
        work = Path(tmp)
        processor_file = args.model / "preprocessor_config.json" if args.model else None
        if processor_file is None:
            from edgeclass.trainer.model import mobilevit_processor

            preprocessor = Preprocessor.from_config(mobilevit_processor(256).to_dict())
        else:
            preprocessor = load_preprocessor(processor_file)
        images = scan_labelled_folder(
            CATSDOGS_TRAIN, ("cat", "dog"), per_class_limit=max(1, args.calib // 2)
        )
        calib, _ = load_tensors(images, preprocessor)
        model_dir = args.model or build_small_model(work / "hf", calib)
        fp32_path = export_onnx(model_dir, work / "onnx")
        plain_path = export_onnx(model_dir, work / "onnx-plain", rewrite=False)
        prepared = preprocess_for_quantization(fp32_path, work / "prepared.onnx")
        cpu_info = sysinfo.cpu_info()
        settings = settings_for_cpu(cpu_info["vnni"], cpu_info["machine"])
        int8_path = compact_for_shipping(
            quantize_model(prepared, work / "int8.onnx", calib, "pixel_values", settings),
            work / "int8-shipped.onnx",
        )

        eager = AutoModelForImageClassification.from_pretrained(str(model_dir)).eval()
        sessions = {
            "onnxruntime_fp32": create_session(fp32_path, args.threads),
            "onnxruntime_fp32_plain_export": create_session(plain_path, args.threads),
            "int8": create_session(int8_path, args.threads),
        }
        result: dict = {
            "model": str(args.model) if args.model else "MobileViTConfig() small, 256x256",
            "threads": args.threads,
            "cpu": cpu_info,
            "settings": settings.to_dict(),
            "latency": {},
        }
        for batch, repeats in ((1, args.repeats), (8, max(5, args.repeats // 4))):
            data = np.ascontiguousarray(calib[np.arange(batch) % len(calib)])
            tensor = torch.from_numpy(data)

            def run_eager(tensor=tensor):
                with torch.inference_mode():
                    return eager(pixel_values=tensor).logits

            runners = {"pytorch_eager_fp32": run_eager}
            runners |= {name: session_runner(s, data) for name, s in sessions.items()}
            cpu: dict[str, list[float]] = {}
            samples = time_interleaved(runners, repeats=repeats, cpu_samples=cpu)
            stats = {name: summarize(values, batch) for name, values in samples.items()}
            for name, values in cpu.items():
                stats[name]["cpu_ms_p50"] = statistics.median(values)
            int8 = statistics.median(samples["int8"])
            # The speed-up is read against the faster of the two fp32 exports.
            fp32 = min(
                ("onnxruntime_fp32", "onnxruntime_fp32_plain_export"),
                key=lambda name: statistics.median(samples[name]),
            )
            result["latency"][f"batch_{batch}"] = {
                **stats,
                "fp32_reference": fp32,
                "int8_vs_onnxruntime_fp32": statistics.median(samples[fp32]) / int8,
                "int8_vs_pytorch_eager": statistics.median(samples["pytorch_eager_fp32"]) / int8,
                "int8_vs_onnxruntime_fp32_cpu_time": statistics.median(cpu[fp32])
                / statistics.median(cpu["int8"]),
            }
        fp32_size, int8_size = fp32_path.stat().st_size, int8_path.stat().st_size
        result["sizes_bytes"] = {"fp32": fp32_size, "int8": int8_size}
        result["int8_size_fraction"] = int8_size / fp32_size
        b1 = result["latency"]["batch_1"]
        result["targets"] = {
            "int8_vs_onnxruntime_fp32_b1>=1.8": b1["int8_vs_onnxruntime_fp32"] >= 1.8,
            "int8_vs_pytorch_eager_b1>=4": b1["int8_vs_pytorch_eager"] >= 4.0,
            "size<=27%": result["int8_size_fraction"] <= 0.27,
        }
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
