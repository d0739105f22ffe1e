"""Two-proportion statistics for A/B results: pure functions over counts, standard library only.

The difference of two conversion rates gets Newcombe's hybrid score interval
(Newcombe 1998, method 10: the Wilson score intervals of the two rates
combined). Unlike the Wald interval it stays inside [-1, 1] and keeps close to
its stated coverage for the small counts and rates near 0 or 1 that early
experiments have. The p-value is the two-sided two-proportion z-test with the
pooled rate (the same as Pearson's chi-square on the 2x2 table, without
continuity correction). A variant is declared better or worse only when the
interval excludes zero AND both arms have the experiment's minimum sample, so
an early lucky streak is never announced as a result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.95
BETTER, WORSE, NOT_YET = "better", "worse", "not yet significant"
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def z_for(confidence: float = CONFIDENCE) -> float:
    """The two-sided normal quantile (1.959964... for 95 %)."""
    return _NORMAL.inv_cdf(1 - (1 - confidence) / 2)


def wilson(converted: int, n: int, confidence: float = CONFIDENCE) -> Interval:
    """Wilson score interval of one proportion; [0, 1] when there is no observation."""
    if n <= 0:
        return Interval(0.0, 1.0)
    z, p = z_for(confidence), converted / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def newcombe(control: tuple[int, int], variant: tuple[int, int], confidence: float = CONFIDENCE) -> Interval:
    """Interval of rate(variant) - rate(control), each given as (converted, n) with n >= 1."""
    (x1, n1), (x2, n2) = control, variant
    p1, p2 = x1 / n1, x2 / n2
    c, v = wilson(x1, n1, confidence), wilson(x2, n2, confidence)
    difference = p2 - p1
    low = difference - math.sqrt((p2 - v.low) ** 2 + (c.high - p1) ** 2)
    high = difference + math.sqrt((v.high - p2) ** 2 + (p1 - c.low) ** 2)
    return Interval(low, high)


def p_value(control: tuple[int, int], variant: tuple[int, int]) -> float:
    """Two-sided p-value of the pooled two-proportion z-test; 1.0 when the rates cannot differ (all or none
    converted in both)."""
    (x1, n1), (x2, n2) = control, variant
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 1.0
    z = (x2 / n2 - x1 / n1) / spread
    return 2 * (1 - _NORMAL.cdf(abs(z)))


@dataclass(frozen=True)
class Comparison:
    """A variant against the control: difference of rates (variant - control), its interval, the p-value
    and the verdict (``BETTER``, ``WORSE`` or ``NOT_YET``)."""

    difference: float
    interval: Interval
    p_value: float
    verdict: str


def compare(control: tuple[int, int], variant: tuple[int, int], min_sample: int,
            confidence: float = CONFIDENCE) -> Comparison | None:
    """None while either arm has no settled exposure (no rate to compare)."""
    if control[1] <= 0 or variant[1] <= 0:
        return None
    interval = newcombe(control, variant, confidence)
    enough = min(control[1], variant[1]) >= min_sample
    verdict = NOT_YET
    if enough and interval.excludes_zero():
        verdict = BETTER if interval.low > 0 else WORSE
    return Comparison(variant[0] / variant[1] - control[0] / control[1], interval, p_value(control, variant),
                      verdict)
