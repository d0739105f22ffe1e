"""The validated shape of ``config.yaml``.

It lives beside the handlers because the rules it describes are theirs; the
runtime (``bot.config``) only loads the file and the secrets into it.
"""

from __future__ import annotations

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
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Field(min_length=1, max_length=80)
    cost: int = Field(gt=0)
    stock: int | None = Field(None, ge=0)


class Community(Strict):
    """A Discord guild or a Telegram group that belongs to a program."""

    platform: Platform
    id: str = Field(pattern=r"^-?\d{1,20}$")
    name: str = ""


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
    programs: tuple[Program, ...] = Field(min_length=1)
    discord: DiscordSettings = DiscordSettings()
    telegram: TelegramSettings = TelegramSettings()
    sentiment: SentimentSettings = SentimentSettings()
    ledger: LedgerSettings = LedgerSettings()

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
