"""``engagebot export``: one row per person (linked accounts merged) with tier and
rank, members who never earned included, Excel-readable CSV, and a plain empty
file (never a placeholder) for a program with nobody in it."""

from __future__ import annotations

import csv
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from bot import export
from bot.cli import app
from bot.reports.spreadsheet import write_csv
from handlers.context import MemberRef
from handlers.core import Core
from handlers.engagement import IncomingMessage
from storage import ranking
from tests.conftest import T0, ctx

BOM = "\ufeff"


async def _say(core: Core, user: str, *, platform: str = "discord", name: str | None = None, n: int = 1,
               text: str = "hello there everyone, nice to meet you") -> None:
    for i in range(n):
        await core.message(ctx(core, user, platform=platform, name=name, now=T0 + timedelta(minutes=2 * i)),
                           IncomingMessage(f"{platform}-{user}-{i}", f"{text} ({i})"))


async def _award(core: Core, user: str, amount: int) -> None:
    args = {"member": MemberRef("discord", user), "amount": str(amount), "reason": "thanks"}
    reply = await core.command(ctx(core, "99", moderator=True, event=f"award-{user}"), "award", args)
    assert reply.ok, reply.text


async def _link(core: Core, issuer: str, redeemer: str) -> None:
    """Discord account ``issuer`` links Telegram account ``redeemer`` (the redeemer is merged away)."""
    issued = await core.command(ctx(core, issuer, event=f"link-{issuer}"), "link", {})
    code = re.search(r"code is (\w{8})", issued.text).group(1)
    done = await core.command(ctx(core, redeemer, platform="telegram", event=f"redeem-{redeemer}"), "link",
                              {"code": code})
    assert done.ok, done.text


async def _collect(core: Core) -> dict[str, list[dict[str, Any]]]:
    async with core.db.unit_of_work() as s:
        return await export.collect(s, core.settings.programs[0])


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


async def test_members_who_never_earned_are_listed(core: Core) -> None:
    await _say(core, "1")
    await core.membership(ctx(core, "2", event="join-2"), "join")
    await _say(core, "3", text="hi")
    members = {tuple(r["accounts"]): r for r in (await _collect(core))["members"]}
    assert set(members) == {("discord:1",), ("discord:2",), ("discord:3",)}
    never = [members[("discord:2",)], members[("discord:3",)]]
    assert all((r["balance"], r["lifetime"], r["tier"], r["rank"]) == (0, 0, "Bronze", 2) for r in never)


async def test_tier_and_rank_are_the_leaderboards(core: Core) -> None:
    await _say(core, "1", n=2)
    await _say(core, "2", n=2)
    await _say(core, "3")
    await _award(core, "3", 600)
    await core.membership(ctx(core, "4", event="join-4"), "join")
    rows = (await _collect(core))["members"]
    got = [(r["accounts"], r["lifetime"], r["tier"], r["rank"]) for r in rows]
    assert got == [(["discord:3"], 605, "Silver", 1), (["discord:1"], 10, "Bronze", 2),
                   (["discord:2"], 10, "Bronze", 2), (["discord:4"], 0, "Bronze", 4)]
    async with core.db.unit_of_work() as s:
        board = await ranking.top(s, "acme", 10)
    assert [(s.member_id, s.rank) for s in board] == [(r["member_id"], r["rank"]) for r in rows[:3]]


async def test_a_linked_member_is_one_row_with_both_accounts(core: Core, tmp_path: Path) -> None:
    await _say(core, "1", n=2)
    await _say(core, "7", platform="telegram", n=3)
    await _link(core, "1", "7")
    data = await _collect(core)
    (row,) = data["members"]
    assert row["accounts"] == ["discord:1", "telegram:7"] and (row["balance"], row["lifetime"]) == (25, 25)
    members_csv, *_ = export.write(data, "acme", "csv", tmp_path)
    (line,) = _read_csv(members_csv)
    assert line["accounts"] == "discord:1;telegram:7" and line["balance"] == "25"


async def test_a_member_known_only_through_a_merged_account_is_listed(core: Core) -> None:
    """The Telegram account joined (its only trace in the program) and was then
    merged into a Discord account with no trace of its own here."""
    await core.membership(ctx(core, "7", platform="telegram", event="join-7"), "join")
    await _link(core, "1", "7")
    (row,) = (await _collect(core))["members"]
    assert row["accounts"] == ["discord:1", "telegram:7"] and row["balance"] == 0


async def test_csv_has_a_bom_so_excel_reads_chinese_names(core: Core, tmp_path: Path) -> None:
    await _say(core, "1", name="张伟")
    await _say(core, "7", platform="telegram", name="李娜")
    members_csv, ledger_csv, *_ = export.write(await _collect(core), "acme", "csv", tmp_path)
    for path in (members_csv, ledger_csv):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _read_csv(members_csv)
    assert list(rows[0]) == list(export.MEMBER_FIELDS)
    assert {r["name"] for r in rows} == {"张伟", "李娜"}


async def test_an_empty_program_gives_headers_and_empty_lists(core: Core, tmp_path: Path) -> None:
    data = await _collect(core)
    assert (data["members"], data["ledger"]) == ([], [])
    members_csv, ledger_csv, *_ = export.write(data, "acme", "csv", tmp_path / "csv")
    assert members_csv.read_bytes().decode() == BOM + ",".join(export.MEMBER_FIELDS) + "\r\n"
    assert ledger_csv.read_bytes().decode() == BOM + ",".join(export.LEDGER_FIELDS) + "\r\n"
    (path,) = export.write(data, "acme", "json", tmp_path / "json")
    written = json.loads(path.read_text(encoding="utf-8"))
    assert (written["program"], written["members"], written["ledger"]) == ("acme", [], [])


def test_the_command_on_an_empty_program(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["export", "--program", "acme", "--out", "out"])
    assert result.exit_code == 0, result.output
    members = (tmp_path / "out" / "acme-members.csv").read_bytes().decode("utf-8-sig")
    assert members == ",".join(export.MEMBER_FIELDS) + "\r\n" and "empty" not in members


def test_csv_cells_that_excel_would_run_as_formulas_are_quoted(tmp_path: Path) -> None:
    rows = [{"name": "=HYPERLINK(\"http://x\")", "note": "+1 great", "n": -5}, {"name": "@admin", "note": "ok", "n": 3}]
    path = write_csv(tmp_path / "x.csv", ["name", "note", "n"], rows)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        read = list(csv.DictReader(handle))
    assert read == [{"name": "'=HYPERLINK(\"http://x\")", "note": "'+1 great", "n": "-5"},
                    {"name": "'@admin", "note": "ok", "n": "3"}]
