"""``engagebot demo``: small runs, SQLite and PostgreSQL, a readable report whose
figures agree with the ledger, and a fast replay with the outcome of a slow one."""

from __future__ import annotations

import asyncio
import re
import secrets
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from bot.cli import TEMPLATE, app
from bot.config import load
from bot.demo import sample
from bot.demo.replay import Replayer
from handlers.core import Core
from storage import schema
from storage.database import Database
from storage.models import Balance, Identity, LedgerEntry
from tests.conftest import NEEDS_POSTGRES, PG_URL

runner = CliRunner()


def section(report: str, title: str) -> list[list[str]]:
    """The body rows of the Markdown table under ``## title``."""
    block = report.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in block.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def members_figure(report: str) -> int:
    value = {r[0]: r[1] for r in section(report, "Overview")}["members"]
    return int(value.split(" ")[0].replace(",", ""))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
    return tmp_path


def test_small_demo_reports_tables_that_add_up(workdir: Path) -> None:
    result = runner.invoke(app, ["demo", "--messages", "40", "--out", "out"])
    assert result.exit_code == 0, result.output
    report = (workdir / "out" / "report.md").read_text(encoding="utf-8")
    assert "ledger verify | OK" in report and "{'" not in result.output and "{'" not in report
    tiers = section(report, "Tiers")
    assert [row[0] for row in tiers] == ["Bronze", "Silver", "Gold"]
    assert sum(int(row[2]) for row in tiers) == members_figure(report) > 0
    languages = [row[0] for row in section(report, "Sentiment by language")]
    assert "und" not in languages and "en" in languages
    stored = int({r[0]: r[1] for r in section(report, "Overview")}["messages stored"].replace(",", ""))
    assert stored == 40 + 10  # the chatter asked for plus the cooldown flood
    assert "Tiers" in result.output and "Top 10" in result.output  # drawn as tables on the terminal


def test_messages_option_bounds(workdir: Path) -> None:
    refused = runner.invoke(app, ["demo", "--messages", "0", "--out", "out"])
    assert refused.exit_code != 0 and "--messages" in refused.output


async def _balances(db: Database) -> dict[frozenset[tuple[str, str]], tuple[int, int]]:
    """Balance and lifetime by the member's accounts (member ids depend on arrival order)."""
    async with db.unit_of_work() as session:
        accounts: dict[int, set[tuple[str, str]]] = {}
        for member, platform, user in await session.execute(
                select(Identity.member_id, Identity.platform, Identity.platform_user_id)):
            accounts.setdefault(member, set()).add((platform, user))
        rows = await session.execute(select(Balance.member_id, Balance.balance, Balance.lifetime))
        return {frozenset(accounts.get(member, ())): (balance, lifetime) for member, balance, lifetime in rows
                if member in accounts}


async def _replay(url: str, one_by_one: bool) -> tuple[dict[frozenset[tuple[str, str]], tuple[int, int]],
                                                       dict[str, int]]:
    settings = load(TEMPLATE)
    db = Database(url)
    try:
        await schema.upgrade(db)
        core = Core(settings, db)
        await core.start()
        replayer = Replayer(core, settings.programs[0], sample.generate(seed=3, members=40, messages=120))
        if one_by_one:
            for event in replayer.sample.events:
                await getattr(replayer, f"_{event.kind}")(event)
        else:
            await replayer.replay(lambda: None)
        async with db.unit_of_work() as session:
            reasons = dict((await session.execute(select(LedgerEntry.reason, func.sum(LedgerEntry.delta))
                                                  .group_by(LedgerEntry.reason))).all())
        return await _balances(db), reasons
    finally:
        await db.dispose()


async def test_stretch_replay_matches_one_by_one(tmp_path: Path) -> None:
    """Messages first, reactions after, within a stretch: the same balances as strict time order."""
    fast = await _replay(f"sqlite+aiosqlite:///{tmp_path}/fast.db", one_by_one=False)
    slow = await _replay(f"sqlite+aiosqlite:///{tmp_path}/slow.db", one_by_one=True)
    assert fast == slow and fast[1]["reaction"] > 0 and fast[1]["message"] > 0


async def _admin(sql: str) -> None:
    admin = Database(PG_URL or "", isolation_level="AUTOCOMMIT")
    try:
        async with admin.engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await admin.dispose()


@pytest.fixture
def pg_database() -> str:
    assert PG_URL, "tests using this fixture are marked NEEDS_POSTGRES"
    name = f"engagebot_demo_{secrets.token_hex(4)}"
    asyncio.run(_admin(f"CREATE DATABASE {name}"))
    yield re.sub(r"/[^/]*$", f"/{name}", PG_URL)
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@NEEDS_POSTGRES
def test_demo_honours_database_url_and_refuses_data(workdir: Path, pg_database: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGAGEBOT_DATABASE_URL", pg_database)
    result = runner.invoke(app, ["demo", "--messages", "30", "--out", "out"])
    assert result.exit_code == 0, result.output
    assert "postgresql+asyncpg" in result.output and not (workdir / "out" / "engagebot-demo.db").exists()
    report = (workdir / "out" / "report.md").read_text(encoding="utf-8")
    assert "ledger verify | OK" in report
    again = runner.invoke(app, ["demo", "--messages", "30", "--out", "out"])
    assert again.exit_code == 2 and "empty database" in again.output
