"""Leave-one-domain-out validation of the Chinese training recipe: ``python -m sentiment.lodo``.

In-domain validation (the 10 % hold-out of the same review sets) overstates
what a community gets: members talk about everything. Here, for each held-out
domain, a model is trained with that domain left out entirely (its rows and
its characters) and scored on the domain's reviews, so the mean and the worst
domain say how the recipe does on a topic it never saw. Training options are
those of ``sentiment.train`` (passed through), so a recipe is compared with
another under the same budget. Writes ``artifacts/lodo-<name>.json``; the
model card shows the table when that file is given to ``sentiment.card``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from sentiment import data, train
from sentiment.challenge import figures
from sentiment.evaluate import evaluate
from sentiment.scoring import Scorer

DEFAULT_DOMAINS = ("waimai_10k", "书籍", "水果", "蒙牛", "手机")


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--domains", default=",".join(DEFAULT_DOMAINS), help="comma-separated domains to hold out")
    parser.add_argument("--name", default="recipe", help="names the result file and the table's row")
    parser.add_argument("--eval-examples", type=int, default=1500, help="reviews scored per held-out domain")
    return parser.parse_known_args(argv)


def held_out_figures(model_dir: Path, rows: list[data.Example], limit: int) -> dict[str, float]:
    """Scored as it would ship: the int8 ONNX export, cut and tokenized as at run time."""
    from sentiment import export
    from sentiment.onnx_backend import OnnxBackend

    export.ship(model_dir, model_dir / "onnx", model_dir / "model.fp32.onnx")
    sample = random.Random(7).sample(rows, min(limit, len(rows)))
    scorer = Scorer(OnnxBackend(model_dir / "onnx"), gate_languages=False)
    result = evaluate(scorer, [e.text for e in sample], [e.label for e in sample], binary=True)
    return {"n": result.report.n, **figures(result)}


def main(argv: list[str] | None = None) -> None:
    own, rest = parse_args(sys.argv[1:] if argv is None else argv)
    domains = data.chinese_domains()
    results: dict[str, dict[str, float]] = {}
    for domain in own.domains.split(","):
        out = train.ARTIFACTS / "lodo" / own.name / domain
        args = train.parse_args([*rest, "--out", str(out), "--hold-out-domain", domain, "--skip-export"])
        train.fit(args)
        results[domain] = held_out_figures(out, domains[domain], own.eval_examples)
        print(f"held out {domain}: {results[domain]}", flush=True)
    summary = {"recipe": own.name, "training_arguments": rest, "domains": results,
               "mean_accuracy": round(sum(r["accuracy"] for r in results.values()) / len(results), 3),
               "worst_accuracy": min(r["accuracy"] for r in results.values()),
               "mean_negative_recall": round(sum(r["negative_recall"] for r in results.values()) / len(results), 3)}
    path = train.ARTIFACTS / f"lodo-{own.name}.json"
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
