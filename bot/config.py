"""Load ``config.yaml`` and secrets from the environment.

Start-up fails with one message per bad key (path, bad value, what is
allowed) instead of a stack trace, so an operator can fix the file at once.
Secrets never come from the file: only ``ENGAGEBOT_*`` environment variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from handlers.config_model import Settings

ENV_DISCORD_TOKEN = "ENGAGEBOT_DISCORD_TOKEN"
ENV_TELEGRAM_TOKEN = "ENGAGEBOT_TELEGRAM_TOKEN"
ENV_DATABASE_URL = "ENGAGEBOT_DATABASE_URL"
ENV_WEBHOOK_SECRET = "ENGAGEBOT_TELEGRAM_WEBHOOK_SECRET"
ENV_LEDGER_KEY = "ENGAGEBOT_LEDGER_KEY"
MIN_LEDGER_KEY_LENGTH = 16
UNKEYED_LEDGER_WARNING = (
    f"{ENV_LEDGER_KEY} is not set: the ledger's hash chain detects accidents, not tampering (anyone who can "
    f"write to the database can recompute it). Set a secret key to make it tamper-evident; see README, "
    f"'Tamper evidence'.")


class ConfigError(Exception):
    """The config cannot be used; the message says what to change."""


@dataclass(frozen=True)
class Secrets:
    discord_token: str | None
    telegram_token: str | None
    database_url: str | None
    telegram_webhook_secret: str | None
    ledger_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Secrets:
        env = dict(os.environ) if env is None else env
        return cls(
            discord_token=env.get(ENV_DISCORD_TOKEN) or None,
            telegram_token=env.get(ENV_TELEGRAM_TOKEN) or None,
            database_url=env.get(ENV_DATABASE_URL) or None,
            telegram_webhook_secret=env.get(ENV_WEBHOOK_SECRET) or None,
            ledger_key=env.get(ENV_LEDGER_KEY) or None,
        )


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe(error: ValidationError) -> str:
    """One line per problem: key, bad value and what is allowed."""
    lines = []
    items = [(tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))), item)
             for item in error.errors()]
    for loc, item in items:
        if item["type"] == "too_short" and any(other[:len(loc)] == loc and other != loc for other, _ in items):
            continue  # a list's length counts only its valid items: an echo of the item errors below it
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


def ledger_key(secrets: Secrets) -> bytes | None:
    """The ledger's HMAC key as bytes; a key too short to be secret is refused."""
    if secrets.ledger_key is None:
        return None
    key = secrets.ledger_key.encode("utf-8")
    if len(key) < MIN_LEDGER_KEY_LENGTH:
        raise ConfigError(f"{ENV_LEDGER_KEY} must be at least {MIN_LEDGER_KEY_LENGTH} characters (it is "
                          f"{len(key)}); generate one with: python3 -c \"import secrets; print(secrets.token_hex(32))\"")
    return key
