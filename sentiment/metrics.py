"""Classification figures reported by evaluation and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    """Figures for one evaluation run over ``n`` texts with ``k`` classes."""

    labels: tuple[str, ...]
    confusion: list[list[int]]
    accuracy: float
    macro_recall: float
    macro_f1: float
    precision: list[float]
    recall: list[float]

    @property
    def n(self) -> int:
        return sum(map(sum, self.confusion))


def _safe(num: float, den: float) -> float:
    return num / den if den else 0.0


def report(gold: list[int], pred: list[int], labels: tuple[str, ...]) -> Report:
    """Confusion matrix (rows gold, columns predicted) and derived figures."""
    k = len(labels)
    confusion = [[0] * k for _ in range(k)]
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    recall = [_safe(confusion[i][i], sum(confusion[i])) for i in range(k)]
    precision = [_safe(confusion[i][i], sum(row[i] for row in confusion)) for i in range(k)]
    f1 = [_safe(2 * p * r, p + r) for p, r in zip(precision, recall, strict=True)]
    present = [i for i in range(k) if sum(confusion[i])]
    total = sum(map(sum, confusion))
    return Report(
        labels=labels,
        confusion=confusion,
        accuracy=_safe(sum(confusion[i][i] for i in range(k)), total),
        macro_recall=_safe(sum(recall[i] for i in present), len(present)),
        macro_f1=_safe(sum(f1[i] for i in present), len(present)),
        precision=precision,
        recall=recall,
    )
