"""The offline demo's A/B test: the win-back nudge texts, with a real difference built into the simulation,
reported with rates, difference, interval, p-value and verdict that agree with what storage holds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import config
from bot.cli import TEMPLATE
from bot.demo.experiment import DEMO_EXPERIMENT, RETURN_RATES
from bot.demo.run import run_demo
from handlers.experiments import assign
from storage import experiments as store
from storage.database import Database


def section(report: str, title: str) -> tuple[str, list[list[str]]]:
    """The note and the body rows of the Markdown table under ``## title``."""
    block = report.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    note = next(line for line in block.splitlines() if line and not line.startswith("|"))
    rows = [line for line in block.splitlines() if line.startswith("|")]
    return note, [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


async def _stored(url: str) -> list[tuple[int, str, object]]:
    db = Database(url)
    try:
        async with db.unit_of_work() as session:
            return await store.exposed_members(session, "acme", DEMO_EXPERIMENT.id)
    finally:
        await db.dispose()


def test_demo_detects_the_better_nudge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
    result = asyncio.run(run_demo(config.load(TEMPLATE), tmp_path, show_progress=False))
    report = result.report_path.read_text(encoding="utf-8")
    note, rows = section(report, "A/B test: win-back nudge wording")
    by_variant = {row[0]: row for row in rows}
    assert list(by_variant) == ["plain", "personal"]
    exposed = asyncio.run(_stored(f"sqlite+aiosqlite:///{tmp_path}/engagebot-demo.db"))
    assert len(exposed) >= 60  # enough members went quiet for the test to decide
    for member_id, variant, _ in exposed:  # stored variants are the hash assignment's
        assert assign.choose(DEMO_EXPERIMENT, member_id).name == variant
    for name in by_variant:
        assert int(by_variant[name][1]) == sum(1 for _, v, _ in exposed if v == name)
    rates = {name: int(row[2]) / int(row[1]) for name, row in by_variant.items()}
    assert {name: row[3] for name, row in by_variant.items()} == {n: f"{r:.1%}" for n, r in rates.items()}
    assert by_variant["personal"][4].startswith(f"{(rates['personal'] - rates['plain']) * 100:+.1f} [")
    assert (by_variant["plain"][-1], by_variant["personal"][-1]) == ("control", "better")
    assert RETURN_RATES["personal"] > RETURN_RATES["plain"]
    assert "Result: personal converts better than plain." in note
    texts = {row[0]: row[2] for row in section(report, "A/B test: the nudge texts")[1]}
    assert texts == {v.name: v.text for v in DEMO_EXPERIMENT.variants}
