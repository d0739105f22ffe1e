"""Load ``config.yaml`` and secrets from the environment.

Start-up fails with one message per bad key (path, bad value, what is
allowed) instead of a stack trace, so an operator can fix the file at once.
Secrets never come from the file: only ``ENGAGEBOT_*`` environment variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from handlers.config_model import Settings

ENV_DISCORD_TOKEN = "ENGAGEBOT_DISCORD_TOKEN"
ENV_TELEGRAM_TOKEN = "ENGAGEBOT_TELEGRAM_TOKEN"
ENV_DATABASE_URL = "ENGAGEBOT_DATABASE_URL"
ENV_WEBHOOK_SECRET = "ENGAGEBOT_TELEGRAM_WEBHOOK_SECRET"


class ConfigError(Exception):
    """The config cannot be used; the message says what to change."""


@dataclass(frozen=True)
class Secrets:
    discord_token: str | None
    telegram_token: str | None
    database_url: str | None
    telegram_webhook_secret: str | None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Secrets:
        env = dict(os.environ) if env is None else env
        return cls(
            discord_token=env.get(ENV_DISCORD_TOKEN) or None,
            telegram_token=env.get(ENV_TELEGRAM_TOKEN) or None,
            database_url=env.get(ENV_DATABASE_URL) or None,
            telegram_webhook_secret=env.get(ENV_WEBHOOK_SECRET) or None,
        )


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe(error: ValidationError) -> str:
    """One line per problem: key, bad value and what is allowed."""
    lines = []
    for item in error.errors():
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        value = item.get("input")
        shown = repr(value) if not isinstance(value, dict) else "{...}"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{_path(loc)} = {shown[:80]}: {message}")
    return "invalid config:\n  " + "\n  ".join(lines)


def parse(raw: object) -> Settings:
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None


def load(path: Path) -> Settings:
    """Read and validate ``path``; raise ConfigError with a human message."""
    if not path.exists():
        raise ConfigError(f"config file {path} not found; create one with `engagebot init`")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping with a 'programs' list")
    return parse(raw)


def database_url(settings: Settings, secrets: Secrets) -> str:
    return secrets.database_url or settings.database_url
