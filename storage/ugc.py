"""User-generated content: the submissions and consent tables, and the queries on them.

A submission's sentiment is not stored here: its text is also written as a
``messages`` row (earning nothing), which the existing scoring worker scores
like any chat message; ``message_id`` points at it. Media live in the
content-addressed media folder under their sha256; the row keeps the hash,
type, size and original file name.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    ScalarSelect,
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

from storage.models import Base, BigId, Identity, Member, Message
from storage.upsert import insert_for

PENDING, APPROVED, REJECTED, FEATURED = "pending", "approved", "rejected", "featured"
STATUSES = (PENDING, APPROVED, REJECTED, FEATURED)


class UgcSubmission(Base):
    __tablename__ = "ugc_submissions"
    __table_args__ = (
        UniqueConstraint("platform", "community_id", "platform_message_id", name="uq_ugc_platform_message"),
        Index("ix_ugc_queue", "program_id", "status", "id"),
        Index("ix_ugc_member_day", "program_id", "member_id", "created_at"),
        Index("ix_ugc_media", "program_id", "media_sha256"),
        Index("ix_ugc_text", "program_id", "text_hash"),
        Index("ix_ugc_contest", "contest_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    platform: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    # The command or chat message the content came in; redelivery of it cannot submit twice.
    platform_message_id: Mapped[str] = mapped_column(String(64))
    permalink: Mapped[str | None] = mapped_column(String(300))
    contest_id: Mapped[int | None] = mapped_column(BigInteger)
    # The campaign the content was tagged to by its hashtag (``birthday``: handlers.campaigns.birthdays).
    campaign: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    # Normalised-text hash (handlers.engagement.fingerprint); None when there is no text.
    text_hash: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    media_sha256: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(16))
    media_mime: Mapped[str | None] = mapped_column(String(100))
    media_size: Mapped[int | None] = mapped_column(Integer)
    media_filename: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reviewer: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reject_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class UgcConsent(Base):
    """A member agreed to the program's content terms (``terms_hash`` names the text they saw)."""

    __tablename__ = "ugc_consents"
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    terms_hash: Mapped[str] = mapped_column(String(64))
    consented_at: Mapped[datetime] = mapped_column(DateTime)


@dataclass(frozen=True)
class SubmissionView:
    """A submission as review and export show it: the author's display name and the sentiment of its text
    (None until the scoring worker got to it, and for media without text) come along."""

    id: int
    program_id: str
    member_id: int
    author: str | None
    platform: str
    community_id: str
    channel_id: str
    permalink: str | None
    contest_id: int | None
    text: str
    media_sha256: str | None
    media_type: str | None
    media_mime: str | None
    media_size: int | None
    media_filename: str | None
    status: str
    reviewer: str | None
    reviewed_at: datetime | None
    reject_reason: str | None
    created_at: datetime
    sentiment_label: str | None
    campaign: str | None = None


async def has_consented(session: AsyncSession, program_id: str, member_id: int, terms_hash: str) -> bool:
    """Whether the member accepted these terms in the program, themselves or as an account that
    ``/link`` merged into them."""
    found = await session.scalar(
        select(UgcConsent.member_id).join(Member, Member.id == UgcConsent.member_id)
        .where(UgcConsent.program_id == program_id, UgcConsent.terms_hash == terms_hash,
               or_(Member.id == member_id, Member.merged_into == member_id)).limit(1))
    return found is not None


async def record_consent(session: AsyncSession, program_id: str, member_id: int, terms_hash: str,
                         now: datetime) -> None:
    """Accepting again (new terms, a second press) replaces the earlier consent."""
    stmt = insert_for(session, UgcConsent.__table__).values(
        program_id=program_id, member_id=member_id, terms_hash=terms_hash, consented_at=now)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["program_id", "member_id"],
        set_={"terms_hash": stmt.excluded.terms_hash, "consented_at": stmt.excluded.consented_at}))


async def by_platform_message(session: AsyncSession, platform: str, community_id: str,
                              platform_message_id: str) -> UgcSubmission | None:
    return await session.scalar(select(UgcSubmission).where(
        UgcSubmission.platform == platform, UgcSubmission.community_id == community_id,
        UgcSubmission.platform_message_id == platform_message_id))


async def same_media(session: AsyncSession, program_id: str, media_sha256: str) -> int | None:
    """The first submission of the program holding this exact file."""
    return await session.scalar(select(func.min(UgcSubmission.id)).where(
        UgcSubmission.program_id == program_id, UgcSubmission.media_sha256 == media_sha256))


