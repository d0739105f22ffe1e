"""Churn risk as a transparent logistic score: five factors in [0, 1], fixed weights, a bias.

Each factor compares a member with their own past, not with the crowd, so
a quiet member who is always quiet is not flagged and a chatty one who goes
quiet is:

- ``activity``: messages in the last 14 days against the member's own
  14-day rate in the weeks before (1 = stopped, 0 = as usual or more);
- ``silence``: days since the last message against the member's usual gap
  between messages (0 until the usual gap has passed, then towards 1);
- ``sentiment``: the share of negative messages in the member's latest two
  active weeks against their weeks before (0 without scored messages
  before), both smoothed towards the program's own share so that two
  messages cannot make a trend;
- ``streak``: a daily streak (2 days or more) that has been broken;
- ``expiry``: the share of the balance that expires within 7 days, where
  the program has points expiry.

risk = sigmoid(BIAS + sum(weight * factor)). The weights are set by hand,
not fitted (a program has no labelled churners to fit them on); the demo
measures how well they rank simulated churners (``handlers.churn.evaluate``).
The explanation of a score is its largest terms ``weight * factor``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from handlers.i18n import translate
from storage.churn import Activity, Streak

WEIGHTS: dict[str, float] = {"activity": 2.0, "silence": 2.5, "sentiment": 1.5, "streak": 1.0, "expiry": 1.0}
BIAS = -2.5
RECENT_WEEKS = 2
# A factor whose term is below this does not explain a score.
EXPLAINS = 0.25
# Pseudo-messages pulling a member's negative share towards the program's share.
SMOOTHING = 2.0
# Usual gap assumed for a member with a single message.
DEFAULT_GAP_DAYS = 7.0
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Factor:
    """One factor of one member: its value in [0, 1], its term in the score, and the figures that
    explain it (``params`` of its catalog message ``churn.factor.<key>``)."""

    key: str
    value: float
    params: dict[str, object] = field(default_factory=dict)

    @property
    def term(self) -> float:
        return WEIGHTS[self.key] * self.value

    def text(self, locale: str) -> str:
        return translate(f"churn.factor.{self.key}", locale, **self.params)


@dataclass(frozen=True)
class ChurnRisk:
    """A member's churn risk in [0, 1] and every factor, largest term first."""

    member_id: int
    score: float
    factors: tuple[Factor, ...]
    messages: int
    last_active: datetime

    def top(self, count: int = 3) -> tuple[Factor, ...]:
        """The factors that explain the score (largest first)."""
        return tuple(f for f in self.factors if f.term >= EXPLAINS)[:count]

    def explain(self, locale: str, count: int = 3) -> str:
        return "; ".join(f.text(locale) for f in self.top(count))


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def activity_factor(a: Activity) -> Factor:
    """Recent 14 days against the member's rate over the weeks since their first message before them."""
    recent = sum(a.weekly[:RECENT_WEEKS])
    active_weeks = [k for k, n in enumerate(a.weekly) if n]
    before_weeks = max(active_weeks) - RECENT_WEEKS + 1 if active_weeks else 0
    before = sum(a.weekly[RECENT_WEEKS:])
    if before_weeks <= 0 or before == 0:
        return Factor("activity", 0.0, {"recent": recent, "usual": 0.0, "drop": 0})
    usual = before / before_weeks * RECENT_WEEKS
    drop = max(0.0, 1.0 - recent / usual)
    return Factor("activity", drop, {"recent": recent, "usual": round(usual, 1), "drop": round(drop * 100)})


def silence_factor(a: Activity, now: datetime) -> Factor:
    days = (now - a.last_at) / DAY
    gap = (a.last_at - a.first_at) / DAY / (a.messages - 1) if a.messages > 1 else DEFAULT_GAP_DAYS
    usual = max(gap, 1.0)
    value = 1.0 - math.exp(-max(0.0, days / usual - 1.0) / 3.0)
    return Factor("silence", value, {"days": math.floor(days), "usual": round(usual, 1)})


def sentiment_factor(a: Activity, base: float) -> Factor:
    """Latest two active weeks against the member's weeks before them."""
    active = [k for k, n in enumerate(a.scored) if n]
    if not active:
        return Factor("sentiment", 0.0, {"recent": 0, "before": round(base * 100)})
    cut = active[0] + RECENT_WEEKS
    if not sum(a.scored[cut:]):
        return Factor("sentiment", 0.0, {"recent": 0, "before": round(base * 100)})  # no past of their own
    recent = _share(sum(a.negative[:cut]), sum(a.scored[:cut]), base)
    before = _share(sum(a.negative[cut:]), sum(a.scored[cut:]), base)
    value = min(1.0, max(0.0, 2.0 * (recent - before)))
    return Factor("sentiment", value, {"recent": round(recent * 100), "before": round(before * 100)})


def _share(negative: int, scored: int, base: float) -> float:
    return (negative + SMOOTHING * base) / (scored + SMOOTHING)


def streak_factor(streak: Streak | None, today: date) -> Factor:
    """A streak of 2+ days whose last day is before yesterday is broken; longer streaks weigh more."""
    if streak is None or streak.streak_day is None or streak.streak < 2 or streak.streak_day >= today - DAY:
        return Factor("streak", 0.0, {"days": 0})
    return Factor("streak", min(1.0, streak.streak / 7.0), {"days": streak.streak,
                                                            "day": streak.streak_day.isoformat()})


def expiry_factor(expiring: int, balance: int) -> Factor:
    value = min(1.0, expiring / balance) if balance > 0 else 0.0
    return Factor("expiry", value, {"points": expiring})


def combine(member_id: int, a: Activity, factors: list[Factor]) -> ChurnRisk:
    z = BIAS + sum(f.term for f in factors)
    ordered = tuple(sorted(factors, key=lambda f: -f.term))
    return ChurnRisk(member_id, sigmoid(z), ordered, a.messages, a.last_at)
