"""Several OS processes on one database: the rules, the ledger and /link hold.

Three processes replay overlapping members (tests/concurrency/workload.py),
each redelivering the same shared messages and moderator awards, with
``/link`` redemptions made while the linked accounts post. Then plain SQL
checks every invariant: nothing lost or stored twice, no cap, cooldown or
duplicate rule broken, every award paid once, no points left on a merged-away
member, balances equal to the ledger, and ``ledger verify`` passes.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, func, select

from handlers.config_model import Rules
from handlers.core import Core
from storage.database import Database
from storage.models import Balance, LedgerEntry, Member, Message
from storage.verify import verify
from tests.concurrency import workload
from tests.conftest import BACKENDS, PG_SCHEMA, backend_url, open_database, reset_schema

PROCESSES = 3
ROOT = Path(__file__).resolve().parent.parent


async def _issue_codes(core: Core) -> list[str]:
    program = core.settings.programs[0]
    codes = []
    for i in range(workload.LINKED):
        ctx = workload.context(program, "discord", workload.discord_user(i), f"issue-{i}", workload.T0)
        reply = await core.command(ctx, "link", {})
        codes.append(re.search(r"code is (\w{8})", reply.text).group(1))  # type: ignore[union-attr]
    return codes


async def _run_processes(url: str, schema: str | None, codes: list[str]) -> list[tuple[int, str]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = []
    for process in range(PROCESSES):
        args = [sys.executable, "-m", "tests.concurrency.workload", "--url", url, "--process", str(process),
                "--processes", str(PROCESSES), "--codes", ",".join(codes)]
        if schema:
            args += ["--schema", schema]
        procs.append(await asyncio.create_subprocess_exec(*args, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
                                                          stderr=asyncio.subprocess.STDOUT))
    outputs = [await asyncio.wait_for(p.communicate(), 150) for p in procs]
    return [(p.returncode or 0, out[0].decode()[-2000:]) for p, out in zip(procs, outputs, strict=True)]


def _expected_message_ids() -> set[str]:
    return {p.message_id for process in range(PROCESSES) for p in workload.posts(1, process, 240, 120)}


@pytest.fixture(params=BACKENDS)
async def shared_db(request: pytest.FixtureRequest, tmp_path: Path):
    url = backend_url(request.param, tmp_path)
    database = open_database(url)
    await reset_schema(database)
    yield database, url, (PG_SCHEMA if request.param == "postgresql" else None)
    await database.dispose()


async def test_processes_sharing_a_database_keep_every_invariant(shared_db: tuple[Database, str, str | None]) -> None:
    db, url, schema = shared_db
    core = Core(workload.settings(), db)
    await core.start()
    codes = await _issue_codes(core)
    results = await _run_processes(url, schema, codes)
    assert all(code == 0 for code, _ in results), results
    async with db.unit_of_work() as s:
        stored = (await s.execute(select(Message.platform_message_id, Message.member_id, Message.text_hash,
                                         Message.created_at, Message.points))).all()
        assert sorted(r.platform_message_id for r in stored) == sorted(_expected_message_ids())
        _check_rules(stored, workload.settings().programs[0].rules)
        awards = await s.scalar(select(func.count()).where(LedgerEntry.reason == "moderator_award"))
        assert awards == 10
        message_points = await s.scalar(select(func.sum(LedgerEntry.delta)).where(LedgerEntry.reason == "message"))
        assert message_points == sum(r.points for r in stored)
        merged = (await s.scalars(select(Member.id).where(Member.merged_into.is_not(None)))).all()
        assert len(merged) == workload.LINKED
        stranded = await s.scalar(select(func.count()).where(Balance.member_id.in_(merged), Balance.balance != 0))
        assert stranded == 0
        assert all(check.ok for check in await verify(s)), [c for c in await verify(s) if not c.ok]


def _check_rules(stored: Sequence[Row[Any]], rules: Rules) -> None:
    earning = defaultdict(list)
    for row in stored:
        if row.points > 0:
            earning[row.member_id].append(row)
    for rows in earning.values():
        rows.sort(key=lambda r: r.created_at)
        assert sum(r.points for r in rows) <= rules.daily_cap
        gaps = [b.created_at - a.created_at for a, b in itertools.pairwise(rows)]
        assert all(g >= timedelta(seconds=rules.cooldown_seconds) for g in gaps)
        hashes = [r.text_hash for r in rows]
        assert len(hashes) == len(set(hashes))
