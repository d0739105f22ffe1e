"""Fuzz every declared command with generated hostile arguments and count the answers.

    python bench/fuzz_commands.py [--examples 10000] [--seed 0]

Uses the strategies and checks of tests/test_hostile_input.py (hostile
numbers, Unicode digits, NUL, unpaired surrogates, zero-width characters,
emoji, very long strings, member references that name nobody; as moderator
and member, in English and Chinese) against a fresh SQLite file and, when
ENGAGEBOT_TEST_POSTGRES_URL is set, a PostgreSQL schema of its own. Every
answer must be a success or a specific refusal that wrote nothing; prints
refusals by kind and the catch-all count (which must be 0), and exits 1 if
any check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, seed, settings
from sqlalchemy import text

from handlers.core import Core
from storage.database import Database
from tests.conftest import reset_schema, settings_for_tests
from tests.test_hostile_input import Case, cases, run_case
from tests.test_hostile_input import seed as seed_members


async def _database(url: str, schema: str) -> Database:
    if not url.startswith("postgresql"):
        return Database(url)
    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    await admin.dispose()
    return Database(url, connect_args={"server_settings": {"search_path": schema}})


def fuzz(url: str, examples: int, random_seed: int) -> tuple[Counter[str], Counter[str], int, list[str], float]:
    """(refusals by kind, successes by kind, arguments sent, failures, seconds)."""
    loop = asyncio.new_event_loop()
    schema = f"engagebot_fuzz_{os.getpid()}"
    db = loop.run_until_complete(_database(url, schema))
    loop.run_until_complete(reset_schema(db))
    core = Core(settings_for_tests(), db)
    loop.run_until_complete(core.start())
    loop.run_until_complete(seed_members(core))
    refusals: Counter[str] = Counter()
    successes: Counter[str] = Counter()
    failures: list[str] = []
    sent = 0

    @seed(random_seed)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=cases())
    def one(case: Case) -> None:
        nonlocal sent
        sent += sum(1 for v in case.args.values() if v is not None)
        try:
            ok, kind = loop.run_until_complete(run_case(core, case))
        except AssertionError as exc:
            failures.append(f"{case!r}: {exc}"[:300])
            if "catch-all" in str(exc):
                refusals["error.internal (catch-all)"] += 1
            return
        except Exception as exc:  # noqa: BLE001 - an escaped exception is a finding to count, not to stop on
            failures.append(f"{case!r}: escaped {exc!r}"[:300])
            return
        (successes if ok else refusals)[kind] += 1

    started = time.perf_counter()
    one()
    elapsed = time.perf_counter() - started
    loop.run_until_complete(db.dispose())
    if url.startswith("postgresql"):
        admin = Database(url)
        loop.run_until_complete(_drop(admin, schema))
    loop.close()
    return refusals, successes, sent, failures, elapsed


async def _drop(admin: Database, schema: str) -> None:
    async with admin.engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    await admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    backends = [("SQLite", f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/fuzz.db")]
    if os.environ.get("ENGAGEBOT_TEST_POSTGRES_URL"):
        backends.append(("PostgreSQL", os.environ["ENGAGEBOT_TEST_POSTGRES_URL"]))
    failed = False
    for name, url in backends:
        refusals, successes, sent, failures, elapsed = fuzz(url, options.examples, options.seed)
        calls = sum(refusals.values()) + sum(successes.values())
        print(f"\n{name}: {calls:,} command calls carrying {sent:,} arguments in {elapsed:.0f} s")
        print(f"  successes {sum(successes.values()):,}: " + ", ".join(f"{k} {n:,}" for k, n in successes.most_common()))
        print(f"  refusals {sum(refusals.values()):,} by kind:")
        for kind, count in refusals.most_common():
            print(f"    {kind:32} {count:6,}")
        print(f"  catch-all 'error.internal': {refusals['error.internal (catch-all)']}")
        print(f"  failed checks: {len(failures)}")
        for failure in failures[:10]:
            print(f"    {failure}")
        failed = failed or bool(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
