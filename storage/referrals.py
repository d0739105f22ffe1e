"""Referrals: personal invite links, every join with how it was attributed, and what became of it.

A link is one member's own invite into one community (``/invite``), reused
until revoked. Every join is a ``referral_joins`` row with its attribution
(exact, ambiguous, unattributed) and the evidence for it, whether or not
anyone is credited, so the funnel and any dispute can be answered from the
rows. A join through a personal link that passes the fraud rules waits as
``pending`` until ``due_at``: the row is its own timer (the scheduler re-arms
from it, ``handlers.referrals.schedule``). Every status change is a
compare-and-set (``UPDATE ... WHERE status = ...``), so a qualification that
fires twice, or races the member leaving, moves the row once.

Rows keep the member ids of the moment; ``/link`` may later merge them, so
questions about a person go through ``aliases`` (every id merged into it)
and ``survivors`` (the id that holds the points now).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId, Identity, LedgerEntry, Member, MembershipEvent, Message, Reaction

EXACT, AMBIGUOUS, UNATTRIBUTED = "exact", "ambiguous", "unattributed"
ATTRIBUTIONS = (EXACT, AMBIGUOUS, UNATTRIBUTED)
PENDING, QUALIFIED, REJECTED, DROPPED, CLAWED_BACK = "pending", "qualified", "rejected", "dropped", "clawed_back"
STATUSES = (PENDING, QUALIFIED, CLAWED_BACK, DROPPED, REJECTED)
# Why a join is not (or no longer) a paying referral.
SELF_REFERRAL, REJOIN, ACCOUNT_TOO_YOUNG = "self_referral", "rejoin", "account_too_young"
NOT_REFERRAL, INACTIVE, LEFT_EARLY, LEFT_AFTER = "not_referral", "inactive", "left_early", "left_after_qualifying"
EVIDENCE_MAX = 2000
CODE_MAX = 100


class ReferralLink(Base):
    __tablename__ = "referral_links"
    __table_args__ = (
        UniqueConstraint("platform", "community_id", "code", name="uq_referral_link_code"),
        Index("ix_referral_link_member", "program_id", "member_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    platform: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[str] = mapped_column(String(32))
    # What a join names: the Discord invite code, the Telegram link without "https://t.me/+".
    code: Mapped[str] = mapped_column(String(CODE_MAX))
    url: Mapped[str] = mapped_column(String(200))
    # The label given to the platform (Telegram's link name, Discord's audit-log reason).
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Set when it is no longer handed out; joins through it are still credited.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class ReferralJoin(Base):
    """One join, with its attribution and evidence, and (through a personal link) its referral status."""

    __tablename__ = "referral_joins"
    __table_args__ = (
        UniqueConstraint("membership_event_id", name="uq_referral_join_event"),
        Index("ix_referral_join_status", "status", "due_at"),
        Index("ix_referral_join_inviter", "program_id", "inviter_member_id"),
        Index("ix_referral_join_member", "program_id", "platform", "community_id", "member_id"),
        Index("ix_referral_join_time", "program_id", "joined_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    membership_event_id: Mapped[int] = mapped_column(ForeignKey("membership_events.id"))
    attribution: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(Text)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("referral_links.id"))
    inviter_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    joined_at: Mapped[datetime] = mapped_column(DateTime)
    # While pending: when the qualification check runs next.
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Paid to the inviter at qualification, and taken back by a clawback (at most what the balance held).
    points: Mapped[int | None] = mapped_column(BigInteger)
    clawed_back: Mapped[int | None] = mapped_column(BigInteger)


def invite_code(invite: str) -> str:
    """The code an invite names, whether given as a URL or a code: ``https://discord.gg/abc`` and ``abc``
    give ``abc``; ``https://t.me/+AbC`` and ``https://t.me/joinchat/AbC`` give ``AbC``."""
    return invite.strip().rstrip("/").rsplit("/", 1)[-1].removeprefix("+")[:CODE_MAX]


async def aliases(session: AsyncSession, member_id: int) -> set[int]:
    """The member and every member merged into it, however many merges back: rows written before a
    ``/link`` still name the merged-away id."""
    found = {member_id}
    frontier = {member_id}
    while frontier:
        merged = set(await session.scalars(select(Member.id).where(Member.merged_into.in_(sorted(frontier)))))
        frontier = merged - found
        found |= frontier
    return found


async def survivors(session: AsyncSession, member_ids: Iterable[int]) -> dict[int, int]:
    """Each id mapped to the member holding its points now, without locking (for listings; use cases
    that credit lock through ``storage.locks.current_members``)."""
    nxt: dict[int, int | None] = {}
    wanted = set(member_ids)
    while wanted:
        rows = await session.execute(select(Member.id, Member.merged_into).where(Member.id.in_(sorted(wanted))))
        found = dict(rows.tuples().all())
        nxt.update(found)
        wanted = {m for m in found.values() if m is not None and m not in nxt}
    out = {}
    for member_id in member_ids:
        current, seen = member_id, {member_id}
        while (step := nxt.get(current)) is not None and step not in seen:
            seen.add(step)
            current = step
        out[member_id] = current
    return out


