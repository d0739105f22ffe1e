"""The validated shape of ``config.yaml``.

It lives beside the handlers because the rules it describes are theirs; the
runtime (``bot.config``) only loads the file and the secrets into it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from handlers.experiments.variants import Experiment, overlaps

Platform = Literal["discord", "telegram"]
Locale = Literal["en", "zh-CN"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rules(Strict):
    """Earning rules of one program; every amount is whole points."""

    points_per_message: int = Field(5, ge=0, le=10_000)
    cooldown_seconds: int = Field(60, ge=0, le=86_400)
    min_message_length: int = Field(10, ge=0, le=4_000)
    daily_cap: int = Field(200, ge=0, le=1_000_000)
    reaction_points: int = Field(2, ge=0, le=10_000)
    ugc_approved_points: int = Field(50, ge=0, le=100_000)
    referral_points: int = Field(100, ge=0, le=100_000)
    contest_win_points: int = Field(500, ge=0, le=1_000_000)
    streak_bonus: int = Field(10, ge=0, le=100_000)
    max_adjustment: int = Field(10_000, ge=1, le=10_000_000)


class Tier(Strict):
    name: str = Field(min_length=1, max_length=40)
    min_points: int = Field(ge=0)
    # Paid on the 1st of each month (program time zone) to every member holding the tier; 0 = none.
    monthly_bonus: int = Field(0, ge=0, le=1_000_000)
    # Earning multiplier of the tier's members (messages, reactions, approved content), applied after the
    # highest running campaign's: Gold at 1.5 in a 2x window earns 3x (README "Campaigns").
    multiplier: Decimal = Field(Decimal(1), ge=1, le=10, decimal_places=2)


class Reward(Strict):
    """A catalog reward seeded into the ``rewards`` table at start-up (``handlers.rewards.catalog``)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Field(min_length=1, max_length=80)
    cost: int = Field(gt=0, le=100_000_000)
    # Units left to give (None = unlimited); changing the number in config restocks to it at the next start.
    stock: int | None = Field(None, ge=0, le=100_000_000)
    # The lowest tier (a name from the program's tiers) that may redeem it; None = everyone.
    min_tier: str | None = None
    # Redemptions one member may hold (pending or fulfilled); None = unlimited.
    per_member_limit: int | None = Field(None, ge=1, le=100_000)
    description: str = Field("", max_length=300)


class Community(Strict):
    """A Discord guild or a Telegram group that belongs to a program."""

    platform: Platform
    id: str = Field(pattern=r"^-?\d{1,20}$")
    name: str = ""
    # Where announcements (contests, digests) go: a Discord channel id (default: the guild's system
    # channel), or a Telegram forum topic id (default: the group's main chat).
    announce_channel: str | None = Field(None, pattern=r"^\d{1,20}$")
    # Discord: the channel personal invites (/invite) lead into (default: the system channel).
    invite_channel: str | None = Field(None, pattern=r"^\d{1,20}$")
    # Where scheduled digests go (the brand team's channel): a Discord channel id of this guild, or on
    # Telegram a forum topic id of this group or another chat's id (negative, e.g. the brand team's
    # private group the bot is in); None = the announcement channel.
    report_channel: str | None = Field(None, pattern=r"^-?\d{1,20}$")
    # Where spike alerts for this community's channels go (the moderators' channel): as report_channel, a
    # Discord channel id, a Telegram forum topic id or another chat's id; None = the announcement channel.
    alert_channel: str | None = Field(None, pattern=r"^-?\d{1,20}$")

    @model_validator(mode="after")
    def _report_channel(self) -> Community:
        if self.platform == "discord" and self.report_channel is not None and self.report_channel.startswith("-"):
            raise ValueError(f"report_channel {self.report_channel!r}: a Discord channel id has no '-'")
        return self

    @model_validator(mode="after")
    def _alert_channel(self) -> Community:
        if self.platform == "discord" and self.alert_channel is not None and self.alert_channel.startswith("-"):
            raise ValueError(f"alert_channel {self.alert_channel!r}: a Discord channel id has no '-'")
        return self


