"""How well a score ranks known churners above members who stay: the ranking AUC.

AUC = the probability that a churner picked at random scores above a stayer
picked at random (a tie counts half); 0.5 is a coin, 1.0 a perfect ranking.
Used by the demo, whose sample marks which members it simulates as churning.
"""

from __future__ import annotations

from collections.abc import Iterable


def ranking_auc(scored: Iterable[tuple[float, bool]]) -> float | None:
    """AUC of ``(score, churned)`` pairs by the rank-sum (Mann-Whitney) form; None without both kinds."""
    pairs = sorted(scored, key=lambda p: p[0])
    positives = sum(1 for _, churned in pairs if churned)
    negatives = len(pairs) - positives
    if not positives or not negatives:
        return None
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        mid_rank = (i + 1 + j) / 2  # ranks i+1..j share their mean
        rank_sum += mid_rank * sum(1 for _, churned in pairs[i:j] if churned)
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
