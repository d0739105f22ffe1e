"""structlog set-up: key=value lines through stdlib logging, level from config,
and one redaction filter on every handler so no secret reaches a log line.

Going through stdlib logging, with a handler that looks ``sys.stderr`` up at
each write (instead of binding a stream at start-up), keeps logging working
when stderr is swapped, as test runners and daemons do, and gives one place
(the handlers) where every line, ours or a library's, passes through the
redaction filter.

Secrets are redacted by value (the tokens, the webhook secret, the ledger key
and the database password read from the environment and the config) and by
shape (a ``/bot<token>/`` path as python-telegram-bot builds it, a Telegram
token, a password in a ``scheme://user:password@host`` URL), so a secret that
was never configured here, such as one typed into a URL by hand, is caught too.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable

import structlog

ENV_SECRETS = ("ENGAGEBOT_DISCORD_TOKEN", "ENGAGEBOT_TELEGRAM_TOKEN", "ENGAGEBOT_TELEGRAM_WEBHOOK_SECRET",
               "ENGAGEBOT_LEDGER_KEY")
ENV_DATABASE_URL = "ENGAGEBOT_DATABASE_URL"
MASK = "***"
# Libraries that log every request URL (the Telegram one holds the token) at INFO.
CHATTY = ("httpx", "httpcore")
_SHAPES = (
    (re.compile(r"(/bot)\d+:[^/\s?#'\"]+"), rf"\g<1>{MASK}"),
    (re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}"), MASK),
    (re.compile(r"([a-z][a-z0-9+.-]*://[^:/?#@\s'\"]*:)[^@\s'\"]+@", re.IGNORECASE), rf"\g<1>{MASK}@"),
)
_MIN_SECRET = 4  # shorter values would mask ordinary words; no real secret is this short


def url_password(url: str | None) -> str | None:
    """The password in a database URL, or None (also for a URL that does not parse)."""
    if not url:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).password
    except (ArgumentError, ValueError):
        found = re.search(r"://[^:/?#@\s]*:([^@\s]+)@", url)
        return found.group(1) if found else None


def env_secrets(env: dict[str, str] | None = None) -> list[str]:
    """Every secret value the environment holds."""
    env = dict(os.environ) if env is None else env
    values = [env.get(name) for name in ENV_SECRETS] + [url_password(env.get(ENV_DATABASE_URL))]
    return [v for v in values if v]


class Redactor(logging.Filter):
    """Replaces secrets in a record's message and traceback before any handler writes it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str | None]) -> None:
        self.secrets.update(s for s in secrets if s and len(s) >= _MIN_SECRET)

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        for pattern, replacement in _SHAPES:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


REDACTOR = Redactor()


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is written."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        """The stream is always the current stderr; nothing to store."""


def redact(text: str) -> str:
    """What a log line would show of ``text``: for error messages printed outside logging."""
    REDACTOR.add(env_secrets())
    return REDACTOR.redact(text)


def protect(secrets: Iterable[str | None] = ()) -> Redactor:
    """Add ``secrets`` (and the environment's) to the filter and install it on every handler there is."""
    REDACTOR.add(env_secrets())
    REDACTOR.add(secrets)
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in logging.Logger.manager.loggerDict)]
    for logger in loggers:
        for handler in logger.handlers:
            if REDACTOR not in handler.filters:
                handler.addFilter(REDACTOR)
    return REDACTOR


def configure(level: str = "info", *, debug: bool = False, secrets: Iterable[str | None] = ()) -> None:
    """Log at ``level`` (everything at debug with ``debug``), with secrets redacted on every handler.

    The HTTP client libraries stay at WARNING unless ``debug``: at INFO they log
    each request URL, which for Telegram holds the bot token.
    """
    logging.basicConfig(level="DEBUG" if debug else level.upper(), format="%(message)s", force=True,
                        handlers=[StderrHandler()])
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if debug else logging.WARNING)
    logging.captureWarnings(True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    protect(secrets)
