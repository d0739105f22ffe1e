"""Tampering with the database by plain SQL, and what catches it (SQLite and PostgreSQL).

Each tampering is made the way someone with write access to the database
would: triggers dropped, foreign keys off, and everything derived from the
ledger (balances, rank counts, the chain head) recomputed to match, so that
only the chain itself, the key and a checkpoint kept outside the database
can give it away. ``DETECTED`` is the resulting table; every row must be
caught once a key and a checkpoint are both in use.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
import structlog
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from bot import app as app_module
from bot import scheduler as scheduling
from bot.cli import app as cli
from bot.config import UNKEYED_LEDGER_WARNING, ConfigError, Secrets
from handlers.core import Core
from handlers.engagement import IncomingMessage
from storage import checkpoint, ledger, schema
from storage.checkpoint import Checkpoint, CheckpointError
from storage.database import Database
from storage.ledger import GENESIS, LEGACY_SHA256, SHA256, Posting, chain, stored_fields
from storage.models import Base, Identity, LedgerEntry, Member, Reason
from storage.verify import ProgramCheck, verify
from tests.attacker import REBUILD_DERIVED, tamper
from tests.conftest import PG_SCHEMA, T0, ctx, settings_for_tests

KEY = b"test-ledger-key-0123456789abcdef"
P = "acme"
SETTINGS = settings_for_tests()
ZONES = {P: "UTC"}


def twin(db: Database, key: bytes | None) -> Database:
    """The same test database opened with (or without) the ledger key."""
    extra = {"connect_args": {"server_settings": {"search_path": PG_SCHEMA}}} if db.dialect == "postgresql" else {}
    return Database(db.url, ledger_key=key, **extra)


@pytest.fixture(params=[False, True], ids=["unkeyed", "keyed"])
async def writer(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[Database]:
    database = twin(db, KEY if request.param else None)
    yield database
    await database.dispose()


async def member_of(db: Database, user: str) -> int:
    async with db.unit_of_work() as s:
        return await s.scalar(select(Identity.member_id).where(Identity.platform_user_id == user))


async def award(db: Database, member: int, delta: int, key: str, day: int) -> None:
    async with db.unit_of_work() as s:
        await ledger.post(s, Posting(program_id=P, member_id=member, delta=delta, reason=Reason.MODERATOR_AWARD,
                                     idempotency_key=key, actor="discord:9", created_at=T0 + timedelta(days=day)))


async def build(db: Database) -> None:
    """Two days of chat from three members (message entries, a streak bonus
    each on day two, one refused message), an award between the days and two
    awards at the end: 24 entries. A day's messages arrive together, so they
    are written as one batch, as a burst of chat would be."""
    core = Core(SETTINGS, db)
    await core.start()
    for day in range(2):
        await asyncio.gather(*(
            core.message(ctx(core, user, now=T0 + timedelta(days=day, minutes=10 * int(user) + 2 * i)),
                         IncomingMessage(f"m{day}-{user}-{i}", f"message {i} from {user} on day {day}"))
            for user in ("1", "2", "3") for i in range(3)))
        if day == 0:
            await award(db, await member_of(db, "1"), 50, "mod:early", 0)
    await core.message(ctx(core, "1", now=T0 + timedelta(days=1, hours=2)), IncomingMessage("short", "gm"))
    await award(db, await member_of(db, "2"), 30, "mod:late1", 2)
    await award(db, await member_of(db, "3"), 40, "mod:late2", 2)


async def entries(db: Database) -> list[LedgerEntry]:
    async with db.unit_of_work() as s:
        return list((await s.scalars(select(LedgerEntry).where(LedgerEntry.program_id == P)
                                     .order_by(LedgerEntry.seq))).all())


async def truncate_tail(db: Database) -> None:
    count = len(await entries(db))
    await tamper(db, "DELETE FROM ledger_entries WHERE program_id = :p AND seq > :n", *REBUILD_DERIVED,
                 params={"p": P, "n": count - 2})


async def forge_append(db: Database) -> None:
    rows = await entries(db)
    head = rows[-1]
    forged: dict[str, object] = {
        "id": max(r.id for r in rows) + 1000, "scheme": SHA256, "program_id": P, "seq": head.seq + 1,
        "member_id": head.member_id, "delta": 1000, "lifetime_delta": 1000, "reason": "moderator_award",
        "reference": "", "idempotency_key": "mod:forged", "actor": "discord:9", "note": "", "created_at": head.created_at}
    digest = chain(head.hash, forged)
    await tamper(db, "INSERT INTO ledger_entries (id, program_id, seq, member_id, delta, lifetime_delta, reason, "
                     "reference, idempotency_key, actor, note, created_at, prev_hash, hash, scheme) VALUES (:id, :p, "
                     ":seq, :member_id, :delta, :lifetime_delta, :reason, :reference, :idempotency_key, :actor, :note, "
                     "(SELECT created_at FROM ledger_entries WHERE id = :head_id), :prev, :hash, :scheme)",
                 *REBUILD_DERIVED, params={**forged, "p": P, "head_id": head.id, "prev": head.hash, "hash": digest})


async def edit_and_rechain(db: Database) -> None:
    """Raise the early award tenfold, then recompute every later hash (without the key)."""
    rows = await entries(db)
    start = next(i for i, r in enumerate(rows) if r.idempotency_key == "mod:early")
    prev, steps = rows[start - 1].hash, []
    for row in rows[start:]:
        fields = {**stored_fields(row), "scheme": SHA256}
        if row.idempotency_key == "mod:early":
            fields.update(delta=500, lifetime_delta=500)
        digest = chain(prev, fields)
        steps.append(("UPDATE ledger_entries SET delta = :d, lifetime_delta = :l, scheme = :s, prev_hash = :ph, "
                      "hash = :h WHERE id = :id", {"d": fields["delta"], "l": fields["lifetime_delta"], "s": SHA256,
                                                    "ph": prev, "h": digest, "id": row.id}))
        prev = digest
    await tamper(db, *steps, *((sql, {"p": P}) for sql in REBUILD_DERIVED))


async def vanish_program(db: Database) -> None:
    await tamper(db, *(f"DELETE FROM {table} WHERE program_id = :p" for table in (
        "ledger_entries", "balances", "score_counts", "engagement_state", "messages")),
        "DELETE FROM programs WHERE id = :p", params={"p": P})


async def delete_head_and_last(db: Database) -> None:
    await tamper(db, "DELETE FROM ledger_entries WHERE program_id = :p AND seq = "
                     "(SELECT MAX(seq) FROM ledger_entries WHERE program_id = :p)",
                 *REBUILD_DERIVED[:4], "DELETE FROM programs WHERE id = :p", params={"p": P})


async def swap_ids(db: Database) -> None:
    rows = await entries(db)
    a, b = rows[1].id, rows[4].id
    await tamper(db, "UPDATE ledger_entries SET id = :na WHERE id = :a", "UPDATE ledger_entries SET id = :a WHERE id = :b",
                 "UPDATE ledger_entries SET id = :b WHERE id = :na", params={"a": a, "b": b, "na": -a})


async def edit_message_points(db: Database) -> None:
    """Zero a message's points, so the same text could earn again (the duplicate rule reads them)."""
    await tamper(db, "UPDATE messages SET points = 0 WHERE id = (SELECT MIN(id) FROM messages "
                     "WHERE program_id = :p AND points > 0)", params={"p": P})


