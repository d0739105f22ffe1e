"""NPS surveys: scheduled rounds, one ask per member per survey, and their answers.

``nps_surveys`` is a scheduled round of a program: a row with its due time
and status (``sending`` while its DMs go out, then ``sent``); the unique
(program, due time) makes two processes firing the same round start it once.
``nps_responses`` is one member asked once: in a round (unique per round and
member, so a round resumed after a crash never asks anyone twice) or on
demand by ``/nps`` (no round). The score is written once, by a
compare-and-set on ``score IS NULL``; so is the optional "why", a link to the
``messages`` row holding its text, which the sentiment worker scores like
any chat message (refusal ``nps``: it earns nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    case,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId, EngagementState, Identity, Member, Message
from storage.upsert import insert_for

SENDING, SENT = "sending", "sent"
WHY_REFUSAL = "nps"
PROMOTER_MIN, DETRACTOR_MAX = 9, 6


class NpsSurvey(Base):
    __tablename__ = "nps_surveys"
    __table_args__ = (UniqueConstraint("program_id", "due_at", name="uq_nps_survey_due"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12))
    asked: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class NpsResponse(Base):
    __tablename__ = "nps_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "member_id", name="uq_nps_response_once"),
        Index("ix_nps_response_member", "program_id", "member_id", "asked_at"),
        Index("ix_nps_response_answered", "program_id", "answered_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    # None for an ask made by /nps rather than by a scheduled round.
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("nps_surveys.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    asked_at: Mapped[datetime] = mapped_column(DateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    why_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))


@dataclass(frozen=True)
class Tally:
    """Answers in a period by group; NPS = % promoters - % detractors (None without answers)."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> float | None:
        if not self.responses:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.responses


# Rounds


async def last_survey(session: AsyncSession, program_id: str) -> NpsSurvey | None:
    return await session.scalar(select(NpsSurvey).where(NpsSurvey.program_id == program_id)
                                .order_by(NpsSurvey.due_at.desc()).limit(1))


async def start_survey(session: AsyncSession, program_id: str, due_at: datetime, now: datetime) -> int | None:
    """A new round in ``sending``; None when another caller already started the round due then."""
    insert = insert_for(session, cast(Table, NpsSurvey.__table__))
    result = await session.execute(insert.values(program_id=program_id, due_at=due_at, status=SENDING, asked=0,
                                                 started_at=now)
                                   .on_conflict_do_nothing(index_elements=["program_id", "due_at"])
                                   .returning(NpsSurvey.id))
    return result.scalar()


async def finish_survey(session: AsyncSession, survey_id: int, now: datetime) -> bool:
    """``sending`` -> ``sent`` with the number asked; False if it was already finished."""
    asked = select(func.count()).where(NpsResponse.survey_id == survey_id).scalar_subquery()
    result = await session.execute(update(NpsSurvey).where(NpsSurvey.id == survey_id, NpsSurvey.status == SENDING)
                                   .values(status=SENT, sent_at=now, asked=asked))
    return cast(CursorResult[object], result).rowcount == 1


async def to_ask(session: AsyncSession, program_id: str, survey_id: int, active_since: datetime,
                 asked_since: datetime, limit: int) -> list[int]:
    """Up to ``limit`` members (the survivors of any /link) with a chat message in the program since
    ``active_since``, not frozen, not asked in this round nor anywhere in the program since
    ``asked_since``, in member order."""
    owner = func.coalesce(Member.merged_into, Message.member_id)
    asked = exists().where(NpsResponse.program_id == program_id, NpsResponse.member_id == owner,
                           (NpsResponse.survey_id == survey_id) | (NpsResponse.asked_at >= asked_since))
    frozen = exists().where(EngagementState.program_id == program_id, EngagementState.member_id == owner,
                            EngagementState.frozen.is_(True))
    rows = await session.scalars(
        select(owner).select_from(Message).join(Member, Member.id == Message.member_id)
        .where(Message.program_id == program_id, Message.created_at >= active_since,
               Message.refusal.is_distinct_from(WHY_REFUSAL), ~asked, ~frozen)
        .group_by(owner).order_by(owner).limit(limit))
    return list(rows)


async def ask_many(session: AsyncSession, program_id: str, survey_id: int, member_ids: Sequence[int],
                   now: datetime) -> dict[int, int]:
    """Record the round's asks; member -> response id of the ones not asked in this round before."""
    if not member_ids:
        return {}
    insert = insert_for(session, cast(Table, NpsResponse.__table__))
    result = await session.execute(
        insert.values([{"program_id": program_id, "survey_id": survey_id, "member_id": m, "asked_at": now}
                       for m in member_ids])
        .on_conflict_do_nothing(index_elements=["survey_id", "member_id"])
        .returning(NpsResponse.member_id, NpsResponse.id))
    return {m: r for m, r in result}


