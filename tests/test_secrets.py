"""No secret reaches output: sentinel secrets planted in the environment never
appear in any line a command prints or any file it writes.

The commands run in subprocesses, as an operator runs them, so every handler
and library logger is configured exactly as in production.
"""

from __future__ import annotations

import http.server
import io
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from bot import logs
from bot.cli import TEMPLATE, app

TELEGRAM = f"{secrets.randbelow(10**9) + 10**9}:SENTINELtg{secrets.token_hex(16)}"
DISCORD = f"SENTINELdiscord.{secrets.token_hex(20)}"
WEBHOOK = f"SENTINELhook{secrets.token_hex(8)}"
LEDGER = f"SENTINELledger{secrets.token_hex(12)}"
DB_PASSWORD = f"SENTINELpw{secrets.token_hex(8)}"
SENTINELS = (TELEGRAM, DISCORD, WEBHOOK, LEDGER, DB_PASSWORD, TELEGRAM.split(":")[1])
CLI = "import sys; from bot.cli import app; sys.argv[0] = 'engagebot'; app()"


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEBOT_")}
    return {**base, "ENGAGEBOT_TELEGRAM_TOKEN": TELEGRAM, "ENGAGEBOT_DISCORD_TOKEN": DISCORD,
            "ENGAGEBOT_TELEGRAM_WEBHOOK_SECRET": WEBHOOK, "ENGAGEBOT_LEDGER_KEY": LEDGER,
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "COLUMNS": "200", **extra}


def engagebot(cwd: Path, *args: str, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLI, *args], cwd=cwd, env=env(**extra), capture_output=True,
                          text=True, timeout=timeout, check=False)


def assert_no_secret(result: subprocess.CompletedProcess[str], folder: Path) -> None:
    output = result.stdout + result.stderr
    for sentinel in SENTINELS:
        assert sentinel not in output, f"secret in output:\n{output}"
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix not in (".db", ".db-wal", ".db-shm"):
            content = path.read_text(encoding="utf-8", errors="replace")
            assert not any(s in content for s in SENTINELS), f"secret in {path}"


class _Unauthorized(http.server.BaseHTTPRequestHandler):
    """A Bot API that refuses every token, as api.telegram.org does a wrong one."""

    seen: ClassVar[list[str]] = []

    def _refuse(self) -> None:
        type(self).seen.append(self.path)
        body = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _refuse

    def log_message(self, *args: object) -> None:
        """Silent: the request line holds the token, and this fake is not under test."""


