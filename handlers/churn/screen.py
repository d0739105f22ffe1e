"""Every member's churn score at once (numpy), to find which members need the full, explained score.

The digest shows the few members most at risk and how many are at high risk
out of tens of thousands. Building each member's factors with their
explanations (``handlers.churn.model``) costs about 20 µs a member in
Python, which at 50,000 members was a second of the digest. This module
computes the same formulas over arrays: the same operations in the same
order on the same float64 values, so its scores differ from the model's only
by rounding (``math.exp`` against ``numpy.exp``, a few units in the last
place). ``MARGIN`` is far above that, so a member whose screened score is
more than ``MARGIN`` below a cut is below it for the model too; the members
near a cut are scored by the model itself (``handlers.churn.score.ranking``).
The streak and expiry factors come from the model's own functions, member by
member: few members have either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from handlers.churn.model import (
    BIAS,
    DEFAULT_GAP_DAYS,
    RECENT_WEEKS,
    SMOOTHING,
    WEIGHTS,
)
from storage.churn import Activity

MARGIN = 1e-9
MICROSECONDS_A_DAY = 86_400_000_000

Floats = npt.NDArray[np.float64]


def scores(found: Sequence[Activity], now: datetime, base: float, streak: Floats, expiry: Floats) -> Floats:
    """The score of each of ``found`` (within rounding of ``handlers.churn.model.combine``'s), given
    each one's streak and expiry factor values."""
    weekly = np.array([a.weekly for a in found], dtype=np.int64)
    scored = np.array([a.scored for a in found], dtype=np.int64)
    negative = np.array([a.negative for a in found], dtype=np.int64)
    messages = np.array([a.messages for a in found], dtype=np.int64)
    last = np.array([a.last_at for a in found], dtype="datetime64[us]")
    first = np.array([a.first_at for a in found], dtype="datetime64[us]")
    moment = np.datetime64(now, "us")
    terms = (WEIGHTS["activity"] * _activity(weekly),
             WEIGHTS["silence"] * _silence(messages, first, last, moment),
             WEIGHTS["sentiment"] * _sentiment(scored, negative, base),
             WEIGHTS["streak"] * streak, WEIGHTS["expiry"] * expiry)
    z = BIAS + ((((terms[0] + terms[1]) + terms[2]) + terms[3]) + terms[4])
    return 1.0 / (1.0 + np.exp(-z))


def _activity(weekly: npt.NDArray[np.int64]) -> Floats:
    """``model.activity_factor``: every member has a message in some week, so the oldest active week is
    the last non-zero column."""
    weeks = weekly.shape[1]
    recent = weekly[:, :RECENT_WEEKS].sum(axis=1)
    oldest = weeks - 1 - np.argmax(weekly[:, ::-1] > 0, axis=1)
    before_weeks = oldest - RECENT_WEEKS + 1
    before = weekly[:, RECENT_WEEKS:].sum(axis=1)
    counted = (before_weeks > 0) & (before > 0)
    usual = np.where(counted, before / np.where(counted, before_weeks, 1) * RECENT_WEEKS, 1.0)
    return np.where(counted, np.maximum(0.0, 1.0 - recent / usual), 0.0)


def _silence(messages: npt.NDArray[np.int64], first: npt.NDArray[np.datetime64],
             last: npt.NDArray[np.datetime64], now: np.datetime64) -> Floats:
    """``model.silence_factor``, on whole microseconds (a timedelta divided by a day is the ratio of the
    two in microseconds, correctly rounded: the same float)."""
    days = (now - last).astype(np.int64) / MICROSECONDS_A_DAY
    span = (last - first).astype(np.int64) / MICROSECONDS_A_DAY
    gap = np.where(messages > 1, span / np.maximum(messages - 1, 1), DEFAULT_GAP_DAYS)
    usual = np.maximum(gap, 1.0)
    return 1.0 - np.exp(-np.maximum(0.0, days / usual - 1.0) / 3.0)


def _sentiment(scored: npt.NDArray[np.int64], negative: npt.NDArray[np.int64], base: float) -> Floats:
    """``model.sentiment_factor``: the split falls ``RECENT_WEEKS`` after each member's latest week with a
    scored message, so the sums on either side come from running totals."""
    weeks = scored.shape[1]
    rows = np.arange(len(scored))
    active = scored.any(axis=1)
    cut = np.minimum(np.argmax(scored > 0, axis=1) + RECENT_WEEKS, weeks)
    scored_to = np.concatenate([np.zeros((len(scored), 1), np.int64), scored.cumsum(axis=1)], axis=1)
    negative_to = np.concatenate([np.zeros((len(negative), 1), np.int64), negative.cumsum(axis=1)], axis=1)
    scored_recent, negative_recent = scored_to[rows, cut], negative_to[rows, cut]
    scored_before = scored_to[:, -1] - scored_recent
    negative_before = negative_to[:, -1] - negative_recent
    recent = (negative_recent + SMOOTHING * base) / (scored_recent + SMOOTHING)
    before = (negative_before + SMOOTHING * base) / (scored_before + SMOOTHING)
    value = np.minimum(1.0, np.maximum(0.0, 2.0 * (recent - before)))
    return np.where(active & (scored_before > 0), value, 0.0)