async def edit_engagement_state(db: Database) -> None:
    """Reset a member's daily points and cooldown, so they can earn past the cap."""
    await tamper(db, "UPDATE engagement_state SET day_points = 0, last_earned_at = NULL "
                     "WHERE program_id = :p AND member_id = :m", params={"p": P, "m": await member_of(db, "2")})


async def nothing(db: Database) -> None:
    """Control: an untouched ledger passes in every mode."""


Tampering = Callable[[Database], Awaitable[None]]
# tampering -> detected with (no key, no checkpoint), (key), (checkpoint), (key and checkpoint); and what says so.
DETECTED: dict[str, tuple[Tampering, tuple[bool, bool, bool, bool], str]] = {
    "delete newest entries, fix head and balances": (truncate_tail, (False, False, True, True), "is gone"),
    "append a forged entry with a recomputed hash": (forge_append, (False, True, False, True), "follows keyed"),
    "edit an entry and re-chain everything after it": (edit_and_rechain, (False, True, True, True), "differs from"),
    "delete a program's whole ledger (and its programs row)": (vanish_program, (False, False, True, True), "vanished"),
    "delete the head row and the last entry": (delete_head_and_last, (True, True, True, True), "head row is missing"),
    "swap two rows' ids": (swap_ids, (True, True, True, True), "hash does not"),
    "edit messages.points": (edit_message_points, (True, True, True, True), "records 0 points"),
    "edit engagement_state": (edit_engagement_state, (True, True, True, True), "engagement state says"),
    "nothing (control)": (nothing, (False, False, False, False), ""),
}


