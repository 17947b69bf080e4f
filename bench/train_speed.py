"""Training-step throughput of MobileViT on this machine: fp32 vs channels-last vs bf16 autocast.

Runs the variants in interleaved rounds (shared machines are noisy) and prints one JSON object
with images/s per variant and ratios against plain fp32. Random tensors, no data loading: this
measures the model step (forward, backward, AdamW) that `edgeclass train` repeats.

    python bench/train_speed.py [--size xx-small] [--resolution 96] [--batch 32] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="xx-small", choices=("xx-small", "x-small", "small"))
    parser.add_argument("--resolution", type=int, default=96)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per variant and round")
    args = parser.parse_args()

    import torch
    from transformers import MobileViTForImageClassification

    from edgeclass.trainer.model import scratch_config

    variants = {
        "fp32": (False, False),
        "fp32_channels_last": (True, False),
        "bf16_channels_last": (True, True),
    }
    config = scratch_config(args.size, args.resolution, ("a", "b"))
    setups = {}
    for name, (channels_last, _) in variants.items():
        torch.manual_seed(0)
        model = MobileViTForImageClassification(config).train()
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        setups[name] = (model, torch.optim.AdamW(model.parameters(), lr=1e-3))
    pixels = torch.rand(args.batch, 3, args.resolution, args.resolution)
    labels = torch.randint(0, 2, (args.batch,))
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(args.rounds):
        for name, (channels_last, bf16) in variants.items():
            model, optimizer = setups[name]
            x = pixels.contiguous(memory_format=torch.channels_last) if channels_last else pixels
            for step in range(args.steps + 1):  # the first step warms up
                started = time.perf_counter()
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = model(pixel_values=x, labels=labels).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                if step:
                    best[name] = min(best[name], time.perf_counter() - started)
    speed = {name: args.batch / seconds for name, seconds in best.items()}
    print(
        json.dumps(
            {
                "benchmark": "train_step",
                "model": f"mobilevit-{args.size} from scratch",
                "resolution": args.resolution,
                "batch": args.batch,
                "cpu": platform.processor() or platform.machine(),
                "torch_threads": torch.get_num_threads(),
                "amx": bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()),
                "images_per_second": {k: round(v, 1) for k, v in speed.items()},
                "speedup_vs_fp32": {k: round(v / speed["fp32"], 2) for k, v in speed.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