class AlertSettings(Strict):
    """Spike alerts per channel (``handlers.alerts``): the last hour against the channel's own trailing
    hourly baseline, as a z-score; an incident alerts once and sends a recovery notice when it subsides."""

    enabled: bool = False
    # How often each program's channels are checked; each check looks at the hour before it.
    check_minutes: int = Field(5, ge=1, le=60)
    # The baseline: this many hourly buckets before the last hour (168 = 7 days).
    baseline_hours: int = Field(168, ge=2, le=2160)
    # A channel whose baseline has fewer hours with messages than this is not tested yet (a new channel).
    min_baseline_hours: int = Field(24, ge=1, le=2160)
    # z-score of the last hour's share of negative messages (of scored ones) that raises an alert.
    negative_z: float = Field(3.0, gt=0, le=100)
    # z-score of the last hour's message count that raises an alert.
    volume_z: float = Field(3.0, gt=0, le=100)
    # Fewer messages than this in the last hour never alert (scored ones, for the negative share).
    min_messages: int = Field(20, ge=1, le=1_000_000)
    # Smallest standard deviations used, so a perfectly steady baseline does not turn noise into a spike;
    # the volume's is also at least the square root of its mean (Poisson noise).
    negative_std_floor: float = Field(0.05, gt=0, le=1)
    volume_std_floor: float = Field(2.0, gt=0, le=1_000_000)

    @model_validator(mode="after")
    def _baseline(self) -> AlertSettings:
        if self.min_baseline_hours > self.baseline_hours:
            raise ValueError(f"min_baseline_hours ({self.min_baseline_hours}) must be at most baseline_hours "
                             f"({self.baseline_hours})")
        return self


class ContestSettings(Strict):
    """Contest rules of one program; each contest sets its own winners and prize at creation."""

    # Entries one member may have in one contest (an entry whose submission was rejected does not count).
    entries_per_member: int = Field(1, ge=1, le=100)
    # A member first seen (by the bot, or in the program) fewer days ago than this cannot vote.
    min_member_days_to_vote: int = Field(1, ge=0, le=3650)
    # Winners of a contest created without the winners option.
    default_winners: int = Field(1, ge=1, le=100)


DEFAULT_TERMS = ("By submitting content you confirm that it is your own work and that you may share it, "
                 "and you allow the program to show it in the community and in its marketing, credited to "
                 "your display name. Ask a moderator at any time to have it removed.")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/([a-z0-9][a-z0-9.+-]*|\*)", re.ASCII)


class UgcSettings(Strict):
    """User-generated content: the terms members accept, what is captured, and what media is kept."""

    # Shown before a member's first submission; changing it asks everyone to accept the new text.
    terms: str = Field(DEFAULT_TERMS, min_length=1, max_length=1500)
    # Discord channel ids, Telegram chat or forum topic ids whose every message is captured as a submission.
    channels: tuple[str, ...] = ()
    # A chat message carrying one of these (e.g. "#acmeugc") is captured, wherever it is posted.
    hashtags: tuple[str, ...] = ()
    # Larger attachments are refused with the limit named (and adapters do not download them).
    max_media_bytes: int = Field(10 * 1024 * 1024, ge=1, le=100 * 1024 * 1024)
    # MIME types kept, exact or "major/*".
    media_types: tuple[str, ...] = ("image/*", "video/*", "application/pdf")
    # Submissions per member per day, counted in the program's time zone.
    daily_limit: int = Field(5, ge=1, le=1000)

    @field_validator("channels")
    @classmethod
    def _channel_ids(cls, channels: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in channels if not re.fullmatch(r"-?\d{1,20}", c, re.ASCII)]
        if bad:
            raise ValueError(f"channel ids are digits (a Telegram chat id may start with '-'), got {bad}")
        return channels

    @field_validator("hashtags")
    @classmethod
    def _hashtags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in tags if not re.fullmatch(r"#\w{1,50}", t)]
        if bad:
            raise ValueError(f"hashtags are '#' and 1 to 50 letters, digits or '_', got {bad}")
        return tuple(t.casefold() for t in tags)

    @field_validator("media_types")
    @classmethod
    def _media_types(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in types if not _MEDIA_TYPE.fullmatch(t)]
        if bad:
            raise ValueError(f"media types are MIME types such as 'image/*' or 'application/pdf', got {bad}")
        return types