async def same_text(session: AsyncSession, program_id: str, text_hash: str) -> int | None:
    """The first text-only submission of the program with this normalised text."""
    return await session.scalar(select(func.min(UgcSubmission.id)).where(
        UgcSubmission.program_id == program_id, UgcSubmission.text_hash == text_hash,
        UgcSubmission.media_sha256.is_(None)))


async def count_between(session: AsyncSession, program_id: str, member_id: int, start: datetime,
                        end: datetime) -> int:
    """The member's submissions in the program created in [start, end), any status."""
    return int(await session.scalar(select(func.count()).select_from(UgcSubmission).where(
        UgcSubmission.program_id == program_id, UgcSubmission.member_id == member_id,
        UgcSubmission.created_at >= start, UgcSubmission.created_at < end)) or 0)


async def insert(session: AsyncSession, row: dict[str, object]) -> int | None:
    """Store a submission; None when its platform message was submitted already (a redelivery that
    raced this one)."""
    table = UgcSubmission.__table__
    stmt = insert_for(session, table).values(status=PENDING, **row).on_conflict_do_nothing(
        index_elements=["platform", "community_id", "platform_message_id"]).returning(table.c.id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get(session: AsyncSession, program_id: str, submission_id: int) -> UgcSubmission | None:
    """A submission of this program; one of another program is as unknown as a missing one."""
    return await session.scalar(select(UgcSubmission).where(
        UgcSubmission.id == submission_id, UgcSubmission.program_id == program_id)
        .execution_options(populate_existing=True))


async def review(session: AsyncSession, program_id: str, submission_id: int, from_statuses: Collection[str],
                 to_status: str, reviewer: str, now: datetime, reject_reason: str | None = None) -> bool:
    """Move a submission to ``to_status`` if it is still in one of ``from_statuses``: a compare-and-set,
    so of two moderators reviewing at once exactly one wins (the other's UPDATE waits for the row,
    then matches nothing)."""
    table = UgcSubmission.__table__
    result = await session.execute(
        update(table)
        .where(table.c.id == submission_id, table.c.program_id == program_id,
               table.c.status.in_(sorted(from_statuses)))
        .values(status=to_status, reviewer=reviewer, reviewed_at=now, reject_reason=reject_reason))
    return result.rowcount == 1


def _author() -> ScalarSelect[str]:
    """Display name of the member holding the submission now (following a ``/link`` merge); correlated
    with the ``members`` row of the submission's author in the enclosing query."""
    holder = func.coalesce(Member.merged_into, Member.id)
    return select(Identity.display_name).where(Identity.member_id == holder).order_by(Identity.id).limit(1) \
        .scalar_subquery()


async def listing(session: AsyncSession, program_id: str, statuses: Collection[str], *,
                  limit: int | None = None, newest_first: bool = False) -> list[SubmissionView]:
    """Submissions of the program in the given statuses, oldest first (the review queue's order) unless
    ``newest_first``."""
    s = UgcSubmission
    order = s.id.desc() if newest_first else s.id
    query = (select(s.id, s.program_id, s.member_id, _author(), s.platform, s.community_id, s.channel_id,
                    s.permalink, s.contest_id, s.text, s.media_sha256, s.media_type, s.media_mime,
                    s.media_size, s.media_filename, s.status, s.reviewer, s.reviewed_at, s.reject_reason,
                    s.created_at, Message.sentiment_label, s.campaign)
             .join(Member, Member.id == s.member_id).outerjoin(Message, Message.id == s.message_id)
             .where(s.program_id == program_id, s.status.in_(sorted(statuses))).order_by(order).limit(limit))
    return [SubmissionView(*row) for row in await session.execute(query)]


async def count(session: AsyncSession, program_id: str, statuses: Collection[str]) -> int:
    return int(await session.scalar(select(func.count()).select_from(UgcSubmission).where(
        UgcSubmission.program_id == program_id, UgcSubmission.status.in_(sorted(statuses)))) or 0)


async def status_counts(session: AsyncSession, program_id: str, start: datetime, end: datetime) -> dict[str, int]:
    """Submissions made in [start, end), by their status now: one grouped count."""
    rows = await session.execute(select(UgcSubmission.status, func.count()).where(
        UgcSubmission.program_id == program_id, UgcSubmission.created_at >= start, UgcSubmission.created_at < end)
        .group_by(UgcSubmission.status))
    return {status: int(n) for status, n in rows.tuples()}
