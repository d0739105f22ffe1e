"""Churn risk checked against the demo's truth: the sample knows who it made churn.

At the month's end every member with enough history (``MIN_MESSAGES`` chat
messages in the sample) is scored by ``handlers.churn``; the ranking AUC says
how often a churner ranks above a member who stays (0.5 = chance).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.sample import DAYS, START, Person, Sample
from bot.demo.tables import Section
from handlers.churn.evaluate import ranking_auc
from handlers.churn.model import ChurnRisk
from handlers.churn.score import risks
from handlers.config_model import Program
from storage.models import Identity, Member

END = START + timedelta(days=DAYS)
MIN_MESSAGES = 4
TOP = 10


@dataclass(frozen=True)
class Validation:
    """The judged members' risks with the sample's truth, and the ranking AUC over them."""

    judged: list[tuple[Person, ChurnRisk]]
    auc: float | None

    @property
    def churners(self) -> int:
        return sum(1 for person, _ in self.judged if person.churning)


async def _member_of(session: AsyncSession) -> dict[tuple[str, str], int]:
    """(platform, user id) -> the member holding the account's history (the survivor of a /link)."""
    rows = await session.execute(select(Identity.platform, Identity.platform_user_id,
                                        func.coalesce(Member.merged_into, Member.id))
                                 .join(Member, Member.id == Identity.member_id))
    return {(platform, user): member for platform, user, member in rows}


async def validate(session: AsyncSession, program: Program, sample: Sample, now: datetime = END) -> Validation:
    spoke = Counter(e.user_id for e in sample.events if e.kind == "message")
    accounts = await _member_of(session)
    by_member = {r.member_id: r for r in await risks(session, program, now)}
    judged = []
    for person in sample.people:
        if sum(spoke[user] for user in person.accounts.values()) < MIN_MESSAGES:
            continue
        ids = {accounts[(platform, user)] for platform, user in person.accounts.items() if (platform, user) in accounts}
        found = [by_member[m] for m in ids if m in by_member]
        if found:
            judged.append((person, max(found, key=lambda r: r.score)))
    return Validation(judged, ranking_auc((risk.score, person.churning) for person, risk in judged))


def sections(result: Validation) -> list[Section]:
    auc = "-" if result.auc is None else f"{result.auc:.3f}"
    summary = Section("Churn risk against the simulation", ("figure", "value"), [
        ("members judged", f"{len(result.judged)} (with {MIN_MESSAGES}+ messages)"),
        ("simulated churners", str(result.churners)),
        ("members who stay", str(len(result.judged) - result.churners)),
        ("ranking AUC", auc),
    ], note="AUC = chance that a simulated churner ranks above a member who stays (0.5 = coin toss)")
    ranked = sorted(result.judged, key=lambda pr: -pr[1].score)[:TOP]
    top = Section(f"Highest churn risk (top {TOP})", ("member", "risk", "simulated", "top factors"),
                  [(person.name, f"{risk.score * 100:.0f}%", "churns" if person.churning else "stays",
                    risk.explain("en") or "-") for person, risk in ranked], right=frozenset({1}))
    return [summary, top]
