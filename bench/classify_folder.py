"""Benchmark `edgeclass classify` on real JPEGs: end to end vs inference alone vs a HF pipeline.

    python bench/classify_folder.py            # prints one JSON object on stdout

Model: a MobileViT-small-sized network (`MobileViTConfig()`: 256x256, ~5 M parameters, 2
labels), randomly initialised, exported with optimum at opset 18 and cached under
~/.cache/edgeclass/bench (the export runs in a child process so torch never touches the
measured process's memory). The random init is rescaled to realistic activations: transformers'
default init draws BatchNorm weights from N(0, 0.02), so activations shrink ~50x per layer and
end as denormal floats, which makes CPU inference several times slower than with trained weights
and would flatter the comparison.

Measured side by side, chunk by chunk, because the machine is shared and noisy:
  end_to_end     Classifier.classify_paths over the files (decode on threads + inference), as
                 the CLI runs it;
  inference      Classifier.predict on the same images, already decoded and preprocessed;
  pipeline       transformers pipeline("image-classification") in PyTorch, one file at a time,
                 on the same model (skipped when transformers/torch are not installed).
Plus one real `edgeclass classify` subprocess over all files, for its wall time and peak memory.

    python bench/classify_folder.py --phone    # the phone-photo set instead (one JSON object)

Phone photos: the test photos upscaled to 12 MP (long side 4032, JPEG quality 90) and a few to
48 MP (long side 8064), generated into a temp folder and deleted afterwards, classified with the
bundled default model (trained, so accuracy means something) with reduced decoding (the
default) and with --exact-decode, chunk by chunk side by side; peak RSS of each from a real
`edgeclass classify` subprocess over the 48 MP photos.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = REPO_ROOT.parent / "shared" / "data" / "catsdogs" / "test"
DEFAULT_CACHE = Path.home() / ".cache" / "edgeclass" / "bench" / "mobilevit-small-random"
LABELS = ["cat", "dog"]


def export_model(cache: Path) -> None:
    """Build the random MobileViT-small, save the HF folder, export ONNX (child process only)."""
    import shutil

    import torch
    from optimum.exporters.onnx import main_export
    from torch import nn
    from transformers import (
        MobileViTConfig,
        MobileViTForImageClassification,
        MobileViTImageProcessor,
    )

    torch.manual_seed(0)
    config = MobileViTConfig(
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    model = MobileViTForImageClassification(config).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="linear")
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.fill_(1.0)
                module.bias.zero_()
    # apple/mobilevit-small's preprocessor_config.json.
    processor = MobileViTImageProcessor(
        size={"shortest_edge": 288}, crop_size={"height": 256, "width": 256}
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache.parent) as tmp:
        staging = Path(tmp) / "model"
        model.save_pretrained(staging / "hf")
        processor.save_pretrained(staging / "hf")
        main_export(
            str(staging / "hf"), output=staging / "onnx", task="image-classification", opset=18
        )
        if cache.exists():
            shutil.rmtree(cache)
        staging.rename(cache)  # atomic: a half-exported cache never exists


def ensure_model(cache: Path) -> None:
    if (cache / "onnx" / "model.onnx").is_file() and (cache / "hf" / "config.json").is_file():
        return
    print(f"exporting the benchmark model to {cache} ...", file=sys.stderr)
    subprocess.run(
        [sys.executable, __file__, "--export-only", "--cache-dir", str(cache)],
        check=True,
        stdout=sys.stderr,
    )


def load_pipeline(hf_dir: Path, threads: int):
    """The PyTorch reference, or None (with the reason) when the train extra is missing."""
    try:
        import torch
        from transformers import MobileViTForImageClassification, MobileViTImageProcessor, pipeline
    except ImportError as error:
        return None, f"skipped: {error}"
    torch.set_num_threads(threads)
    model = MobileViTForImageClassification.from_pretrained(hf_dir).eval()
    processor = MobileViTImageProcessor.from_pretrained(hf_dir)
    return pipeline("image-classification", model=model, image_processor=processor, device=-1), ""


# Runs the CLI as its only child, so RUSAGE_CHILDREN is the CLI's peak and nothing else's (a
# child forked from this big process would report this process's pages as its own).
PEAK_RSS_WRAPPER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)
"""


