"""SQLAlchemy 2.0 models. The ledger table is append-only (triggers: storage.append_only).

``balances`` and ``score_counts`` are derived state kept in the same
transaction as each ledger insert; ``engagebot ledger verify`` rebuilds them
from ``ledger_entries`` and compares.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage import append_only

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Reason(enum.StrEnum):
    """Why points moved; stored as text so new reasons need no migration."""

    MESSAGE = "message"
    STREAK_BONUS = "streak_bonus"
    REACTION = "reaction"
    REACTION_REVERSED = "reaction_reversed"
    MODERATOR_AWARD = "moderator_award"
    MODERATOR_DEDUCT = "moderator_deduct"
    LINK_MERGE_OUT = "link_merge_out"
    LINK_MERGE_IN = "link_merge_in"
    UGC_APPROVED = "ugc_approved"
    REFERRAL = "referral"
    REFERRAL_WELCOME = "referral_welcome"
    REFERRAL_CLAWBACK = "referral_clawback"
    CONTEST_WIN = "contest_win"
    REWARD_REDEEM = "reward_redeem"
    REWARD_REFUND = "reward_refund"
    POINTS_EXPIRED = "points_expired"
    MEMBER_DAY_BONUS = "member_day_bonus"
    REVERSAL = "reversal"
    BIRTHDAY_BONUS = "birthday_bonus"
    TIER_BONUS = "tier_bonus"
    WINBACK_RETURN = "winback_return"
    NPS_COMPLETED = "nps_completed"


class ProgramState(Base):
    """Chain head of one program's ledger; locked by every append."""

    __tablename__ = "programs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    entry_count: Mapped[int] = mapped_column(BigInteger)


class Member(Base):
    __tablename__ = "members"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class Identity(Base):
    """One account on one platform; several identities may share a member."""

    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("platform", "platform_user_id", name="uq_identity_platform_user"),
        Index("ix_identity_username", "platform", "username"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)


class LinkCode(Base):
    __tablename__ = "link_codes"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    platform: Mapped[str] = mapped_column(String(16))
    program_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime)


class LedgerEntry(Base):
    """One immutable points movement, hash-chained per program."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("program_id", "seq", name="uq_ledger_program_seq"),
        Index("ix_ledger_member", "program_id", "member_id", "created_at"),
        # The digest's points of a period, read from the index alone (storage.analytics).
        Index("ix_ledger_program_time", "program_id", "created_at", "member_id", "reason", "delta",
              "lifetime_delta"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    delta: Mapped[int] = mapped_column(BigInteger)
    lifetime_delta: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # How ``hash`` was made (storage.ledger: hmac-sha256, sha256, or sha256-v1 before migration 0002).
    scheme: Mapped[str] = mapped_column(String(16))


append_only.attach(LedgerEntry.__table__)


class Balance(Base):
    """Current and lifetime points of a member in a program (derived)."""

    __tablename__ = "balances"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="ck_balance_non_negative"),
        Index("ix_balance_rank", "program_id", "lifetime", "member_id"),
    )
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger)
    lifetime: Mapped[int] = mapped_column(BigInteger)


class ScoreCount(Base):
    """How many members of a program hold each lifetime score.

    Rank = 1 + members with a higher score, summed over distinct scores rather
    than counted over members, which keeps a rank lookup fast at a million.
    """

    __tablename__ = "score_counts"
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    score: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    members: Mapped[int] = mapped_column(BigInteger)


class EngagementState(Base):
    """Anti-farming and streak state of a member in a program."""

    __tablename__ = "engagement_state"
    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    last_earned_at: Mapped[datetime | None] = mapped_column(DateTime)
    day: Mapped[date | None] = mapped_column(Date)
    day_points: Mapped[int] = mapped_column(Integer, default=0)
    streak: Mapped[int] = mapped_column(Integer, default=0)
    streak_day: Mapped[date | None] = mapped_column(Date)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)


class Message(Base):
    """A chat message seen in a tracked community; pending sentiment until scored."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("platform", "community_id", "platform_message_id", name="uq_message_platform"),
        Index("ix_message_dupe", "member_id", "text_hash", "created_at"),
        Index("ix_message_sentiment", "sentiment_status", "id"),
        Index("ix_message_channel", "platform", "community_id", "channel_id", "created_at"),
        # The digest's and churn risk's messages of a period, read from the index alone (storage.analytics,
        # storage.churn).
        Index("ix_message_program_time", "program_id", "created_at", "member_id", "sentiment_label",
              "refusal", "platform", "community_id", "language"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    platform_message_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    points: Mapped[int] = mapped_column(Integer, default=0)
    refusal: Mapped[str | None] = mapped_column(String(32))
    sentiment_status: Mapped[str] = mapped_column(String(16), default="pending")
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    p_negative: Mapped[float | None] = mapped_column(Float)
    p_neutral: Mapped[float | None] = mapped_column(Float)
    p_positive: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(16))
    model_version: Mapped[str | None] = mapped_column(String(64))
    scored_at: Mapped[datetime | None] = mapped_column(DateTime)


class Reaction(Base):
    """A distinct member's reaction to a message; the unit reaction points pay for."""

    __tablename__ = "reactions"
    __table_args__ = (
        UniqueConstraint("platform", "community_id", "platform_message_id", "reactor_member_id",
                         name="uq_reaction_once"),
        Index("ix_reaction_reactor", "reactor_member_id", "program_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[str] = mapped_column(String(32))
    platform_message_id: Mapped[str] = mapped_column(String(64))
    author_member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    reactor_member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    emojis: Mapped[int] = mapped_column(Integer)
    generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class MembershipEvent(Base):
    """A join or leave, with the invite it came through (for referral attribution)."""

    __tablename__ = "membership_events"
    __table_args__ = (Index("ix_membership_member", "member_id", "program_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(8))
    invite: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class KeyValue(Base):
    """Small runtime state that must survive restarts (e.g. Telegram update offset)."""

    __tablename__ = "runtime_state"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class InboxUpdate(Base):
    """A raw Telegram update, stored before Telegram is told it was received.

    A getUpdates batch (or a webhook request) is written in one transaction
    before the offset moves past it; ``done_at`` is set in the transaction that
    writes the update's effects. A crash therefore leaves either a pending row,
    processed at the next start, or the effects with a done row.
    """

    __tablename__ = "telegram_inbox"
    __table_args__ = (
        UniqueConstraint("bot_id", "update_id", name="uq_inbox_bot_update"),
        Index("ix_inbox_state", "bot_id", "done_at", "update_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    update_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)


from storage import alerts, campaigns, contests, digests, experiments, member_campaigns, nps, referrals, rewards, ugc  # noqa: E402,F401  feature tables register on Base.metadata
