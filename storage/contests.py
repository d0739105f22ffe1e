"""Contests: the rows the scheduler runs from, and the queries their use cases need.

A contest row is its own timer: ``start_at``/``end_at`` with ``status``
scheduled -> open -> closed (or cancelled). Every status change is a
compare-and-set (``UPDATE ... WHERE status = ...``), so of two processes,
a late timer and a restart that fire the same contest, exactly one moves it.

At close each eligible entry gets ``draw_rank`` (its place in the vote
ranking or the draw order) and ``votes``; winners and rerolls read that
snapshot, so a later approval or rejection cannot reshuffle a published
result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId, Member, MembershipEvent, Message
from storage.ugc import UgcSubmission

SCHEDULED, OPEN, CLOSED, CANCELLED = "scheduled", "open", "closed", "cancelled"
PENDING = (SCHEDULED, OPEN)
UGC, PLAIN = "ugc", "plain"
ENTRY_TYPES = (UGC, PLAIN)
NO_VOTING, MEMBERS, MODERATOR, RANDOM = "none", "members", "moderator", "random"
VOTING = (NO_VOTING, MEMBERS, MODERATOR, RANDOM)
# Submission statuses whose entries take part (pending and rejected ones do not).
ELIGIBLE_UGC = ("approved", "featured")


class Contest(Base):
    __tablename__ = "contests"
    __table_args__ = (
        Index("ix_contest_program", "program_id", "id"),
        Index("ix_contest_status", "status", "id"),
        UniqueConstraint("program_id", "source_event", name="uq_contest_source_event"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    entry_type: Mapped[str] = mapped_column(String(8))
    voting: Mapped[str] = mapped_column(String(12))
    winners: Mapped[int] = mapped_column(Integer)
    prize: Mapped[int] = mapped_column(BigInteger)
    start_at: Mapped[datetime] = mapped_column(DateTime)
    end_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12))
    # Random draws: 32 random bytes (hex) made at creation; sha256 of them is published at the start.
    seed: Mapped[str | None] = mapped_column(String(64))
    commitment: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    # The create command's platform event: a redelivered command creates nothing twice.
    source_event: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ContestEntry(Base):
    __tablename__ = "contest_entries"
    __table_args__ = (
        Index("ix_contest_entry_member", "contest_id", "member_id"),
        UniqueConstraint("submission_id", name="uq_contest_entry_submission"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("ugc_submissions.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Set at close for the entries that took part: place in the ranking, and votes counted.
    draw_rank: Mapped[int | None] = mapped_column(Integer)
    votes: Mapped[int | None] = mapped_column(Integer)


class ContestVote(Base):
    __tablename__ = "contest_votes"
    __table_args__ = (
        UniqueConstraint("entry_id", "member_id", name="uq_contest_vote_once"),
        Index("ix_contest_vote_contest", "contest_id", "entry_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entries.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ContestWinner(Base):
    """One winning entry; ``how`` is votes, draw, pick or reroll. An entry wins at most once."""

    __tablename__ = "contest_winners"
    __table_args__ = (UniqueConstraint("entry_id", name="uq_contest_winner_entry"),)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), primary_key=True)
    place: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entries.id"))
    how: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)


@dataclass(frozen=True)
class Candidate:
    """An entry that can take part: its id, author and vote count."""

    entry_id: int
    member_id: int
    created_at: datetime
    votes: int


def _eligible_submission() -> ColumnElement[bool]:
    return or_(ContestEntry.submission_id.is_(None), UgcSubmission.status.in_(ELIGIBLE_UGC))


async def in_program(session: AsyncSession, program_id: str, contest_id: int, *,
                     lock: bool = False) -> Contest | None:
    """The contest if it belongs to the program; None for unknown ids and other programs' alike."""
    query = select(Contest).where(Contest.id == contest_id, Contest.program_id == program_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def by_source_event(session: AsyncSession, program_id: str, source_event: str) -> Contest | None:
    return await session.scalar(select(Contest).where(Contest.program_id == program_id,
                                                      Contest.source_event == source_event))


async def listed(session: AsyncSession, program_id: str, limit: int) -> list[Contest]:
    """The program's newest contests first."""
    rows = await session.scalars(select(Contest).where(Contest.program_id == program_id)
                                 .order_by(Contest.id.desc()).limit(limit))
    return list(rows)


async def pending(session: AsyncSession, program_ids: list[str]) -> list[Contest]:
    """Scheduled and open contests of the given programs: every timer still to run."""
    rows = await session.scalars(select(Contest).where(Contest.status.in_(PENDING),
                                                       Contest.program_id.in_(program_ids)).order_by(Contest.id))
    return list(rows)


async def _cas(session: AsyncSession, contest_id: int, old: tuple[str, ...], *conditions: ColumnElement[bool],
               **values: object) -> bool:
    """Compare-and-set: True only for the one caller whose UPDATE found the row still in ``old``."""
    result = await session.execute(update(Contest).where(Contest.id == contest_id, Contest.status.in_(old),
                                                         *conditions).values(**values))
    return result.rowcount == 1


async def open_due(session: AsyncSession, contest_id: int, now: datetime) -> bool:
    return await _cas(session, contest_id, (SCHEDULED,), Contest.start_at <= now, status=OPEN, opened_at=now)


async def close_due(session: AsyncSession, contest_id: int, now: datetime) -> bool:
    return await _cas(session, contest_id, (OPEN,), Contest.end_at <= now, status=CLOSED, closed_at=now)


async def cancel(session: AsyncSession, contest_id: int, now: datetime) -> bool:
    return await _cas(session, contest_id, PENDING, status=CANCELLED, closed_at=now)


async def end_now(session: AsyncSession, contest_id: int, now: datetime) -> bool:
    """Bring an open contest's end forward to ``now`` (its timer then closes it)."""
    return await _cas(session, contest_id, (OPEN,), Contest.end_at > now, end_at=now)


async def member_entries(session: AsyncSession, contest_id: int, member_id: int) -> int:
    """Entries the member holds in the contest; one whose submission was rejected no longer counts."""
    return int(await session.scalar(
        select(func.count()).select_from(ContestEntry)
        .outerjoin(UgcSubmission, UgcSubmission.id == ContestEntry.submission_id)
        .where(ContestEntry.contest_id == contest_id, ContestEntry.member_id == member_id,
               or_(UgcSubmission.id.is_(None), UgcSubmission.status != "rejected"))) or 0)


async def add_entry(session: AsyncSession, contest_id: int, member_id: int, now: datetime,
                    submission_id: int | None = None) -> ContestEntry:
    entry = ContestEntry(contest_id=contest_id, member_id=member_id, submission_id=submission_id,
                         created_at=now)
    session.add(entry)
    await session.flush()
    return entry


async def entry_in_program(session: AsyncSession, program_id: str,
                           entry_id: int) -> tuple[ContestEntry, Contest] | None:
    query = (select(ContestEntry, Contest).join(Contest, Contest.id == ContestEntry.contest_id)
             .where(ContestEntry.id == entry_id, Contest.program_id == program_id))
    row = (await session.execute(query)).one_or_none()
    return (row[0], row[1]) if row else None


async def entry_eligible(session: AsyncSession, entry: ContestEntry) -> bool:
    """A plain entry, or one whose submission is approved or featured."""
    if entry.submission_id is None:
        return True
    status = await session.scalar(select(UgcSubmission.status).where(UgcSubmission.id == entry.submission_id))
    return status in ELIGIBLE_UGC


async def candidates(session: AsyncSession, contest: Contest) -> list[Candidate]:
    """Eligible entries made while the contest was open, with their votes, in entry order."""
    votes = (select(ContestVote.entry_id, func.count().label("n")).where(ContestVote.contest_id == contest.id)
             .group_by(ContestVote.entry_id).subquery())
    rows = await session.execute(
        select(ContestEntry.id, ContestEntry.member_id, ContestEntry.created_at, func.coalesce(votes.c.n, 0))
        .outerjoin(UgcSubmission, UgcSubmission.id == ContestEntry.submission_id)
        .outerjoin(votes, votes.c.entry_id == ContestEntry.id)
        .where(ContestEntry.contest_id == contest.id, _eligible_submission(),
               ContestEntry.created_at >= contest.start_at, ContestEntry.created_at < contest.end_at)
        .order_by(ContestEntry.created_at, ContestEntry.id))
    return [Candidate(r[0], r[1], r[2], int(r[3])) for r in rows]


async def entries(session: AsyncSession, contest_id: int) -> list[ContestEntry]:
    rows = await session.scalars(select(ContestEntry).where(ContestEntry.contest_id == contest_id)
                                 .order_by(ContestEntry.id))
    return list(rows)


async def record_ranking(session: AsyncSession, ranked: list[Candidate]) -> None:
    """Store each taking-part entry's place and votes (the snapshot winners and rerolls read)."""
    if ranked:
        await session.execute(update(ContestEntry), [{"id": c.entry_id, "draw_rank": place, "votes": c.votes}
                                                     for place, c in enumerate(ranked, start=1)])


async def ranked(session: AsyncSession, contest_id: int) -> list[ContestEntry]:
    """Entries that took part, in their stored ranking order."""
    rows = await session.scalars(select(ContestEntry).where(ContestEntry.contest_id == contest_id,
                                                            ContestEntry.draw_rank.is_not(None))
                                 .order_by(ContestEntry.draw_rank))
    return list(rows)


async def has_voted(session: AsyncSession, entry_id: int, member_id: int) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(ContestVote).where(
        ContestVote.entry_id == entry_id, ContestVote.member_id == member_id)))