@pytest.fixture
def bot_api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bot"
    server.shutdown()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with the example config and a migrated SQLite database (set up in-process, no secrets)."""
    shutil.copyfile(TEMPLATE, tmp_path / "config.yaml")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        patch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
        assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def configure(workdir: Path, **replace: str) -> None:
    path = workdir / "config.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def test_init_and_demo_show_no_secret(workdir: Path) -> None:
    assert_no_secret(engagebot(workdir, "init", "--force"), workdir)
    demo = engagebot(workdir, "demo", "--messages", "30", "--out", "demo")
    assert demo.returncode == 0, demo.stderr
    assert_no_secret(demo, workdir)


@pytest.mark.parametrize("debug", [False, True])
def test_wrong_telegram_token_one_line_and_no_secret(workdir: Path, bot_api: str, debug: bool) -> None:
    """The Bot API refuses the token; with log_level debug and --debug httpx logs every URL (token inside)."""
    configure(workdir, **{"base_url: null": f"base_url: {bot_api}", "log_level: info": "log_level: debug"})
    result = engagebot(workdir, *(["--debug"] if debug else []), "run", timeout=90,
                       ENGAGEBOT_DISCORD_TOKEN="")
    assert any(TELEGRAM in path for path in _Unauthorized.seen)  # the token really went out
    assert result.returncode == 1
    assert "Telegram refused the bot token" in result.stderr and "ENGAGEBOT_TELEGRAM_TOKEN" in result.stderr
    assert ("Traceback" in result.stderr) == debug
    assert_no_secret(result, workdir)


def test_unreachable_bot_api_shows_no_secret(workdir: Path) -> None:
    configure(workdir, **{"base_url: null": "base_url: http://127.0.0.1:9/bot", "log_level: info": "log_level: debug"})
    result = engagebot(workdir, "--debug", "run", timeout=90, ENGAGEBOT_DISCORD_TOKEN="")
    assert result.returncode != 0
    assert_no_secret(result, workdir)


@pytest.mark.parametrize("command", [("db", "upgrade"), ("--debug", "db", "upgrade"), ("run",),
                                     ("sentiment", "export", "--program", "acme")])
def test_wrong_database_password_one_line_and_no_secret(workdir: Path, command: tuple[str, ...]) -> None:
    """A wrong password, user and database on the local server (trust auth would accept any password)."""
    url = f"postgresql+asyncpg://nosuchuser:{DB_PASSWORD}@127.0.0.1:5432/nosuchdb_{secrets.token_hex(4)}"
    result = engagebot(workdir, *command, ENGAGEBOT_DATABASE_URL=url)
    assert result.returncode == 1
    assert_no_secret(result, workdir)
    assert ("Traceback" in result.stderr) == ("--debug" in command)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "ENGAGEBOT_DATABASE_URL" in errors[0], result.stderr


@pytest.mark.parametrize("url", [f"postgresql+asyncpg://user:{DB_PASSWORD}@127.0.0.1:notaport/db",
                                 f"nonsense//user:{DB_PASSWORD}@",
                                 "sqlite+aiosqlite:////no/such/folder/engagebot.db"])
def test_bad_database_url_one_line_and_no_secret(workdir: Path, url: str) -> None:
    """Malformed, or a SQLite file that cannot be opened (whose driver thread used to add a traceback)."""
    result = engagebot(workdir, "db", "upgrade", ENGAGEBOT_DATABASE_URL=url)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert_no_secret(result, workdir)


def test_password_in_config_file_is_redacted(workdir: Path) -> None:
    configure(workdir, **{"database_url: sqlite+aiosqlite:///./engagebot.db":
                          f"database_url: postgresql+asyncpg://nosuchuser:{DB_PASSWORD}@127.0.0.1:1/db"})
    result = engagebot(workdir, "--debug", "db", "upgrade", ENGAGEBOT_DATABASE_URL="")
    assert result.returncode == 1 and "Traceback" in result.stderr
    assert DB_PASSWORD not in result.stdout + result.stderr


def _record_through(redactor: logs.Redactor, message: str, *args: object, exc: BaseException | None = None) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redactor)
    logger = logging.getLogger(f"test.redaction.{secrets.token_hex(4)}")
    logger.propagate = False
    logger.addHandler(handler)
    if exc is None:
        logger.warning(message, *args)
    else:
        try:
            raise exc
        except type(exc):
            logger.exception(message, *args)
    return stream.getvalue()


def test_redactor_masks_values_and_shapes() -> None:
    redactor = logs.Redactor([WEBHOOK])
    line = _record_through(redactor, "POST %s secret=%s db=%s", "https://api.telegram.org/bot123456:"
                           + "A" * 35 + "/getMe", WEBHOOK, f"postgresql+asyncpg://bob:{DB_PASSWORD}@db/x")
    assert "A" * 35 not in line and WEBHOOK not in line and DB_PASSWORD not in line
    assert "https://api.telegram.org/bot***/getMe" in line and "postgresql+asyncpg://bob:***@db/x" in line
    traced = _record_through(redactor, "failed", exc=RuntimeError(f"token {WEBHOOK} refused"))
    assert "RuntimeError" in traced and WEBHOOK not in traced


def test_configure_puts_the_filter_on_every_handler_and_quiets_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGAGEBOT_TELEGRAM_TOKEN", TELEGRAM)
    monkeypatch.setenv("ENGAGEBOT_DATABASE_URL", f"postgresql+asyncpg://bob:{DB_PASSWORD}@db/x")
    extra = logging.StreamHandler(io.StringIO())
    logging.getLogger("some.library").addHandler(extra)
    try:
        logs.configure("info")
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING
        assert all(logs.REDACTOR in h.filters for h in logging.getLogger().handlers) and logging.getLogger().handlers
        assert logs.REDACTOR in extra.filters
        assert TELEGRAM in logs.REDACTOR.secrets and DB_PASSWORD in logs.REDACTOR.secrets
        logs.configure("info", debug=True)
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.DEBUG
    finally:
        logging.getLogger("some.library").removeHandler(extra)
        logs.configure("warning")