class ReferralSettings(Strict):
    """When an invited member qualifies (paying the inviter ``rules.referral_points``), and the limits
    against farming referrals (README "Referrals")."""

    # The new member must stay this many days...
    qualify_days: int = Field(7, ge=0, le=365)
    # ...and earn points from this many messages since joining,
    qualify_messages: int = Field(5, ge=0, le=10_000)
    # ...within this many days of joining, else the referral is rejected as inactive.
    qualify_within_days: int = Field(30, ge=1, le=3650)
    # Discord accounts younger than this when they join are never credited.
    min_account_age_days: int = Field(7, ge=0, le=3650)
    # A qualified member leaving within this many days of qualifying takes the inviter's payout back; 0 = never.
    clawback_days: int = Field(30, ge=0, le=3650)
    # Welcome reward paid to the new member when they qualify.
    new_member_points: int = Field(0, ge=0, le=100_000)

    @model_validator(mode="after")
    def _window(self) -> ReferralSettings:
        if self.qualify_within_days < self.qualify_days:
            raise ValueError(f"qualify_within_days ({self.qualify_within_days}) must be at least qualify_days "
                             f"({self.qualify_days})")
        return self


class BirthdaySettings(Strict):
    """Birthday campaign (``handlers.campaigns.birthdays``): members set ``/birthday MM-DD``; on the day, in
    the program's time zone, a greeting, ``bonus`` points once a year and an invitation to share a story."""

    enabled: bool = False
    bonus: int = Field(100, ge=0, le=100_000)
    # Where the greeting goes: the member's DMs, or the program's communities (announcement channel).
    where: Literal["dm", "group"] = "dm"
    # A submission carrying this hashtag (/submit, or a chat message) is tagged to the birthday campaign.
    hashtag: str = Field("#birthday", pattern=r"^#\w{1,50}$")

    @field_validator("hashtag")
    @classmethod
    def _folded(cls, tag: str) -> str:
        return tag.casefold()


class WinbackSettings(Strict):
    """Win-back nudges (``handlers.campaigns.winback``): one DM, with an opt-out button, to a member who was
    active and has gone quiet for longer than ``factor`` times their own usual gap between active days."""

    enabled: bool = False
    factor: float = Field(3.0, gt=1, le=100)
    # Members with fewer stored messages have no usual rhythm to judge and are never nudged.
    min_history_messages: int = Field(10, ge=2, le=100_000)
    # At most one nudge per member per this many days.
    period_days: int = Field(90, ge=1, le=3650)
    # Paid once if the member earns from a message within return_within_days of the nudge; 0 = no offer.
    bonus: int = Field(0, ge=0, le=100_000)
    return_within_days: int = Field(7, ge=1, le=365)
    # Also quiet: a member silent for a day or more whose churn risk (handlers.churn) is at least this;
    # None = only the gap rule.
    churn_threshold: float | None = Field(0.7, gt=0, le=1)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
CAMPAIGN_SCOPES = ("messages", "reactions", "ugc", "all")


class MemberDay(Strict):
    """A recurring member day (``handlers.campaigns.member_days``), counted in the program's time zone:
    every ``weekday`` or the ``day_of_month`` (a month without that day has none), with an earning
    ``multiplier`` or a flat ``bonus`` for the member's first earning message or approved submission."""

    name: str = Field(min_length=1, max_length=60)
    weekday: Weekday | None = None
    day_of_month: int | None = Field(None, ge=1, le=31)
    multiplier: Decimal | None = Field(None, gt=0, le=100, decimal_places=2)
    bonus: int | None = Field(None, ge=1, le=100_000)
    scope: Literal["messages", "reactions", "ugc", "all"] = "all"

    @model_validator(mode="after")
    def _one_of_each(self) -> MemberDay:
        if (self.weekday is None) == (self.day_of_month is None):
            raise ValueError(f"member day {self.name!r} needs exactly one of weekday or day_of_month")
        if (self.multiplier is None) == (self.bonus is None):
            raise ValueError(f"member day {self.name!r} needs exactly one of multiplier or bonus")
        return self

    def when(self) -> str:
        return f"every {self.weekday}" if self.weekday else f"day {self.day_of_month} of each month"