async def add_vote(session: AsyncSession, entry: ContestEntry, member_id: int, now: datetime) -> None:
    session.add(ContestVote(contest_id=entry.contest_id, entry_id=entry.id, member_id=member_id,
                            created_at=now))
    await session.flush()


async def winners(session: AsyncSession, contest_id: int) -> list[tuple[ContestWinner, ContestEntry]]:
    rows = await session.execute(select(ContestWinner, ContestEntry)
                                 .join(ContestEntry, ContestEntry.id == ContestWinner.entry_id)
                                 .where(ContestWinner.contest_id == contest_id).order_by(ContestWinner.place))
    return [(w, e) for w, e in rows.tuples()]


async def add_winner(session: AsyncSession, contest_id: int, entry_id: int, how: str, actor: str,
                     now: datetime) -> int:
    """Record the next place for ``entry_id``; returns the place."""
    top = await session.scalar(select(func.coalesce(func.max(ContestWinner.place), 0))
                               .where(ContestWinner.contest_id == contest_id))
    place = int(top or 0) + 1
    session.add(ContestWinner(contest_id=contest_id, place=place, entry_id=entry_id, how=how, actor=actor,
                              created_at=now))
    await session.flush()
    return place


async def first_seen(session: AsyncSession, program_id: str, member_id: int) -> datetime | None:
    """The earliest evidence of the member: when the bot first saw the person (``members.created_at``,
    theirs or an account merged into them by /link), their first join or message in the program."""
    ids = select(Member.id).where(or_(Member.id == member_id, Member.merged_into == member_id))
    found = [await session.scalar(select(func.min(Member.created_at)).where(Member.id.in_(ids))),
             await session.scalar(select(func.min(MembershipEvent.created_at))
                                  .where(MembershipEvent.program_id == program_id,
                                         MembershipEvent.member_id.in_(ids))),
             await session.scalar(select(func.min(Message.created_at))
                                  .where(Message.program_id == program_id, Message.member_id.in_(ids)))]
    known = [f for f in found if f is not None]
    return min(known) if known else None