def run_cli(files: list[Path], onnx_dir: Path, args: argparse.Namespace) -> dict:
    """One real `edgeclass classify` over the same files: wall time and peak memory."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "results.jsonl"
        command = [
            sys.executable, "-m", "edgeclass", "classify", *map(str, files),
            "--model", str(onnx_dir), "--format", "jsonl", "--output", str(output), "--quiet",
            "--threads", str(args.threads), "--batch-size", str(args.batch_size),
        ]  # fmt: skip
        if args.decode_threads:
            command += ["--decode-threads", str(args.decode_threads)]
        started = time.perf_counter()
        wrapped = subprocess.run(
            [sys.executable, "-c", PEAK_RSS_WRAPPER, *command], capture_output=True, text=True
        )
        wall = time.perf_counter() - started
        count = sum(1 for _ in output.open()) if output.exists() else 0
    peak_kb = int(wrapped.stdout.split()[-1])
    return {
        "images": count,
        "exit_code": wrapped.returncode,
        "wall_s": round(wall, 2),
        "images_per_s_including_startup": round(count / wall, 2) if wall else None,
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def batch_size_sweep(classifier, files: list[Path], rounds: int = 3) -> dict[str, float]:
    """Inference alone at several batch sizes, interleaved; the median of `rounds` each."""
    import numpy as np

    from edgeclass.runtime import load_image

    tensors = [classifier.preprocessor(load_image(path)) for path in files]
    rates: dict[int, list[float]] = {}
    for _ in range(rounds):
        for bs in (1, 2, 4, 8, 16):
            t0 = time.perf_counter()
            for i in range(0, len(tensors), bs):
                classifier.predict(np.stack(tensors[i : i + bs]))
            rates.setdefault(bs, []).append(len(tensors) / (time.perf_counter() - t0))
    return {str(bs): round(float(np.median(r)), 2) for bs, r in rates.items()}


def measure(args: argparse.Namespace) -> dict:
    import numpy as np
    import onnxruntime

    from edgeclass.runtime import Classifier, find_images, load_image

    files = find_images([args.images], recursive=True)[: args.limit]
    if not files:
        raise SystemExit(f"no images under {args.images}")
    onnx_dir = args.cache_dir / "onnx"
    classifier = Classifier(onnx_dir, threads=args.threads, decode_threads=args.decode_threads)
    bs = args.batch_size
    list(classifier.classify_paths(files[: 2 * bs], batch_size=bs))  # warm-up
    rss_after_e2e_warmup_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    pipe, pipe_note = (None, "skipped: --no-pipeline")
    if not args.no_pipeline:
        pipe, pipe_note = load_pipeline(args.cache_dir / "hf", args.threads)
        if pipe is not None:
            import torch

            pipe(str(files[0]))  # warm-up

    totals = {"end_to_end": 0.0, "inference": 0.0, "decode_1_thread": 0.0, "pipeline": 0.0}
    cpu = {"end_to_end": 0.0, "inference": 0.0}
    chunk_ratios = []
    # PyTorch at 1 and at `threads` threads: on a loaded machine its OpenMP threads busy-wait
    # and 2 threads can be 10x slower than 1, so the faster one is the fair reference.
    pipeline_threads = sorted({1, args.threads})
    pipeline_seconds = dict.fromkeys(pipeline_threads, 0.0)
    pipeline_images = dict.fromkeys(pipeline_threads, 0)
    agree = 0
    step = -(-len(files) // args.chunks)
    for start in range(0, len(files), step):
        chunk = files[start : start + step]
        t0, c0 = time.perf_counter(), time.process_time()
        results = list(classifier.classify_paths(chunk, batch_size=bs))
        e2e_seconds = time.perf_counter() - t0
        cpu["end_to_end"] += time.process_time() - c0
        totals["end_to_end"] += e2e_seconds
        assert all(r.ok for r in results), [r for r in results if not r.ok][:3]

        t0 = time.perf_counter()
        tensors = [classifier.preprocessor(load_image(path)) for path in chunk]
        totals["decode_1_thread"] += time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(0, len(tensors), bs):
            classifier.predict(np.stack(tensors[i : i + bs]))
        inference_seconds = time.perf_counter() - t0
        cpu["inference"] += time.process_time() - c0
        totals["inference"] += inference_seconds
        chunk_ratios.append(inference_seconds / e2e_seconds)
        del tensors

        if pipe is not None:
            subset = chunk[: max(1, len(chunk) * args.pipeline_fraction // 100)]
            for torch_threads in pipeline_threads:
                torch.set_num_threads(torch_threads)
                t0 = time.perf_counter()
                outputs = [pipe(str(path), top_k=1)[0] for path in subset]
                pipeline_seconds[torch_threads] += time.perf_counter() - t0
                agree += sum(o["label"] == r.label for o, r in zip(outputs, results, strict=False))
                pipeline_images[torch_threads] += len(subset)

    sweep = batch_size_sweep(classifier, files[:64])
    n = len(files)
    e2e = n / totals["end_to_end"]
    inference = n / totals["inference"]
    report = {
        "benchmark": "classify_folder",
        "images": n,
        "image_folder": str(args.images),
        "model": "MobileViT-small size (MobileViTConfig() default, 256x256 crop of 288 "
        "shortest edge, 2 labels), random init, ONNX opset 18 fp32",
        "onnx_mb": round((onnx_dir / "model.onnx").stat().st_size / 2**20, 1),
        "threads": args.threads,
        "decode_threads": classifier.decode_threads,
        "batch_size": bs,
        "end_to_end_images_per_s": round(e2e, 2),
        "inference_alone_images_per_s": round(inference, 2),
        "ratio_end_to_end_vs_inference": round(e2e / inference, 3),
        "target_ratio_end_to_end_vs_inference": 0.9,
        "ratio_per_chunk_min_median_max": [
            round(min(chunk_ratios), 3),
            round(float(np.median(chunk_ratios)), 3),
            round(max(chunk_ratios), 3),
        ],
        # CPU seconds are immune to other users' load: how much work decoding adds, even where
        # a busy machine leaves no idle core to hide it on.
        "cpu_ms_per_image_end_to_end": round(1000 * cpu["end_to_end"] / n, 1),
        "cpu_ms_per_image_inference_alone": round(1000 * cpu["inference"] / n, 1),
        "cpu_ratio_inference_vs_end_to_end": round(cpu["inference"] / cpu["end_to_end"], 3),
        "inference_alone_images_per_s_by_batch_size": sweep,
        "decode_preprocess_1_thread_images_per_s": round(n / totals["decode_1_thread"], 1),
        "bench_process_peak_rss_mb_before_pipeline": round(rss_after_e2e_warmup_mb, 1),
    }
    if pipe is not None and sum(pipeline_images.values()):
        rates = {t: pipeline_images[t] / pipeline_seconds[t] for t in pipeline_threads}
        best = max(rates, key=rates.get)
        report["pipeline_pytorch_one_by_one"] = {
            "images": pipeline_images[best],
            "images_per_s_by_torch_threads": {str(t): round(r, 2) for t, r in rates.items()},
            "best_torch_threads": best,
            "top1_agreement_with_runtime": round(agree / sum(pipeline_images.values()), 4),
        }
        report["ratio_end_to_end_vs_pipeline"] = round(e2e / rates[best], 2)
        report["target_ratio_end_to_end_vs_pipeline"] = 2.0
    else:
        report["pipeline_pytorch_one_by_one"] = pipe_note
    if not args.no_cli:
        report["cli_subprocess"] = run_cli(files, onnx_dir, args)
    report["machine"] = {
        "cpus": os.cpu_count(),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "note": "shared machine: compare the ratios, measured side by side, not absolute rates",
    }
    return report


def _phone_copies(files: list[Path], folder: Path, long_side: int) -> list[Path]:
    from PIL import Image

    copies = []
    for path in files:
        with Image.open(path) as image:
            image = image.convert("RGB")
            scale = long_side / max(image.size)
            size = (round(image.width * scale), round(image.height * scale))
            target = folder / f"{path.parent.name}_{path.stem}.jpg"
            image.resize(size, Image.Resampling.BICUBIC).save(target, quality=90)
        copies.append(target)
    return copies


def _accuracy(results, truth: dict[str, str]) -> float:
    return sum(r.label == truth[r.path] for r in results) / len(results)


def _labels_of(classifier, files: list[Path], batch_size: int) -> tuple[list, float]:
    started = time.perf_counter()
    results = list(classifier.classify_paths(files, batch_size=batch_size))
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    return results, time.perf_counter() - started


def _peak_rss_mb(files: list[Path], extra: list[str], args: argparse.Namespace) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable, "-m", "edgeclass", "classify", *map(str, files), "--quiet",
            "--format", "jsonl", "--output", str(Path(tmp) / "out.jsonl"),
            "--threads", str(args.threads), "--batch-size", str(args.batch_size), *extra,
        ]  # fmt: skip
        wrapped = subprocess.run(
            [sys.executable, "-c", PEAK_RSS_WRAPPER, *command], capture_output=True, text=True
        )
    if wrapped.returncode != 0:
        raise SystemExit(f"classify failed: {wrapped.stderr[-2000:]}")
    return round(int(wrapped.stdout.split()[-1]) / 1024, 1)


def _cpu_isa() -> str:
    try:
        flags = next(
            line for line in Path("/proc/cpuinfo").read_text().splitlines() if "flags" in line
        ).split()
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()
    isa = [name for name in ("avx2", "avx512f", "avx512_vnni", "amx_tile") if name in flags]
    return f"{model} ({', '.join(isa) or 'no AVX2'})"


def measure_phone(args: argparse.Namespace) -> dict:
    from PIL import features

    from edgeclass.runtime import Classifier, find_images

    originals = find_images([args.images], recursive=True)
    # An even spread over the sorted list keeps both classes.
    stride = max(1, len(originals) // args.phone_count)
    chosen = originals[::stride][: args.phone_count]
    big = originals[stride // 2 :: max(1, len(originals) // args.phone_48mp)][: args.phone_48mp]
    reduced = Classifier(None, threads=args.threads, decode_threads=args.decode_threads)
    exact = Classifier(
        None, threads=args.threads, decode_threads=args.decode_threads, exact_decode=True
    )
    bs = args.batch_size
    report: dict = {"benchmark": "classify_folder --phone", "model": "bundled default model"}

    # Accuracy at the photos' own size (all of them), both paths.
    truth = {str(p): p.parent.name for p in originals}
    small_reduced, _ = _labels_of(reduced, originals, bs)
    small_exact, _ = _labels_of(exact, originals, bs)
    report["original_size"] = {
        "images": len(originals),
        "accuracy_reduced": round(_accuracy(small_reduced, truth), 4),
        "accuracy_exact": round(_accuracy(small_exact, truth), 4),
        "label_agreement": round(
            sum(a.label == b.label for a, b in zip(small_reduced, small_exact, strict=True))
            / len(originals),
            4,
        ),
    }

    with tempfile.TemporaryDirectory(prefix="edgeclass-phone-") as tmp:
        folder12, folder48 = Path(tmp) / "12mp", Path(tmp) / "48mp"
        folder12.mkdir()
        folder48.mkdir()
        started = time.perf_counter()
        phone = _phone_copies(chosen, folder12, 4032)
        huge = _phone_copies(big, folder48, 8064)
        generation_s = time.perf_counter() - started
        truth = {str(c): o.parent.name for c, o in zip(phone, chosen, strict=True)}
        list(reduced.classify_paths(phone[:bs], batch_size=bs))  # warm-up
        seconds = {"reduced": 0.0, "exact": 0.0}
        results: dict[str, list] = {"reduced": [], "exact": []}
        step = -(-len(phone) // args.chunks)
        for start in range(0, len(phone), step):
            chunk = phone[start : start + step]
            for name, classifier in (("reduced", reduced), ("exact", exact)):
                chunk_results, elapsed = _labels_of(classifier, chunk, bs)
                seconds[name] += elapsed
                results[name] += chunk_results
        rates = {name: len(phone) / seconds[name] for name in seconds}
        report["phone_12mp"] = {
            "images": len(phone),
            "size": "long side 4032 (4032x3024 for the 4:3 photos), JPEG quality 90",
            "generation_s": round(generation_s, 1),
            "images_per_s_reduced": round(rates["reduced"], 2),
            "images_per_s_exact": round(rates["exact"], 2),
            "speedup_reduced_vs_exact": round(rates["reduced"] / rates["exact"], 2),
            "target_speedup": 4.0,
            "label_agreement": round(
                sum(
                    a.label == b.label
                    for a, b in zip(results["reduced"], results["exact"], strict=True)
                )
                / len(phone),
                4,
            ),
            "target_agreement": 0.995,
            "accuracy_reduced": round(_accuracy(results["reduced"], truth), 4),
            "accuracy_exact": round(_accuracy(results["exact"], truth), 4),
        }
        report["phone_48mp"] = {
            "images": len(huge),
            "size": "long side 8064 (8064x6048 for the 4:3 photos), JPEG quality 90",
            "peak_rss_mb_reduced": _peak_rss_mb(huge, [], args),
            "peak_rss_mb_exact": _peak_rss_mb(huge, ["--exact-decode"], args),
            "target_peak_rss_mb_reduced": 400,
        }
    report["machine"] = {
        "cpu": _cpu_isa(),
        "cpus": os.cpu_count(),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "libjpeg_turbo": features.check_feature("libjpeg_turbo"),
        "threads": args.threads,
        "decode_threads": reduced.decode_threads,
        "batch_size": bs,
        "note": "shared machine: compare the ratios, measured side by side, not absolute rates",
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    parser.add_argument("--limit", type=int, default=1000, help="at most this many files")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--threads", type=int, default=2, help="inference threads (ORT, torch)")
    parser.add_argument("--decode-threads", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--chunks", type=int, default=10, help="interleaving rounds")
    parser.add_argument(
        "--pipeline-fraction",
        type=int,
        default=10,
        help="percent of each chunk also run through the (slow) PyTorch pipeline",
    )
    parser.add_argument("--no-pipeline", action="store_true")
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phone", action="store_true", help="the phone-photo set instead")
    parser.add_argument("--phone-count", type=int, default=1000, help="12 MP photos to make")
    parser.add_argument("--phone-48mp", type=int, default=6, help="48 MP photos to make")
    args = parser.parse_args()
    if args.export_only:
        export_model(args.cache_dir)
        return
    if not args.images.is_dir():
        print(json.dumps({"benchmark": "classify_folder", "skipped": f"{args.images} missing"}))
        return
    if args.phone:
        print(json.dumps(measure_phone(args), indent=2))
        return
    ensure_model(args.cache_dir)
    print(json.dumps(measure(args), indent=2))


if __name__ == "__main__":
    main()