def _shared_date(first: MemberDay, second: MemberDay) -> date:
    """The first date from 2026 on that both member days fall on (they are known to overlap)."""
    day = date(2026, 1, 1)
    while not all((d.weekday is None or WEEKDAYS[day.weekday()] == d.weekday)
                  and (d.day_of_month is None or day.day == d.day_of_month) for d in (first, second)):
        day += timedelta(days=1)
    return day


class CampaignSettings(Strict):
    """Double-points windows and member days (README "Campaigns")."""

    # The highest multiplier /campaign create and a member day may set.
    max_multiplier: Decimal = Field(Decimal(5), gt=1, le=100, decimal_places=2)
    member_days: tuple[MemberDay, ...] = ()

    @model_validator(mode="after")
    def _member_days_apart(self) -> CampaignSettings:
        """Two member days on one date would leave members guessing which applies, so no date may
        belong to two definitions: weekdays must differ, days of the month must differ, and a weekday
        and a day of the month always meet (the 8th falls on every weekday within a few months)."""
        days = self.member_days
        names = [d.name for d in days]
        if len(names) != len(set(names)):
            raise ValueError(f"member day names must be unique, got {names}")
        for i, first in enumerate(days):
            for second in days[i + 1:]:
                clash = (first.weekday is not None and first.weekday == second.weekday) or \
                    (first.day_of_month is not None and first.day_of_month == second.day_of_month) or \
                    ((first.weekday is None) != (second.weekday is None))
                if clash:
                    raise ValueError(f"member days {first.name!r} ({first.when()}) and {second.name!r} "
                                     f"({second.when()}) overlap: {_shared_date(first, second)} is both; "
                                     f"give them different weekdays or different days of the month, not a mix")
        for day in days:
            if day.multiplier is not None and day.multiplier > self.max_multiplier:
                raise ValueError(f"member day {day.name!r} has multiplier {day.multiplier}, above "
                                 f"max_multiplier {self.max_multiplier}")
        return self


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class DigestSchedule(Strict):
    """When a program's digest is posted (``handlers.digest.schedule``), in the program's time zone: it covers
    the period that just ended (the day, the week from the same weekday, the month from the same day)."""

    kind: Literal["daily", "weekly", "monthly"]
    # Local time of day, 24-hour "HH:MM".
    at: str = "09:00"
    # Weekly digests only: the day they are posted.
    weekday: Weekday | None = None
    # Monthly digests only: the day of the month they are posted (up to 28, so every month has it).
    day: int | None = Field(None, ge=1, le=28)

    @field_validator("at")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value, re.ASCII):
            raise ValueError("must be a 24-hour time of day 'HH:MM' such as '09:00'")
        return value

    @model_validator(mode="after")
    def _fields_of_kind(self) -> DigestSchedule:
        if (self.kind == "weekly") != (self.weekday is not None):
            raise ValueError("weekday is required for a weekly digest (e.g. weekday: monday) and only for it")
        if (self.kind == "monthly") != (self.day is not None):
            raise ValueError("day is required for a monthly digest (e.g. day: 1) and only for it")
        return self


