"""The digest as data: built from SQL aggregates (``handlers.digest.build``), rendered elsewhere.

Rendering (charts, the HTML report, the chat summary) lives in
``bot.reports``; the digest itself is plain values, so the same digest can
be posted on Discord and Telegram, written by the CLI, and tested without a
renderer. Times are naive UTC; ``Period`` also carries the program's time
zone, in which days are counted and shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from handlers.replies import Attachment


@dataclass(frozen=True)
class Period:
    """[start, end) in naive UTC; ``previous`` is the period of the same length just before it."""

    start: datetime
    end: datetime
    timezone: str

    @property
    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start, self.timezone)


@dataclass(frozen=True)
class Mix:
    """Scored messages by label; ``unscored`` counts messages the model did not label (other languages,
    emoji only) and messages still waiting to be scored."""

    negative: int = 0
    neutral: int = 0
    positive: int = 0
    unscored: int = 0

    @property
    def scored(self) -> int:
        return self.negative + self.neutral + self.positive

    def share(self, label: str) -> float | None:
        """Share of scored messages with ``label``; None when nothing was scored."""
        return getattr(self, label) / self.scored if self.scored else None


@dataclass(frozen=True)
class Activity:
    """Who was active (sent a stored message) in a period. ``daily_active`` is the mean over the
    period's days; ``weekly_active`` and ``monthly_active`` are distinct members over the last 7 and
    30 days ending at the period's end. New: first message ever in this period; returning: active
    in this period and the previous one; lapsed: active in the previous period, not in this one;
    retention: returning / actives of the previous period (None when there were none)."""

    messages: int
    active_members: int
    daily_active: float
    weekly_active: int
    monthly_active: int
    new_members: int
    returning_members: int
    lapsed_members: int
    retention: float | None


@dataclass(frozen=True)
class Day:
    """One local day of the period: volume, actives and the sentiment mix."""

    day: date
    messages: int
    active_members: int
    mix: Mix


@dataclass(frozen=True)
class GroupMix:
    """The sentiment mix of one community (``key`` = "platform:community_id", ``label`` = its name)
    or one language (``key`` = ``label`` = the language code)."""

    key: str
    label: str
    mix: Mix
    previous: Mix


@dataclass(frozen=True)
class Highlight:
    """One of the most positive or negative messages or UGC submissions."""

    kind: str  # "message" or "ugc"
    text: str
    author: str
    community: str
    at: datetime
    label: str
    score: float  # P(label), 0..1
    link: str | None = None  # the original, where the platform gives a permalink


@dataclass(frozen=True)
class Term:
    """A word (English, stop words removed) or a segmented Chinese word, with its counts."""

    term: str
    count: int
    previous: int


@dataclass(frozen=True)
class PointsByReason:
    reason: str
    points: int
    entries: int


@dataclass(frozen=True)
class Contributor:
    name: str
    points: int
    messages: int
    tier: str


@dataclass(frozen=True)
class TierMove:
    """Members who moved from one tier to another during the period (by lifetime points)."""

    from_tier: str
    to_tier: str
    members: int


@dataclass(frozen=True)
class Section:
    """A feature's part of the digest (UGC, contests, referrals, redemptions, NPS, alerts, churn risk,
    campaigns, experiments): a title and an optional headline in the digest's language, then a table.
    Features add theirs through ``handlers.digest.sections``; the renderer shows any section the same
    way, so a feature landing later needs no change to the renderer."""

    key: str
    title: str
    headline: str | None = None
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Digest:
    program_id: str
    program_name: str
    locale: str
    period: Period
    generated_at: datetime
    activity: Activity
    previous_activity: Activity
    mix: Mix
    previous_mix: Mix
    days: tuple[Day, ...]
    communities: tuple[GroupMix, ...]
    languages: tuple[GroupMix, ...]
    most_positive: tuple[Highlight, ...]
    most_negative: tuple[Highlight, ...]
    top_terms: tuple[Term, ...]
    rising_terms: tuple[Term, ...]
    points_issued: tuple[PointsByReason, ...]
    points_spent: int
    previous_points_issued: int
    tier_moves: tuple[TierMove, ...]
    top_contributors: tuple[Contributor, ...]
    sections: tuple[Section, ...] = field(default=())


@dataclass(frozen=True)
class RenderedDigest:
    """What is posted: a short chat summary in the program's language, then the PNG charts and the
    self-contained HTML report as attachments."""

    summary: str
    attachments: tuple[Attachment, ...]


# Renders a digest; ``bot.reports`` provides it and the app hands it to the core, so handlers that send
# digests (the schedule, /digest) never import the rendering libraries.
DigestRenderer = Callable[[Digest], RenderedDigest]