async def accounts(session: AsyncSession, member_ids: Sequence[int]) -> dict[int, tuple[tuple[str, str], ...]]:
    """Each member's (platform, user id) accounts, for their DMs."""
    rows = await session.execute(select(Identity.member_id, Identity.platform, Identity.platform_user_id)
                                 .where(Identity.member_id.in_(list(member_ids)))
                                 .order_by(Identity.member_id, Identity.platform))
    out: dict[int, list[tuple[str, str]]] = {}
    for member, platform, user in rows:
        out.setdefault(member, []).append((platform, user))
    return {m: tuple(a) for m, a in out.items()}


# One member's asks


async def ask(session: AsyncSession, program_id: str, member_id: int, now: datetime) -> int:
    """An ask made by /nps (no round); its response id."""
    row = NpsResponse(program_id=program_id, survey_id=None, member_id=member_id, asked_at=now)
    session.add(row)
    await session.flush()
    return row.id


def _of_member(program_id: str, member_id: int) -> Any:
    """The program's asks of a member, also those made to an account merged into it by /link."""
    return select(NpsResponse).join(Member, Member.id == NpsResponse.member_id).where(
        NpsResponse.program_id == program_id, func.coalesce(Member.merged_into, Member.id) == member_id)


async def latest(session: AsyncSession, program_id: str, member_id: int) -> NpsResponse | None:
    """The member's latest ask in the program."""
    return await session.scalar(_of_member(program_id, member_id)
                                .order_by(NpsResponse.asked_at.desc(), NpsResponse.id.desc()).limit(1))


async def latest_answered(session: AsyncSession, program_id: str, member_id: int) -> NpsResponse | None:
    return await session.scalar(_of_member(program_id, member_id).where(NpsResponse.score.is_not(None))
                                .order_by(NpsResponse.answered_at.desc(), NpsResponse.id.desc()).limit(1))


async def in_program(session: AsyncSession, program_id: str, response_id: int) -> NpsResponse | None:
    return await session.scalar(select(NpsResponse).where(NpsResponse.id == response_id,
                                                          NpsResponse.program_id == program_id))


async def record_score(session: AsyncSession, response_id: int, score: int, now: datetime) -> bool:
    """Write the score unless one is already there; True for the caller that wrote it."""
    result = await session.execute(update(NpsResponse)
                                   .where(NpsResponse.id == response_id, NpsResponse.score.is_(None))
                                   .values(score=score, answered_at=now))
    return cast(CursorResult[object], result).rowcount == 1


async def record_why(session: AsyncSession, response_id: int, message_id: int) -> bool:
    result = await session.execute(update(NpsResponse)
                                   .where(NpsResponse.id == response_id, NpsResponse.why_message_id.is_(None))
                                   .values(why_message_id=message_id))
    return cast(CursorResult[object], result).rowcount == 1


# The digest


async def tally(session: AsyncSession, program_id: str, start: datetime, end: datetime) -> Tally:
    """Answers given in [start, end), by group, in one aggregate."""
    score = NpsResponse.score
    row = (await session.execute(select(
        func.sum(case((score >= PROMOTER_MIN, 1), else_=0)),
        func.sum(case((and_(score > DETRACTOR_MAX, score < PROMOTER_MIN), 1), else_=0)),
        func.sum(case((score <= DETRACTOR_MAX, 1), else_=0)))
        .where(NpsResponse.program_id == program_id, score.is_not(None),
               NpsResponse.answered_at >= start, NpsResponse.answered_at < end))).one()
    return Tally(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


async def why_mix(session: AsyncSession, program_id: str, start: datetime,
                  end: datetime) -> dict[tuple[str, str | None], int]:
    """(group, sentiment label or None while unscored) -> whys, for answers given in [start, end)."""
    score = NpsResponse.score
    group = case((score >= PROMOTER_MIN, "promoters"), (score <= DETRACTOR_MAX, "detractors"), else_="passives")
    rows = await session.execute(
        select(group, Message.sentiment_label, func.count())
        .join(Message, Message.id == NpsResponse.why_message_id)
        .where(NpsResponse.program_id == program_id, NpsResponse.answered_at >= start,
               NpsResponse.answered_at < end)
        .group_by(group, Message.sentiment_label))
    return {(g, label): int(n) for g, label, n in rows}
