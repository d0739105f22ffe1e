"""One line for an operator's mistake or a network problem, instead of a traceback.

``explain`` turns the exceptions a person can cause (a wrong token, a database
that is down or misnamed, a missing file or folder) into one line saying what
went wrong and what to do. Anything else is a bug and gets a generic line that
points at ``--debug``. Platform libraries are looked up in ``sys.modules``
only: if one was never imported, its exceptions cannot have been raised, and
the CLI stays fast for commands that never touch a platform.
"""

from __future__ import annotations

import sys
import threading

from bot import logs
from bot.config import ConfigError
from storage.schema import SchemaOutOfDate

DATABASE_HINT = "check ENGAGEBOT_DATABASE_URL (or database_url in config.yaml) and that the database is running"


def _is(exc: BaseException, module: str, name: str) -> bool:
    loaded = sys.modules.get(module)
    kind = getattr(loaded, name, None) if loaded else None
    return isinstance(kind, type) and isinstance(exc, kind)


def _token_problem(exc: BaseException) -> str | None:
    if _is(exc, "telegram.error", "InvalidToken"):
        return ("Telegram refused the bot token: check ENGAGEBOT_TELEGRAM_TOKEN "
                "(copy it again from @BotFather)")
    if _is(exc, "discord.errors", "LoginFailure"):
        return ("Discord refused the bot token: check ENGAGEBOT_DISCORD_TOKEN "
                "(Developer Portal -> your application -> Bot -> Reset Token)")
    return None


def _network_problem(exc: BaseException) -> str | None:
    if _is(exc, "telegram.error", "NetworkError") or _is(exc, "telegram.error", "TimedOut"):
        return f"cannot reach the Telegram Bot API ({exc}); check the network and telegram.base_url"
    if _is(exc, "aiohttp", "ClientConnectionError") or _is(exc, "discord.errors", "GatewayNotFound"):
        return f"cannot reach Discord ({exc}); check the network"
    if _is(exc, "httpx", "TransportError"):
        return f"network error ({exc}); check the network"
    return None


def _database_problem(exc: BaseException) -> str | None:
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.ArgumentError) or (isinstance(exc, ValueError) and "URL" in str(exc)):
        return ("the database URL is malformed (expected e.g. sqlite+aiosqlite:///./engagebot.db or "
                "postgresql+asyncpg://user@host/db): " + DATABASE_HINT)
    if isinstance(exc, sa_exc.NoSuchModuleError):
        return f"the database URL names an unknown driver ({exc}); use sqlite+aiosqlite or postgresql+asyncpg"
    origin = exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None else exc
    if isinstance(exc, sa_exc.DBAPIError) or type(origin).__module__.startswith(("asyncpg", "sqlite3", "aiosqlite")):
        detail = str(origin).strip().splitlines()[0] if str(origin).strip() else type(origin).__name__
        return f"cannot use the database ({detail}): {DATABASE_HINT}"
    if isinstance(origin, (ConnectionError, TimeoutError)) or (isinstance(origin, OSError) and origin.errno):
        return f"cannot reach the database ({origin.strerror or origin}): {DATABASE_HINT}"
    return None


def explain(exc: BaseException) -> str:
    """One redacted line for ``exc`` (a config error keeps its line per problem)."""
    if isinstance(exc, ConfigError | SchemaOutOfDate):
        return logs.redact(str(exc))
    if isinstance(exc, OSError) and exc.filename:
        line = f"{exc.filename}: {exc.strerror or exc}"
    else:
        line = (_token_problem(exc) or _network_problem(exc) or _database_problem(exc)
                or f"unexpected {type(exc).__name__}: {exc} (run again with --debug for the traceback)")
    return logs.redact(" ".join(line.split()))


def _quiet_late_aiosqlite_reports(args: threading.ExceptHookArgs) -> None:
    """aiosqlite's worker thread, after a failed connect, reports to an event loop that
    the command has already closed; the failure itself was shown as one line, so this
    second, internal traceback is dropped. Any other thread error is reported as usual."""
    late = (args.exc_type is RuntimeError and "Event loop is closed" in str(args.exc_value)
            and args.thread is not None and args.thread.name.endswith("(_connection_worker_thread)"))
    if not late:
        _default_thread_hook(args)


def install_thread_hook() -> None:
    threading.excepthook = _quiet_late_aiosqlite_reports


_default_thread_hook = threading.excepthook
