"""``engagebot digest``: the HTML report of a recent period from a seeded SQLite database, and its mistakes.

Members chat through the real core at times relative to now (the command's
period ends now), and their messages are scored through the sentiment store;
each expected figure follows from ``CHAT``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.config import load
from handlers.clock import utcnow
from handlers.context import Actor, Context
from handlers.core import Core
from handlers.engagement import IncomingMessage
from storage import schema, sentiment_store
from storage.database import Database
from storage.models import Message
from tests.digest_sample import Page

runner = CliRunner()
COMMUNITIES = {"acme": ("discord", "111"), "beta": ("telegram", "-100333")}
# (program, user, hours before now, text, label, language): with --since 24h, 7d and 30d the
# current and previous periods of acme hold 1/1, 3/1 and 4/1 messages.
CHAT = [
    ("acme", "alice", 1, "I love the new coffee flavour", "positive", "en"),
    ("acme", "bob", 30, "客服回复太慢了，很失望", "negative", "zh"),
    ("acme", "alice", 72, "Where is the coffee event this week?", "neutral", "en"),
    ("acme", "carol", 240, "Shipping was slow but fine", "neutral", "en"),
    ("acme", "bob", 960, "An old message from long ago", "positive", "en"),
    ("beta", "chen", 5, "我们都很喜欢这个新品牌的咖啡", "positive", "zh"),
]


def _config(tmp_path: Path, programs: list[str]) -> dict[str, object]:
    described = {
        "acme": {"id": "acme", "name": "Acme <Coffee>", "timezone": "UTC",
                 "communities": [{"platform": "discord", "id": "111", "name": "Acme Discord"}]},
        "beta": {"id": "beta", "name": "Beta", "locale": "zh-CN", "timezone": "Asia/Shanghai",
                 "communities": [{"platform": "telegram", "id": "-100333", "name": "贝塔群"}]},
    }
    return {"database_url": f"sqlite+aiosqlite:///{tmp_path}/digest.db",
            "programs": [described[p] for p in programs]}


async def _seed(config: Path) -> None:
    settings = load(config)
    database = Database(settings.database_url)
    try:
        await schema.upgrade(database)
        core = Core(settings, database)
        await core.start()
        now = utcnow()
        for n, (program_id, user, hours, text, _label, _language) in enumerate(CHAT):
            platform, community = COMMUNITIES[program_id]
            context = Context(program=settings.program(program_id), platform=platform, community_id=community,
                              actor=Actor(platform, user, user.title()), locale="en", event_id=str(n),
                              now=now - timedelta(hours=hours), channel_id="5")
            await core.message(context, IncomingMessage(str(100 + n), text))
        async with database.unit_of_work() as session:
            rows = await session.execute(select(Message.platform_message_id, Message.id))
            ids = dict(rows.tuples().all())
            await sentiment_store.save(session, [_scored(ids[str(100 + n)], label, language)
                                                 for n, (*_, label, language) in enumerate(CHAT)], now)
    finally:
        await database.dispose()


def _scored(message_id: int, label: str, language: str) -> dict[str, object]:
    return {"id": message_id, "sentiment_label": label, "language": language, "model_version": "test",
            **{f"p_{name}": 0.8 if name == label else 0.1 for name in ("negative", "neutral", "positive")}}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config.yaml (acme and beta) and single.yaml (only beta) over one seeded, migrated SQLite file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
    for name, programs in (("config.yaml", ["acme", "beta"]), ("single.yaml", ["beta"])):
        (tmp_path / name).write_text(yaml.safe_dump(_config(tmp_path, programs), allow_unicode=True),
                                     encoding="utf-8")
    asyncio.run(_seed(tmp_path / "config.yaml"))
    return tmp_path


def _digest(*args: str) -> str:
    result = runner.invoke(app, ["digest", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(("since", "messages"), [
    ("24h", ["1", "1", "no change"]), ("7d", ["3", "1", "+200%"]), ("30d", ["4", "1", "+300%"])])
def test_writes_the_period_against_the_one_before(workspace: Path, since: str, messages: list[str]) -> None:
    output = _digest("--program", "acme", "--since", since, "--out", "report.html")
    assert "wrote the digest of acme" in output and "to report.html" in output
    page = Page((workspace / "report.html").read_text(encoding="utf-8"))
    assert page.title == "Acme <Coffee>: community digest" and page.lang == "en"
    assert page.table("activity")["Messages"] == messages
    assert len(page.images) == 3 and all(i["src"].startswith("data:image/png;base64,") for i in page.images)


def test_a_week_shows_sentiment_communities_languages_and_highlights(workspace: Path) -> None:
    _digest("--program", "acme", "--since", "7d", "--out", "week.html")
    page = Page((workspace / "week.html").read_text(encoding="utf-8"))
    shares = {label: row[1] for label, row in page.table("sentiment").items()}
    assert (shares["Positive"], shares["Neutral"], shares["Negative"]) == ("33.3%", "33.3%", "33.3%")
    assert page.table("communities")["Acme Discord"][0] == "3"
    assert {"en", "zh"} <= set(page.table("languages"))
    assert "I love the new coffee flavour" in page.sections["highlights"]
    assert "客服回复太慢了" in page.sections["highlights"]
    assert "Alice" in page.sections["contributors"] and "Messages" in page.sections["points"]


def test_the_only_program_is_the_default_and_speaks_its_language(workspace: Path) -> None:
    output = _digest("--config", "single.yaml")
    written = [p for p in workspace.iterdir() if p.name.startswith("digest-beta-") and p.suffix == ".html"]
    assert len(written) == 1 and f"to {written[0].name}" in output
    page = Page(written[0].read_text(encoding="utf-8"))
    assert page.lang == "zh-CN" and page.title == "Beta：社区简报"
    assert page.table("activity")["消息数"][0] == "1" and "贝塔群" in page.sections["communities"]


@pytest.mark.parametrize(("args", "says"), [
    (["--program", "nope"], "unknown program 'nope'; configured programs: ['acme', 'beta']"),
    ([], "name the program with --program"),
    (["--program", "acme", "--since", "7x"], "--since '7x': expected a number of hours, days or weeks"),
    (["--program", "acme", "--since", "0d"], "--since '0d'"),
    (["--program", "acme", "--since", "367d"], "--since '367d'"),
    (["--program", "acme", "--out", "missing/report.html"], "folder missing does not exist"),
    (["--program", "acme", "--out", "."], "is a folder"),
    (["--config", "absent.yaml"], "config file absent.yaml not found"),
])
def test_mistakes_are_one_line_and_write_nothing(workspace: Path, args: list[str], says: str) -> None:
    before = sorted(workspace.iterdir())
    result = runner.invoke(app, ["digest", *args])
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(errors) == 1 and says in errors[0], result.output
    assert "Traceback" not in result.output and sorted(workspace.iterdir()) == before


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs Linux's /sys, where nobody may create files")
def test_unwritable_output_is_one_line(workspace: Path) -> None:
    result = runner.invoke(app, ["digest", "--program", "acme", "--out", "/sys/engagebot-digest.html"])
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(errors) == 1 and "Traceback" not in result.output, result.output
    assert errors[0].startswith("error: cannot write --out /sys/engagebot-digest.html: ")


def test_a_database_without_the_schema_is_one_line(workspace: Path) -> None:
    config = _config(workspace, ["acme"]) | {"database_url": f"sqlite+aiosqlite:///{workspace}/empty.db"}
    (workspace / "empty.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = runner.invoke(app, ["digest", "--config", "empty.yaml", "--out", "report.html"])
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code != 0 and len(errors) == 1 and "engagebot db upgrade" in errors[0], result.output
    assert not (workspace / "report.html").exists()


def test_demo_writes_the_months_digest_beside_its_report(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["demo", "--messages", "40", "--out", "out"])
    assert result.exit_code == 0, result.output
    digest = tmp_path / "out" / "digest.html"
    assert f"digest (HTML with charts) written to {Path('out') / 'digest.html'}" in result.output
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    stored = next(line for line in report.splitlines() if line.startswith("| messages stored |"))
    page = Page(digest.read_text(encoding="utf-8"))
    assert page.title == "Acme Community: community digest" and len(page.images) == 3
    assert page.table("activity")["Messages"][0] == stored.split("|")[2].strip()
    assert "Acme Discord" in page.sections["communities"] and "2026-10-30" in page.sections["days"]
