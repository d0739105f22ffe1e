"""The validated shape of ``config.yaml``.

It lives beside the handlers because the rules it describes are theirs; the
runtime (``bot.config``) only loads the file and the secrets into it.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    # Points unused for this many days expire, oldest first (README "Rewards"); None = they never expire.
    points_expiry_days: int | None = Field(None, ge=1, le=3650)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone such as 'UTC' or 'Asia/Shanghai'") from exc
        return value

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
