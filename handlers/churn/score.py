"""Churn risk of a program's members as of a moment: the aggregates (``storage.churn``), then the factors.

Members are those with a message in the program over the lookback
(``LOOKBACK_WEEKS``): someone silent for longer has already left, which is
not a risk to act on. Points expiry, where the program has it, uses the same
closed form as the expiry job (``handlers.rewards.expiry.plan``): the points
that will expire at the end of each of the next 7 days.

``risks`` scores and explains every member; ``ranking`` gives what the
digest shows (the top few, how many are at or above a threshold, how many
there are) with the same figures, but explains only the members it shows:
the others are screened over arrays (``handlers.churn.screen``) and only the
members too close to a cut to tell by screening are scored one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.churn import screen
from handlers.churn.model import (
    ChurnRisk,
    activity_factor,
    combine,
    expiry_factor,
    sentiment_factor,
    silence_factor,
    streak_factor,
)
from handlers.config_model import Program
from handlers.daily import local_day
from handlers.rewards.expiry import cuts, plan
from storage import churn, rewards
from storage.churn import Streak

LOOKBACK_WEEKS = 8
FLOW_CHUNK = 500


@dataclass(frozen=True)
class Inputs:
    """What the factors of a program's members are computed from, read once."""

    found: list[churn.Activity]
    streaks: dict[int, Streak]
    expiring: dict[int, tuple[int, int]]
    base: float
    today: date


@dataclass(frozen=True)
class Ranking:
    """The ``top`` members most at risk (as ``risks`` ranks them), how many score at or above the
    threshold asked for, and how many members were scored."""

    top: tuple[ChurnRisk, ...]
    at_or_above: int
    members: int


async def _inputs(session: AsyncSession, program: Program, now: datetime,
                  member_ids: Sequence[int] | None) -> Inputs | None:
    found = await churn.activity(session, program.id, now, LOOKBACK_WEEKS, member_ids)
    if not found:
        return None
    ids = [a.member_id for a in found]
    streaks = await churn.streaks(session, program.id, None if member_ids is None else ids)
    expiring = await _expiring(session, program, now, None if member_ids is None else ids)
    base = _negative_share(found) if member_ids is None else \
        await churn.negative_share(session, program.id, now, LOOKBACK_WEEKS)
    return Inputs(found, streaks, expiring, base, local_day(now, program.timezone))


def _risk(a: churn.Activity, inputs: Inputs, now: datetime) -> ChurnRisk:
    held, soon = inputs.expiring.get(a.member_id, (0, 0))
    return combine(a.member_id, a, [activity_factor(a), silence_factor(a, now),
                                    sentiment_factor(a, inputs.base),
                                    streak_factor(inputs.streaks.get(a.member_id), inputs.today),
                                    expiry_factor(soon, held)])


def _ranked(risks: list[ChurnRisk]) -> list[ChurnRisk]:
    return sorted(risks, key=lambda r: (-r.score, r.member_id))


async def risks(session: AsyncSession, program: Program, now: datetime,
                member_ids: Sequence[int] | None = None) -> list[ChurnRisk]:
    """Every member's churn risk (or only ``member_ids``'), highest first; ties by member id."""
    inputs = await _inputs(session, program, now, member_ids)
    if inputs is None:
        return []
    return _ranked([_risk(a, inputs, now) for a in inputs.found])


async def ranking(session: AsyncSession, program: Program, now: datetime, top: int,
                  threshold: float) -> Ranking:
    """``risks(...)[:top]``, the number of members whose score is at least ``threshold`` and the number
    of members, with only the members near either cut scored one by one (see the module's docstring)."""
    inputs = await _inputs(session, program, now, None)
    if inputs is None:
        return Ranking((), 0, 0)
    found = inputs.found
    streak, expiry = _side_factors(inputs)
    screened = screen.scores(found, now, inputs.base, streak, expiry)
    if 0 < top <= len(found):
        cut = np.sort(screened)[-top] - screen.MARGIN
    else:
        cut = -np.inf if top > 0 else np.inf
    near = (screened >= threshold - screen.MARGIN) & (screened < threshold + screen.MARGIN)
    exact = {i: _risk(found[i], inputs, now) for i in np.flatnonzero((screened >= cut) | near)}
    above = int(np.count_nonzero(screened >= threshold + screen.MARGIN)) + \
        sum(1 for i in np.flatnonzero(near) if exact[i].score >= threshold)
    return Ranking(tuple(_ranked(list(exact.values()))[:max(top, 0)]), above, len(found))


def _side_factors(inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """The streak and expiry factor values of each member (the model's own functions; zero for the
    members with no streak and no points about to expire, most of them)."""
    index = {a.member_id: i for i, a in enumerate(inputs.found)}
    streak, expiry = np.zeros(len(index)), np.zeros(len(index))
    for member, held in inputs.streaks.items():
        if member in index:
            streak[index[member]] = streak_factor(held, inputs.today).value
    for member, (balance, soon) in inputs.expiring.items():
        if member in index:
            expiry[index[member]] = expiry_factor(soon, balance).value
    return streak, expiry


async def risk_of(session: AsyncSession, program: Program, member_id: int, now: datetime) -> ChurnRisk | None:
    """One member's churn risk (None when they sent nothing in the lookback); e.g. for win-back nudges.
    The same figures as the member's row in ``risks``."""
    found = await risks(session, program, now, [member_id])
    return found[0] if found else None


def _negative_share(found: list[churn.Activity]) -> float:
    scored = sum(sum(a.scored) for a in found)
    return sum(sum(a.negative) for a in found) / scored if scored else 0.0


async def _expiring(session: AsyncSession, program: Program, now: datetime,
                    member_ids: Sequence[int] | None) -> dict[int, tuple[int, int]]:
    """(balance, points expiring within 7 days) of members holding points, where expiry is on."""
    days = program.points_expiry_days
    if days is None:
        return {}
    held = await churn.balances(session, program.id, member_ids)
    today = local_day(now, program.timezone)
    thresholds = cuts(today, days, program.timezone)
    holders = sorted(held)
    out = {}
    for start in range(0, len(holders), FLOW_CHUNK):
        for flow in await rewards.flows(session, program.id, holders[start:start + FLOW_CHUNK], thresholds):
            planned = plan(flow, today)
            out[flow.member_id] = (held[flow.member_id], planned.expire + sum(a for _, a in planned.upcoming))
    return out