async def account_member(session: AsyncSession, platform: str, user_id: str) -> int | None:
    """The member holding a platform account's points now, or None for an account never seen (read only)."""
    member_id = await session.scalar(select(Identity.member_id).where(
        Identity.platform == platform, Identity.platform_user_id == user_id))
    return None if member_id is None else (await survivors(session, [member_id]))[member_id]


async def live_link(session: AsyncSession, program_id: str, platform: str, community_id: str,
                    member_ids: Iterable[int]) -> ReferralLink | None:
    """The member's link into the community still handed out, if any."""
    return await session.scalar(select(ReferralLink).where(
        ReferralLink.program_id == program_id, ReferralLink.platform == platform,
        ReferralLink.community_id == community_id, ReferralLink.member_id.in_(sorted(member_ids)),
        ReferralLink.revoked_at.is_(None)).order_by(ReferralLink.id).limit(1))


async def add_link(session: AsyncSession, program_id: str, member_id: int, platform: str, community_id: str,
                   url: str, name: str, now: datetime, *, revoked: bool = False) -> ReferralLink:
    link = ReferralLink(program_id=program_id, member_id=member_id, platform=platform, community_id=community_id,
                        code=invite_code(url), url=url[:200], name=name[:64], created_at=now,
                        revoked_at=now if revoked else None)
    session.add(link)
    await session.flush()
    return link


async def link_for_invite(session: AsyncSession, program_id: str, platform: str, community_id: str,
                          invite: str) -> ReferralLink | None:
    """The personal link a join names (by URL or code), if the invite is one of ours in this community."""
    return await session.scalar(select(ReferralLink).where(
        ReferralLink.program_id == program_id, ReferralLink.platform == platform,
        ReferralLink.community_id == community_id, ReferralLink.code == invite_code(invite)))


async def revoke(session: AsyncSession, platform: str, community_id: str, invite: str, now: datetime) -> int:
    """Stop handing out a personal link the platform deleted; joins already made through it keep
    their credit. How many live links it matched (0 for an invite that is not ours)."""
    result = await session.execute(update(ReferralLink).where(
        ReferralLink.platform == platform, ReferralLink.community_id == community_id,
        ReferralLink.code == invite_code(invite), ReferralLink.revoked_at.is_(None)).values(revoked_at=now))
    return int(result.rowcount or 0)


async def was_in_program(session: AsyncSession, program_id: str, member_ids: Iterable[int], before: datetime,
                         event_id: int) -> bool:
    """Whether the person left any trace in the program before joining at ``before``: another join or
    leave, a message, a reaction or a ledger entry (a balance). Traces are compared by their own time,
    so the new member's first message, handled before a slow join event, is not taken for an old one."""
    ids = sorted(member_ids)
    traces: tuple[Any, ...] = (
        select(MembershipEvent.id).where(MembershipEvent.program_id == program_id,
                                         MembershipEvent.member_id.in_(ids), MembershipEvent.id != event_id,
                                         MembershipEvent.created_at <= before),
        select(Message.id).where(Message.program_id == program_id, Message.member_id.in_(ids),
                                 Message.created_at < before),
        select(Reaction.id).where(Reaction.program_id == program_id, Reaction.reactor_member_id.in_(ids),
                                  Reaction.created_at < before),
        select(LedgerEntry.id).where(LedgerEntry.program_id == program_id, LedgerEntry.member_id.in_(ids),
                                     LedgerEntry.created_at < before),
    )
    for trace in traces:
        if await session.scalar(trace.limit(1)) is not None:
            return True
    return False


async def add_join(session: AsyncSession, **values: Any) -> ReferralJoin:
    join = ReferralJoin(**values)
    session.add(join)
    await session.flush()
    return join


async def open_joins(session: AsyncSession, program_id: str, platform: str, community_id: str,
                     member_ids: Iterable[int]) -> list[ReferralJoin]:
    """The member's referrals into this community that a leave still changes (pending or qualified)."""
    rows = await session.scalars(select(ReferralJoin).where(
        ReferralJoin.program_id == program_id, ReferralJoin.platform == platform,
        ReferralJoin.community_id == community_id, ReferralJoin.member_id.in_(sorted(member_ids)),
        ReferralJoin.status.in_((PENDING, QUALIFIED))).order_by(ReferralJoin.id))
    return list(rows)


async def move(session: AsyncSession, join_id: int, expected: str, **values: Any) -> bool:
    """Compare-and-set: change the row only if its status is still ``expected``; True if this call did."""
    result = await session.execute(update(ReferralJoin).where(
        ReferralJoin.id == join_id, ReferralJoin.status == expected).values(**values)
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)


