"""Compare reduced-decoding candidates with the exact path on the 12 MP phone copies.

    python bench/decode_candidates.py [--count 200] [--work /tmp/decode-candidates]

The 12 MP copies are made as `classify_folder.py --phone` makes them (same photos, same
construction) and kept in --work with the exact path's tensors and probabilities, so a rerun
only pays for the candidates. Per candidate: mean absolute difference of the model input from
the exact path's (in 0-255 levels), label agreement, mean |p - p_exact|, the exact path's top-2
margin of each disagreeing photo, and CPU ms per image to decode + preprocess (one thread,
candidates interleaved chunk by chunk). `speedup_est` is the img/s ratio vs exact when decode
and inference share the CPU: (exact prep + inference) / (candidate prep + inference), CPU ms.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import classify_folder
import numpy as np
from PIL import Image

from edgeclass.runtime import Classifier, find_images
from edgeclass.runtime.prepare import prepare_image
from edgeclass.runtime.preprocess import Preprocessor


def decoded(
    path: Path, pre: Preprocessor, draft: int, margin: float | None, gap: float | None = None
) -> np.ndarray:
    with Image.open(path) as image:
        if draft > 1:
            image.draft("RGB", (math.ceil(image.width / draft), math.ceil(image.height / draft)))
        rgb = image.convert("RGB")
    if margin is not None:
        factor = pre.max_reduction(*rgb.size, margin)
        if factor >= 2:
            rgb = rgb.reduce(factor)
    if gap is not None:
        size = pre.resized_size(*rgb.size)
        rgb = rgb.resize(size, pre.resample, reducing_gap=gap)
    return pre(rgb, crop_box_only=True)


def drafted(path: Path, pre: Preprocessor, draft_margin: float, margin: float | None) -> np.ndarray:
    """DCT scaling as far as draft_margin allows, then (optionally) reduce down to margin."""
    with Image.open(path) as image:
        factor = pre.max_reduction(*image.size, draft_margin)
        if factor >= 2:
            image.draft("RGB", (math.ceil(image.width / factor), math.ceil(image.height / factor)))
        rgb = image.convert("RGB")
    if margin is not None:
        factor = pre.max_reduction(*rgb.size, margin)
        if factor >= 2:
            rgb = rgb.reduce(factor)
    return pre(rgb, crop_box_only=True)


def boxed(path: Path, pre: Preprocessor, draft_margin: float, margin: float | None) -> np.ndarray:
    """As drafted(), but the resize reads only the box of the decoded bitmap that the full image
    maps to: DCT scaling and reduce round sizes up, so their last row/column covers less."""
    with Image.open(path) as image:
        full = image.size
        box = (0.0, 0.0, float(image.width), float(image.height))
        factor = pre.max_reduction(*image.size, draft_margin)
        if factor >= 2:
            drafted = image.draft(
                "RGB", (math.ceil(image.width / factor), math.ceil(image.height / factor))
            )
            if drafted is not None:
                box = drafted[1]
        rgb = image.convert("RGB")
    factor = pre.max_reduction(*rgb.size, margin) if margin is not None else 1
    if factor >= 2:
        rgb = rgb.reduce(factor)
        box = tuple(v / factor for v in box)
    return pre(rgb.resize(pre.resized_size(*full), pre.resample, box=box), crop_box_only=True)


def candidates(pre: Preprocessor) -> dict[str, Callable[[Path], np.ndarray]]:
    return {
        "exact": lambda p: prepare_image(p, pre, exact_decode=True).tensor,
        "runtime default (prepare_image)": lambda p: prepare_image(p, pre).tensor,
        "full decode, reduce to 2x": lambda p: decoded(p, pre, 1, 2.0),
        "full decode, resize reducing_gap=3": lambda p: decoded(p, pre, 1, None, 3.0),
        "draft 1/2 (none if a side is odd), no reduce": lambda p: decoded(p, pre, 2, None),
        "draft 1/2, reduce to 2x": lambda p: decoded(p, pre, 2, 2.0),
        "draft 1/2, reduce to 3x": lambda p: decoded(p, pre, 2, 3.0),
        "draft 1/2, reducing_gap=2": lambda p: decoded(p, pre, 2, None, 2.0),
        "draft 1/4 (1/2 if a side does not divide), no reduce": lambda p: decoded(p, pre, 4, None),
        "draft 1/8, no reduce": lambda p: decoded(p, pre, 8, None),
        "draft to 2x, reduce to 2x + box": lambda p: boxed(p, pre, 2.0, 2.0),
        "draft to 4x, no reduce + box": lambda p: boxed(p, pre, 4.0, None),
        "draft to 3x, reduce to 2x + box": lambda p: boxed(p, pre, 3.0, 2.0),
        "draft to 1.5x, reduce to 1.5x + box": lambda p: boxed(p, pre, 1.5, 1.5),
        "draft to 3x, reduce to 2x": lambda p: drafted(p, pre, 3.0, 2.0),
        "draft to 3x, no reduce": lambda p: drafted(p, pre, 3.0, None),
        "draft to 4x, reduce to 2x": lambda p: drafted(p, pre, 4.0, 2.0),
        "draft to 2.5x, reduce to 2x": lambda p: drafted(p, pre, 2.5, 2.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path("/tmp/decode-candidates"))
    parser.add_argument("--only", nargs="*", help="candidate names to run (default: all)")
    parser.add_argument("--chunks", type=int, default=5)
    args = parser.parse_args()
    originals = find_images([classify_folder.DEFAULT_IMAGES], recursive=True)
    stride = max(1, len(originals) // args.count)
    chosen = originals[::stride][: args.count]
    folder = args.work / "12mp"
    if not folder.is_dir():
        tmp = args.work / "12mp.partial"
        tmp.mkdir(parents=True, exist_ok=True)
        classify_folder._phone_copies(chosen, tmp, 4032)
        tmp.rename(folder)
    phone = [folder / f"{p.parent.name}_{p.stem}.jpg" for p in chosen]
    truth = np.array([p.parent.name for p in chosen])
    classifier = Classifier(None, threads=1, decode_threads=1)
    pre = classifier.preprocessor
    labels = np.array(classifier.labels)
    funcs = candidates(pre)
    names = [n for n in funcs if n == "exact" or not args.only or n in args.only]
    tensors = {n: [] for n in names}
    cpu = dict.fromkeys(names, 0.0)
    step = -(-len(phone) // args.chunks)
    for start in range(0, len(phone), step):
        for name in names:
            c0 = time.process_time()
            tensors[name] += [funcs[name](p) for p in phone[start : start + step]]
            cpu[name] += time.process_time() - c0
    c0 = time.process_time()
    probs = {
        n: np.concatenate([classifier.predict(np.stack(t[i : i + 8])) for i in range(0, len(t), 8)])
        for n, t in tensors.items()
    }
    infer_ms = 1000 * (time.process_time() - c0) / (len(names) * len(phone))
    ex_t, ex_p = np.stack(tensors["exact"]), probs["exact"]
    ex_label = ex_p.argmax(1)
    top2 = np.sort(ex_p, 1)
    margin = top2[:, -1] - top2[:, -2]
    prep_ms = {n: 1000 * cpu[n] / len(phone) for n in names}
    report: dict = {
        "photos": len(phone),
        "inference_cpu_ms_per_image": round(infer_ms, 1),
        "exact_accuracy": round(float((labels[ex_label] == truth).mean()), 4),
        "exact_top2_margins_below_0.05": sorted(round(float(m), 4) for m in margin[margin < 0.05]),
        "candidates": {},
    }
    for name in names:
        t, p = np.stack(tensors[name]), probs[name]
        label = p.argmax(1)
        differ = np.flatnonzero(label != ex_label)
        report["candidates"][name] = {
            "mean_abs_input_diff_levels": round(float(np.abs(t - ex_t).mean() * 255), 3),
            "agreement": round(float((label == ex_label).mean()), 4),
            "mean_abs_prob_diff": round(float(np.abs(p - ex_p).mean()), 4),
            "max_abs_prob_diff": round(float(np.abs(p - ex_p).max()), 4),
            "accuracy": round(float((labels[label] == truth).mean()), 4),
            "disagreeing": {phone[i].name: round(float(margin[i]), 4) for i in differ},
            "prep_cpu_ms_per_image": round(prep_ms[name], 1),
            "speedup_est": round((prep_ms["exact"] + infer_ms) / (prep_ms[name] + infer_ms), 2),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