def report(checks: list[ProgramCheck]) -> str:
    return "\n".join(str(part) for c in checks for part in (
        c.first_bad_entry, *c.anchor_problems, *c.balance_mismatches, *c.derived_mismatches) if part)


@pytest.mark.parametrize("name", list(DETECTED))
async def test_tampering_detection(writer: Database, name: str) -> None:
    tampering, expected, evidence = DETECTED[name]
    keyed = writer.ledger_key is not None
    await build(writer)
    async with writer.unit_of_work() as s:
        anchor = await checkpoint.take(s, P)
    await tampering(writer)
    found = []
    for anchors in ((), (anchor,)):
        async with writer.unit_of_work() as s:
            checks = await verify(s, (P,), checkpoints=anchors, timezones=ZONES)
        found.append((not all(c.ok for c in checks), report(checks)))
    (plain, plain_report), (anchored, anchored_report) = found
    want_plain, want_anchored = expected[1 if keyed else 0], expected[3 if keyed else 2]
    assert (plain, anchored) == (want_plain, want_anchored), anchored_report or plain_report
    if keyed and evidence:
        assert evidence in anchored_report, anchored_report


async def test_triggers_refuse_update_and_delete(db: Database) -> None:
    await build(db)
    for sql in ("UPDATE ledger_entries SET delta = 999", "DELETE FROM ledger_entries WHERE seq = 1"):
        with pytest.raises(DBAPIError, match="ledger_entries is append-only"):
            async with db.unit_of_work() as s:
                await s.execute(text(sql))
    async with db.unit_of_work() as s:
        assert all(c.ok for c in await verify(s, (P,), timezones=ZONES))


async def test_migrations_add_triggers_and_keep_legacy_entries_verifiable(db: Database) -> None:
    """A database from before 0002 (entries hashed without id and scheme) upgrades, verifies,
    takes new entries, and then refuses UPDATE."""
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await conn.run_sync(lambda sync: command.upgrade(schema.alembic_config(sync), "0001"))
    legacy = {"id": None, "scheme": LEGACY_SHA256, "program_id": P, "seq": 1, "member_id": 1, "delta": 7,
              "lifetime_delta": 7, "reason": "moderator_award", "reference": "", "idempotency_key": "old",
              "actor": "discord:9", "note": "", "created_at": T0}
    digest = chain(GENESIS, legacy)
    async with db.unit_of_work() as s:
        await s.execute(Member.__table__.insert().values(id=1, created_at=T0))
        await s.execute(text("INSERT INTO programs (id, head_hash, entry_count) VALUES (:p, :h, 1)"), {"p": P, "h": digest})
        await s.execute(text("INSERT INTO balances (program_id, member_id, balance, lifetime) VALUES (:p, 1, 7, 7)"),
                        {"p": P})
        await s.execute(text("INSERT INTO score_counts (program_id, score, members) VALUES (:p, 7, 1)"), {"p": P})
        await s.execute(LedgerEntry.__table__.insert().values(
            {k: v for k, v in legacy.items() if k not in ("id", "scheme")} | {"prev_hash": GENESIS, "hash": digest}))
    await schema.upgrade(db)
    await award(db, 1, 5, "new", 1)
    async with db.unit_of_work() as s:
        assert [c.ok for c in await verify(s, (P,))] == [True]
        assert (await s.scalars(select(LedgerEntry.scheme).order_by(LedgerEntry.seq))).all() == [LEGACY_SHA256, SHA256]
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.unit_of_work() as s:
            await s.execute(text("UPDATE ledger_entries SET delta = 70 WHERE seq = 1"))


async def test_engagement_days_are_counted_in_the_program_time_zone(db: Database) -> None:
    """23:50 and 00:10 in Shanghai are two days there but one day in UTC: the
    counters the rules kept only match the ledger when verify uses the zone."""
    program = SETTINGS.programs[0].model_copy(update={"timezone": "Asia/Shanghai"})
    core = Core(SETTINGS.model_copy(update={"programs": (program,)}), db)
    await core.start()
    for minute, mid in ((15 * 60 + 50, "late"), (16 * 60 + 10, "early")):
        await core.message(ctx(core, "1", now=T0.replace(hour=0) + timedelta(minutes=minute)),
                           IncomingMessage(mid, f"a long enough message called {mid}"))
    async with db.unit_of_work() as s:
        (local,) = await verify(s, (P,), timezones={P: "Asia/Shanghai"})
        (utc,) = await verify(s, (P,))
    assert local.ok, local.derived_mismatches
    assert not utc.ok and "with 5 points; ledger says" in utc.derived_mismatches[0]