class NpsSettings(Strict):
    """NPS surveys (``handlers.nps``): ``/nps`` any time, and, when ``enabled``, a survey sent by DM to
    active members on a schedule in the program's time zone (README "NPS surveys")."""

    enabled: bool = False
    # A round is due at ``time`` on the first day (that is a ``weekday``, if set) at least ``every_days``
    # after the previous round: every_days 14 with weekday mon is every other Monday.
    every_days: int = Field(30, ge=1, le=365)
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None
    time: str = Field("10:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    # Members with a chat message in this many days before a round are asked.
    active_days: int = Field(30, ge=1, le=3650)
    # A member asked (by a round or /nps) is not asked again by a round for this many days, and /nps
    # after an answer waits as long.
    cooldown_days: int = Field(90, ge=0, le=3650)
    # Paid once per survey for answering it (whatever the score); 0 = nothing.
    points: int = Field(0, ge=0, le=100_000)


class Program(Strict):
    """One brand's loyalty program, possibly spanning several communities."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Field(min_length=1, max_length=80)
    timezone: str = "UTC"
    locale: Locale = "en"
    rules: Rules = Rules()
    tiers: tuple[Tier, ...] = (Tier(name="Bronze", min_points=0), Tier(name="Silver", min_points=500),
                               Tier(name="Gold", min_points=2000))
    rewards: tuple[Reward, ...] = ()
    communities: tuple[Community, ...] = ()
    moderator_roles: tuple[str, ...] = ()
    moderator_ids: tuple[str, ...] = ()
    tier_roles: dict[str, str] = {}
    ugc: UgcSettings = UgcSettings()
    contests: ContestSettings = ContestSettings()
    referrals: ReferralSettings = ReferralSettings()
    birthdays: BirthdaySettings = BirthdaySettings()
    winback: WinbackSettings = WinbackSettings()
    # How tiers are held (README "Tier perks"): by lifetime points, or by points earned over the last 12
    # months, re-evaluated on the 1st of each month with a warning DM tier_warning_days before a downgrade.
    tier_rule: Literal["lifetime", "rolling_12_months"] = "lifetime"
    tier_warning_days: int = Field(7, ge=1, le=27)
    # Post "X reached Gold" in the program's communities when a member moves up a tier.
    tier_announcements: bool = False
    alerts: AlertSettings = AlertSettings()
    campaigns: CampaignSettings = CampaignSettings()
    nps: NpsSettings = NpsSettings()
    # Points unused for this many days expire, oldest first (README "Rewards"); None = they never expire.
    points_expiry_days: int | None = Field(None, ge=1, le=3650)
    # Scheduled digests to the brand team (README "Digests"); none by default.
    digests: tuple[DigestSchedule, ...] = ()
    # A/B tests of campaign messages (handlers.experiments; README "A/B tests").
    experiments: tuple[Experiment, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone such as 'UTC' or 'Asia/Shanghai'") from exc
        return value

    @field_validator("experiments")
    @classmethod
    def _experiments_apart(cls, experiments: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
        problem = overlaps(experiments)
        if problem:
            raise ValueError(problem)
        return experiments

    @field_validator("digests")
    @classmethod
    def _one_digest_per_kind(cls, digests: tuple[DigestSchedule, ...]) -> tuple[DigestSchedule, ...]:
        kinds = [d.kind for d in digests]
        if len(kinds) != len(set(kinds)):
            raise ValueError(f"at most one digest of each kind (daily, weekly, monthly), got {kinds}")
        return digests

    @field_validator("tiers")
    @classmethod
    def _tiers_ordered(cls, tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
        if not tiers or tiers[0].min_points != 0:
            raise ValueError("the first tier must start at min_points 0")
        points = [t.min_points for t in tiers]
        if points != sorted(set(points)):
            raise ValueError("tiers must have strictly increasing min_points")
        return tiers

    @model_validator(mode="after")
    def _tier_roles_known(self) -> Program:
        unknown = set(self.tier_roles) - {t.name for t in self.tiers}
        if unknown:
            raise ValueError(f"tier_roles names unknown tiers {sorted(unknown)}; tiers are "
                             f"{[t.name for t in self.tiers]}")
        return self

    @model_validator(mode="after")
    def _rewards_known_tiers(self) -> Program:
        names = [t.name for t in self.tiers]
        unknown = sorted({r.min_tier for r in self.rewards if r.min_tier is not None} - set(names))
        if unknown:
            raise ValueError(f"rewards name unknown min_tier {unknown}; tiers are {names}")
        ids = [r.id for r in self.rewards]
        if len(ids) != len(set(ids)):
            raise ValueError(f"reward ids must be unique within a program, got {ids}")
        return self


def bot_api_url(value: str | None, suffix: str) -> str | None:
    """A Bot API server address in the form python-telegram-bot appends the token to.

    ``http://host:port``, ``http://host:port/bot`` and either with a trailing
    slash name the same server; anything else is refused rather than left to
    fail silently at every request.
    """
    if value is None or not value.strip():
        return None
    url = urlsplit(value.strip())
    path = url.path.rstrip("/")
    if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment or \
            (path and not path.endswith(suffix)):
        raise ValueError(f"expected the form http://host:port{suffix} (or http://host:port)")
    return urlunsplit((url.scheme, url.netloc, path or suffix, "", ""))


class TelegramSettings(Strict):
    base_url: str | None = None
    base_file_url: str | None = None
    webhook_url: str | None = None
    listen: str = "0.0.0.0"
    port: int = Field(8443, ge=1, le=65535)
    poll_timeout_seconds: int = Field(10, ge=0, le=50)
    # Updates handled at once; order is kept per member, per message and around moderator commands.
    concurrent_updates: int = Field(64, ge=1, le=1024)
    # An identical public reply already queued or sent in the chat this recently is not sent again.
    reply_coalesce_seconds: float = Field(10.0, ge=0, le=3600)
    # Handled updates stay in the inbox at most this long and this many, pruned every interval.
    inbox_keep_hours: int = Field(72, ge=0, le=8760)
    inbox_keep_updates: int = Field(100_000, ge=0, le=100_000_000)
    inbox_prune_interval_seconds: int = Field(600, ge=1, le=86_400)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return bot_api_url(value, "/bot")

    @field_validator("base_file_url")
    @classmethod
    def _base_file_url(cls, value: str | None) -> str | None:
        return bot_api_url(value, "/file/bot")


class DiscordSettings(Strict):
    sync_commands: bool = True
    # Catch-up after downtime reads at most this far back and this many messages per channel (0 turns it off).
    catchup_max_age_hours: int = Field(24, ge=0, le=720)
    catchup_max_messages: int = Field(1000, ge=0, le=100_000)


class SentimentSettings(Strict):
    backend: Literal["onnx", "transformers"] = "onnx"
    model: str | None = None
    batch_size: int = Field(64, ge=1, le=1024)
    max_wait_seconds: float = Field(2.0, ge=0, le=3600)


class LedgerSettings(Strict):
    """Where the bot writes signed ledger checkpoints (none when ``checkpoint_dir`` is unset)."""

    checkpoint_dir: str | None = Field(None, min_length=1)
    checkpoint_interval_minutes: int = Field(60, ge=1, le=10_080)


class Settings(Strict):
    """The whole validated ``config.yaml``."""

    database_url: str = "sqlite+aiosqlite:///./engagebot.db"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # On SIGTERM or Ctrl-C, what is still in hand after this long is left pending for the next start.
    shutdown_grace_seconds: float = Field(10.0, gt=0, le=600)
    programs: tuple[Program, ...] = Field(min_length=1)
    discord: DiscordSettings = DiscordSettings()
    telegram: TelegramSettings = TelegramSettings()
    sentiment: SentimentSettings = SentimentSettings()
    ledger: LedgerSettings = LedgerSettings()
    # Folder of submitted media, one file per sha256 (handlers.ugc.media_store).
    media_dir: str = Field("./media", min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Settings:
        ids = [p.id for p in self.programs]
        if len(ids) != len(set(ids)):
            raise ValueError(f"program ids must be unique, got {ids}")
        seen: dict[tuple[str, str], str] = {}
        for program in self.programs:
            for c in program.communities:
                key = (c.platform, c.id)
                if key in seen:
                    raise ValueError(f"{c.platform} community {c.id} is in both {seen[key]} and {program.id}")
                seen[key] = program.id
        return self

    def program(self, program_id: str) -> Program:
        for program in self.programs:
            if program.id == program_id:
                return program
        raise KeyError(program_id)

    def community(self, platform: str, community_id: str) -> tuple[Program, Community] | None:
        for program in self.programs:
            for c in program.communities:
                if c.platform == platform and c.id == community_id:
                    return program, c
        return None