async def pending(session: AsyncSession, program_ids: Iterable[str]) -> list[tuple[int, datetime]]:
    """(id, due_at) of every referral waiting for its qualification check."""
    rows = await session.execute(select(ReferralJoin.id, ReferralJoin.due_at).where(
        ReferralJoin.status == PENDING, ReferralJoin.program_id.in_(sorted(program_ids)))
        .order_by(ReferralJoin.id))
    return [(row.id, row.due_at) for row in rows if row.due_at is not None]


async def earning_messages(session: AsyncSession, program_id: str, member_ids: Iterable[int], since: datetime,
                           until: datetime) -> int:
    """Messages of the person in the program that earned points, dated within [since, until]."""
    return await session.scalar(select(func.count()).select_from(Message).where(
        Message.program_id == program_id, Message.member_id.in_(sorted(member_ids)), Message.points > 0,
        Message.created_at >= since, Message.created_at <= until)) or 0


async def of_inviter(session: AsyncSession, program_id: str, inviter_ids: Iterable[int],
                     limit: int) -> tuple[dict[str, int], list[ReferralJoin]]:
    """The inviter's referrals: how many in each status, and the latest ``limit`` of them."""
    where = (ReferralJoin.program_id == program_id, ReferralJoin.inviter_member_id.in_(sorted(inviter_ids)))
    counts = dict((await session.execute(select(ReferralJoin.status, func.count()).where(*where)
                                         .group_by(ReferralJoin.status))).tuples().all())
    rows = await session.scalars(select(ReferralJoin).where(*where)
                                 .order_by(ReferralJoin.joined_at.desc(), ReferralJoin.id.desc()).limit(limit))
    return counts, list(rows)


async def inviter_counts(session: AsyncSession, program_id: str) -> list[tuple[int, str, int]]:
    """(inviter member id as stored, status, referrals) for every inviter of the program."""
    rows = await session.execute(
        select(ReferralJoin.inviter_member_id, ReferralJoin.status, func.count())
        .where(ReferralJoin.program_id == program_id, ReferralJoin.inviter_member_id.is_not(None))
        .group_by(ReferralJoin.inviter_member_id, ReferralJoin.status))
    return [(int(inviter), status, count) for inviter, status, count in rows.tuples()]


@dataclass(frozen=True)
class Funnel:
    """A program's referrals from link to payout. Every join has exactly one status, so
    ``sum(statuses.values()) == sum(joins.values())``; ``rejected`` splits the rejected ones by reason
    (ambiguous and unattributed joins among them: they are recorded, never credited)."""

    links_created: int
    joins: dict[str, int] = field(default_factory=dict)
    referred: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """As (stage, detail, count) rows, for CSV and JSON exports and reports."""
        def row(stage: str, count: int, detail: str = "") -> dict[str, Any]:
            return {"stage": stage, "detail": detail, "count": count}

        out = [row("links_created", self.links_created), row("joins", sum(self.joins.values()))]
        out += [row("joins", self.joins.get(a, 0), a) for a in ATTRIBUTIONS]
        out.append(row("referred", self.referred))
        out += [row(s, self.statuses.get(s, 0)) for s in STATUSES]
        out += [row(REJECTED, count, reason) for reason, count in sorted(self.rejected.items())]
        return out


async def funnel(session: AsyncSession, program_id: str, since: datetime | None = None,
                 until: datetime | None = None) -> Funnel:
    """Links created and joins made within [since, until) (either bound optional), and where the joins
    stand now. Cheap enough for a digest: a handful of grouped counts."""
    def window(column: Any) -> list[Any]:
        return ([column >= since] if since else []) + ([column < until] if until else [])

    links = await session.scalar(select(func.count()).select_from(ReferralLink).where(
        ReferralLink.program_id == program_id, *window(ReferralLink.created_at))) or 0
    joined = (ReferralJoin.program_id == program_id, *window(ReferralJoin.joined_at))
    by_attribution = dict((await session.execute(select(ReferralJoin.attribution, func.count()).where(*joined)
                                                 .group_by(ReferralJoin.attribution))).tuples().all())
    by_status = dict((await session.execute(select(ReferralJoin.status, func.count()).where(*joined)
                                            .group_by(ReferralJoin.status))).tuples().all())
    by_reason = dict((await session.execute(
        select(ReferralJoin.reason, func.count()).where(*joined, ReferralJoin.status == REJECTED)
        .group_by(ReferralJoin.reason))).tuples().all())
    referred = await session.scalar(select(func.count()).select_from(ReferralJoin).where(
        *joined, ReferralJoin.link_id.is_not(None))) or 0
    return Funnel(links, by_attribution, referred, by_status, {str(k): v for k, v in by_reason.items()})