async def test_keyed_entries_need_the_right_key(db: Database) -> None:
    keyed, other = twin(db, KEY), twin(db, b"another-key-of-enough-length")
    try:
        await build(keyed)
        for database, says in ((db, "cannot be checked without ENGAGEBOT_LEDGER_KEY"),
                               (other, "does not verify under the key")):
            async with database.unit_of_work() as s:
                (check,) = await verify(s, (P,), timezones=ZONES)
            assert not check.ok and says in (check.first_bad_entry or "")
        async with keyed.unit_of_work() as s:
            assert all(c.ok for c in await verify(s, (P,), timezones=ZONES))
            assert (await s.scalars(select(LedgerEntry.scheme).distinct())).all() == ["hmac-sha256"]
    finally:
        await keyed.dispose()
        await other.dispose()


async def test_adopting_a_key_seals_the_unkeyed_history_with_the_next_append(db: Database) -> None:
    await build(db)
    keyed = twin(db, KEY)
    try:
        async with keyed.unit_of_work() as s:
            (check,) = await verify(s, (P,), timezones=ZONES)
            assert "not keyed and no keyed entry seals them" in (check.first_bad_entry or "")
            with pytest.raises(CheckpointError, match="is not keyed"):
                await checkpoint.take(s, P)
        await award(keyed, await member_of(db, "1"), 1, "mod:first-keyed", 3)
        async with keyed.unit_of_work() as s:
            assert all(c.ok for c in await verify(s, (P,), timezones=ZONES))
            assert (await checkpoint.take(s, P)).signature is not None
    finally:
        await keyed.dispose()


async def test_checkpoint_signature_is_checked(writer: Database) -> None:
    await build(writer)
    async with writer.unit_of_work() as s:
        good = await checkpoint.take(s, P)
    forged = Checkpoint(P, good.seq - 2, "f" * 64, good.seq - 2, good.created_at, good.signature)
    unsigned = Checkpoint(P, good.seq, good.head_hash, good.entry_count, good.created_at)
    async with writer.unit_of_work() as s:
        (ok,) = await verify(s, (P,), checkpoints=[good, unsigned], timezones=ZONES)
        (bad,) = await verify(s, (P,), checkpoints=[forged], timezones=ZONES)
    if writer.ledger_key is None:
        assert ok.ok and ok.anchored_at == good.seq and good.signature is None
        assert not bad.ok and "differs from" in "".join(bad.anchor_problems)
    else:
        assert not ok.ok and "unsigned or its signature does not match" in "".join(ok.anchor_problems)
        assert "signature does not match" in "".join(bad.anchor_problems) and good.signature_ok(KEY)


async def test_checkpoint_refuses_a_head_that_does_not_match(db: Database) -> None:
    await build(db)
    await tamper(db, "UPDATE programs SET head_hash = :h WHERE id = :p", params={"p": P, "h": "a" * 64})
    async with db.unit_of_work() as s:
        with pytest.raises(CheckpointError, match="chain head does not match"):
            await checkpoint.take(s, P)
        with pytest.raises(CheckpointError, match="no ledger"):
            await checkpoint.take(s, "nope")


def test_checkpoint_files_round_trip_and_bad_files_are_named(tmp_path: Path) -> None:
    cp = Checkpoint(P, 3, "b" * 64, 3, "2026-03-02T12:00:00Z").signed(KEY)
    checkpoint.write(tmp_path / "dir" / "a.json", [cp])
    assert checkpoint.read([tmp_path / "dir"]) == [cp] == checkpoint.read([tmp_path / "dir" / "a.json"])
    cases = {"missing.json": None, "text.json": "not json", "other.json": json.dumps({"format": "x"}),
             "field.json": json.dumps({"format": checkpoint.FORMAT, "checkpoints": [{"program_id": P, "seq": "3"}]})}
    messages = ["not found", "not a readable JSON", "not an engagebot checkpoint file", "'seq' is missing or not int"]
    for (name, content), says in zip(cases.items(), messages, strict=True):
        if content is not None:
            (tmp_path / name).write_text(content)
        with pytest.raises(CheckpointError, match=says):
            checkpoint.read([tmp_path / name])


