"""Evaluate a scorer on labelled texts: the figures the model card and
``engagebot sentiment eval`` report.

Three-class sets count an ``unscored`` text as neutral. Binary sets
(negative/positive only) compare P(positive) with P(negative), so the
untrained-for-binary neutral class never decides the outcome; unscored texts
have no probabilities to compare and are left out of the binary figures. The
rule is part of the printed result, so nobody has to guess how neutral was
mapped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sentiment.labels import UNSCORED
from sentiment.metrics import Report, report
from sentiment.scoring import Scorer


@dataclass(frozen=True)
class Evaluation:
    report: Report
    texts_per_second: float
    unscored: int
    rule: str


THREE_CLASS_RULE = "predicted label = the most probable of negative/neutral/positive; unscored texts count as neutral"
BINARY_RULE = ("binary rule: predicted positive when P(positive) >= P(negative), else negative; P(neutral) is "
               "ignored; unscored texts are left out")


def evaluate(scorer: Scorer, texts: list[str], gold: list[int], binary: bool = False) -> Evaluation:
    started = time.perf_counter()
    scores = scorer.score(texts)
    elapsed = time.perf_counter() - started
    unscored = sum(1 for s in scores if s.label == UNSCORED)
    if binary:
        judged = [(g, s) for g, s in zip(gold, scores, strict=True) if s.p_positive is not None]
        pred = [1 if (s.p_positive or 0.0) >= (s.p_negative or 0.0) else 0 for _, s in judged]
        gold_binary = [1 if g == 2 else 0 for g, _ in judged]
        result = report(gold_binary, pred, ("negative", "positive"))
    else:
        index = {"negative": 0, "neutral": 1, "positive": 2, UNSCORED: 1}
        result = report(gold, [index[s.label] for s in scores], ("negative", "neutral", "positive"))
    return Evaluation(result, len(texts) / elapsed if elapsed else 0.0, unscored,
                      BINARY_RULE if binary else THREE_CLASS_RULE)


def describe(name: str, evaluation: Evaluation) -> str:
    r = evaluation.report
    lines = [(f"{name}: n={r.n} macro-recall={r.macro_recall:.3f} accuracy={r.accuracy:.3f} "
              f"macro-F1={r.macro_f1:.3f} texts/s={evaluation.texts_per_second:.0f} unscored={evaluation.unscored}"),
             f"  {evaluation.rule}",
             ("  precision " + " ".join(f"{lab}={p:.3f}" for lab, p in zip(r.labels, r.precision, strict=True))),
             ("  recall    " + " ".join(f"{lab}={v:.3f}" for lab, v in zip(r.labels, r.recall, strict=True))),
             "  confusion (rows gold, columns predicted: " + ", ".join(r.labels) + ")"]
    lines += ["    " + " ".join(f"{v:6d}" for v in row) for row in r.confusion]
    return "\n".join(lines)