@dataclass(frozen=True)
class ContestSummary:
    """A contest as the digest shows it: its entries and votes so far, and its winners' member ids by place."""

    id: int
    title: str
    status: str
    voting: str
    prize: int
    end_at: datetime
    closed_at: datetime | None
    entries: int
    votes: int
    winner_ids: tuple[int, ...]


async def open_between(session: AsyncSession, program_id: str, start: datetime, end: datetime) -> list[ContestSummary]:
    """Contests of the program that were open at some moment of [start, end) (opened before ``end``, not
    closed or cancelled before ``start``), oldest first, with grouped counts rather than a query each."""
    entries = (select(ContestEntry.contest_id, func.count().label("n")).group_by(ContestEntry.contest_id)
               .subquery())
    votes = (select(ContestVote.contest_id, func.count().label("n")).group_by(ContestVote.contest_id).subquery())
    rows = (await session.execute(
        select(Contest.id, Contest.title, Contest.status, Contest.voting, Contest.prize, Contest.end_at,
               Contest.closed_at, func.coalesce(entries.c.n, 0), func.coalesce(votes.c.n, 0))
        .outerjoin(entries, entries.c.contest_id == Contest.id).outerjoin(votes, votes.c.contest_id == Contest.id)
        .where(Contest.program_id == program_id, Contest.opened_at.is_not(None), Contest.opened_at < end,
               or_(Contest.closed_at.is_(None), Contest.closed_at >= start))
        .order_by(Contest.opened_at, Contest.id))).tuples().all()
    won: dict[int, list[int]] = {}
    if rows:
        placed = await session.execute(
            select(ContestWinner.contest_id, ContestEntry.member_id)
            .join(ContestEntry, ContestEntry.id == ContestWinner.entry_id)
            .where(ContestWinner.contest_id.in_([r[0] for r in rows]))
            .order_by(ContestWinner.contest_id, ContestWinner.place))
        for contest_id, member_id in placed.tuples():
            won.setdefault(contest_id, []).append(member_id)
    return [ContestSummary(cid, title, status, voting, int(prize), end_at, closed_at, int(n_entries), int(n_votes),
                           tuple(won.get(cid, ()))) for cid, title, status, voting, prize, end_at, closed_at,
            n_entries, n_votes in rows]