async def test_scheduler_writes_a_checkpoint_per_program(writer: Database, tmp_path: Path) -> None:
    await build(writer)
    scheduler = scheduling.Scheduler()
    scheduler.every("ledger-checkpoint", 60, scheduling.checkpoint_job(writer, ["nope", P], tmp_path / "cps"))
    scheduler.start()
    try:
        for _ in range(200):
            if list((tmp_path / "cps").glob("*.json")):
                break
            await asyncio.sleep(0.05)
    finally:
        scheduler.stop()
    (cp,) = checkpoint.read([tmp_path / "cps"])
    assert (cp.program_id, cp.seq, cp.signature is not None) == (P, 24, writer.ledger_key is not None)
    async with writer.unit_of_work() as s:
        (check,) = await verify(s, (P,), checkpoints=[cp], timezones=ZONES)
    assert check.ok and check.anchored_at == 24


async def test_run_warns_once_without_a_key(db: Database) -> None:
    secrets = Secrets(None, None, None, None)
    for database, warnings in ((db, [UNKEYED_LEDGER_WARNING]), (twin(db, KEY), [])):
        application = app_module.App(SETTINGS, secrets, database, Core(SETTINGS, database))
        with structlog.testing.capture_logs() as logs, pytest.raises(ConfigError):
            await app_module.run(application)
        assert [e["event"] for e in logs if e["log_level"] == "warning"] == warnings
        await database.dispose()


runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("ENGAGEBOT_DISCORD_TOKEN", "ENGAGEBOT_TELEGRAM_TOKEN", "ENGAGEBOT_LEDGER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENGAGEBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    return tmp_path


async def _seed(path: Path, key: bytes | None) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}", ledger_key=key)
    try:
        async with database.unit_of_work() as s:
            await s.execute(Member.__table__.insert().values(id=1, created_at=T0))
            await ledger.ensure_program(s, P)
        for i in range(4):
            await award(database, 1, 10, f"cli{i}", 0)
    finally:
        await database.dispose()


def test_cli_checkpoint_and_verify(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGAGEBOT_LEDGER_KEY", KEY.decode())
    asyncio.run(_seed(workdir / "cli.db", KEY))
    written = runner.invoke(cli, ["ledger", "checkpoint", "--program", P, "--out", "cp.json"])
    assert written.exit_code == 0, written.output
    (cp,) = checkpoint.read([workdir / "cp.json"])
    assert (cp.seq, cp.entry_count) == (4, 4) and cp.signature_ok(KEY)
    shown = runner.invoke(cli, ["ledger", "checkpoint"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["checkpoints"][0]["head_hash"] == cp.head_hash
    passed = runner.invoke(cli, ["ledger", "verify", "--checkpoint", "cp.json"])
    assert passed.exit_code == 0 and "acme: 4 entries, anchored by a checkpoint at seq 4 OK" in passed.output
    asyncio.run(tamper(Database(f"sqlite+aiosqlite:///{workdir / 'cli.db'}"),
                       "DELETE FROM ledger_entries WHERE seq = 4", *REBUILD_DERIVED, params={"p": P}))
    assert runner.invoke(cli, ["ledger", "verify"]).exit_code == 0
    caught = runner.invoke(cli, ["ledger", "verify", "--checkpoint", "cp.json"])
    assert caught.exit_code == 1 and "entry seq 4 named by checkpoint" in caught.output


def test_cli_ledger_commands_refuse_bad_input(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = runner.invoke(cli, ["ledger", "checkpoint"])
    assert fresh.exit_code == 2 and "program 'acme' has no ledger in this database" in fresh.output
    asyncio.run(_seed(workdir / "cli.db", None))
    unsigned = runner.invoke(cli, ["ledger", "checkpoint"])
    assert unsigned.exit_code == 0 and "checkpoint not signed" in unsigned.stderr
    assert json.loads(unsigned.stdout)["checkpoints"][0]["signature"] is None
    assert "detects accidents, not tampering" in runner.invoke(cli, ["ledger", "verify"]).stderr
    unknown = runner.invoke(cli, ["ledger", "checkpoint", "--program", "nope"])
    assert unknown.exit_code == 2 and "unknown program 'nope'" in unknown.output
    (workdir / "bad.json").write_text("{}")
    bad = runner.invoke(cli, ["ledger", "verify", "--checkpoint", "bad.json"])
    assert bad.exit_code == 2 and "not an engagebot checkpoint file" in bad.output
    monkeypatch.setenv("ENGAGEBOT_LEDGER_KEY", "short")
    short = runner.invoke(cli, ["ledger", "checkpoint"])
    assert short.exit_code == 2 and "at least 16 characters" in short.output and "short" not in short.output
