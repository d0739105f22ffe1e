"""Sentiment speed and the quality cost of quantisation.

    python bench/sentiment.py [--runs 5] [--limit 2000]

texts/s at batch 1 and 64 on the TweetEval validation tweets for torch fp32
(the fine-tuned checkpoint in artifacts/hf-model, from `python -m
sentiment.train`; needs the train extra) and for the shipped int8 ONNX model
(plus the fp32 ONNX export in artifacts/ when present); medians over --runs.
Also prints macro-recall per variant, i.e. what quantisation costs.
Target: shipped model >= 600 texts/s at batch 64 on 2 cores, <= 1 point of
macro-recall lost.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from sentiment import data  # noqa: E402
from sentiment.metrics import report  # noqa: E402
from sentiment.normalize import normalize  # noqa: E402
from sentiment.onnx_backend import SHIPPED, OnnxBackend, padded_chunks  # noqa: E402

Probs = Callable[[list[str]], np.ndarray]


def torch_backend(model_dir: Path, shipped: Path) -> Probs | None:
    try:
        import torch

        from sentiment.export import classifier
    except ImportError:
        return None
    if not model_dir.exists():
        return None
    torch.set_num_threads(2)
    backend = OnnxBackend(shipped)
    model = classifier(model_dir)

    def probabilities(texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), 3), dtype=np.float32)
        with torch.no_grad():
            for rows, ids, mask in padded_chunks(backend.encode(texts)):
                logits = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits
                out[rows] = torch.softmax(logits, -1).numpy()
        return out

    return probabilities


def throughput(probabilities: Probs, texts: list[str], batch: int, runs: int) -> float:
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        for i in range(0, len(texts), batch):
            probabilities(texts[i : i + batch])
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def macro_recall(probabilities: Probs, texts: list[str], gold: list[int], binary: bool) -> float:
    """Three classes; or, on the binary Chinese reviews, positive against negative probability."""
    probs = [p for i in range(0, len(texts), 64) for p in probabilities(texts[i : i + 64])]
    if binary:
        pred = [2 if p[2] >= p[0] else 0 for p in probs]
        return report([g // 2 for g in gold], [q // 2 for q in pred], ("negative", "positive")).macro_recall
    return report(gold, [int(np.argmax(p)) for p in probs], ("negative", "neutral", "positive")).macro_recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--limit", type=int, default=2000, help="texts per run at batch 64")
    parser.add_argument("--limit-batch1", type=int, default=300, help="texts per run at batch 1")
    parser.add_argument("--torch-model", type=Path, default=ROOT / "artifacts" / "hf-model")
    parser.add_argument("--shipped", type=Path, default=SHIPPED, help="model directory to time (a candidate)")
    parser.add_argument("--texts", choices=("tweeteval", "chinese"), default="tweeteval",
                        help="TweetEval validation tweets, or Chinese validation reviews (sentiment/model/zh)")
    args = parser.parse_args()
    rows = data.tweeteval_val() if args.texts == "tweeteval" else data.chinese_split()[1][:2000]
    texts, gold = [normalize(r.text) for r in rows], [r.label for r in rows]
    variants: dict[str, Probs | None] = {
        "torch fp32": torch_backend(args.torch_model, args.shipped),
        "onnx fp32": OnnxBackend(args.shipped, ROOT / "artifacts" / "model.fp32.onnx", threads=2).probabilities
        if (ROOT / "artifacts" / "model.fp32.onnx").exists() else None,
        "onnx int8 (shipped)": OnnxBackend(args.shipped, threads=2).probabilities,
    }
    results = {}
    for name, probabilities in variants.items():
        if probabilities is None:
            print(f"{name:20s} skipped (train it with `python -m sentiment.train` and the train extra)")
            continue
        b1 = throughput(probabilities, texts[: args.limit_batch1], 1, args.runs)
        b64 = throughput(probabilities, texts[: args.limit], 64, args.runs)
        recall = macro_recall(probabilities, texts, gold, binary=args.texts == "chinese")
        results[name] = (b64, recall)
        print(f"{name:20s} batch 1: {b1:7.0f} texts/s   batch 64: {b64:7.0f} texts/s   "
              f"{args.texts} val macro-recall {recall:.3f}   (median of {args.runs} runs)", flush=True)
    shipped = results["onnx int8 (shipped)"]
    for reference in ("torch fp32", "onnx fp32"):
        if reference in results:
            base = results[reference]
            print(f"shipped vs {reference}: {shipped[0] / base[0]:.2f}x speed at batch 64, "
                  f"macro-recall {100 * (shipped[1] - base[1]):+.1f} points")


if __name__ == "__main__":
    main()
