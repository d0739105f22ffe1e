"""The ledger's promises, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from storage import ledger
from storage.database import Database
from storage.ledger import InsufficientBalance, Posting
from storage.models import Balance, LedgerEntry, Member, Reason
from storage.verify import verify
from tests.attacker import tamper
from tests.conftest import T0


async def _setup(db: Database, members: int = 2) -> list[int]:
    async with db.unit_of_work() as s:
        await ledger.ensure_program(s, "p")
        ids = []
        for _ in range(members):
            ids.append((await s.execute(Member.__table__.insert().values(created_at=T0)
                                        .returning(Member.__table__.c.id))).scalar_one())
        return ids


def _award(member: int, delta: int, key: str, reason: Reason = Reason.MODERATOR_AWARD) -> Posting:
    return Posting(program_id="p", member_id=member, delta=delta, reason=reason, idempotency_key=key, created_at=T0)


async def _post(db: Database, posting: Posting) -> ledger.Posted:
    async with db.unit_of_work() as s:
        return await ledger.post(s, posting)


async def _count(db: Database) -> int:
    async with db.unit_of_work() as s:
        return await s.scalar(select(func.count()).select_from(LedgerEntry))


async def test_post_moves_balance_and_lifetime(db: Database) -> None:
    (m,) = await _setup(db, 1)
    await _post(db, _award(m, 100, "a"))
    spent = await _post(db, _award(m, -30, "b", Reason.REWARD_REDEEM))
    assert (spent.balance, spent.lifetime) == (70, 100)
    async with db.unit_of_work() as s:
        assert [c.ok for c in await verify(s)] == [True]


async def test_same_key_twice_is_one_entry(db: Database) -> None:
    (m,) = await _setup(db, 1)
    first = await _post(db, _award(m, 10, "k"))
    second = await _post(db, _award(m, 10, "k"))
    assert not first.duplicate and second.duplicate
    assert second.balance == 10 and await _count(db) == 1


async def test_same_key_concurrently_yields_one_entry(db: Database) -> None:
    (m,) = await _setup(db, 1)
    results = await asyncio.gather(*[_post(db, _award(m, 10, "same")) for _ in range(8)],
                                   return_exceptions=True)
    assert sum(1 for r in results if isinstance(r, ledger.Posted) and not r.duplicate) == 1
    assert await _count(db) == 1
    async with db.unit_of_work() as s:
        assert await s.scalar(select(Balance.balance).where(Balance.member_id == m)) == 10


async def test_concurrent_spends_never_go_below_zero(db: Database) -> None:
    (m,) = await _setup(db, 1)
    await _post(db, _award(m, 100, "fund"))
    spends = [_post(db, _award(m, -30, f"spend{i}", Reason.REWARD_REDEEM)) for i in range(10)]
    results = await asyncio.gather(*spends, return_exceptions=True)
    ok = [r for r in results if isinstance(r, ledger.Posted)]
    refused = [r for r in results if isinstance(r, InsufficientBalance)]
    assert len(ok) == 3 and len(refused) == 7
    async with db.unit_of_work() as s:
        assert await s.scalar(select(Balance.balance).where(Balance.member_id == m)) == 10
        assert all(c.ok for c in await verify(s))


async def test_failure_after_insert_rolls_back_entry_and_balance(db: Database) -> None:
    (m,) = await _setup(db, 1)
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as s:
            await ledger.post(s, _award(m, 50, "x"))
            raise RuntimeError("crash between ledger insert and the rest of the use case")
    assert await _count(db) == 0
    async with db.unit_of_work() as s:
        assert await s.scalar(select(func.count()).select_from(Balance)) == 0


async def test_balance_write_failure_leaves_no_entry(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    (m,) = await _setup(db, 1)
    await _post(db, _award(m, 5, "seed"))

    def broken(*_: object) -> None:
        raise OSError("disk full while updating the rank histogram")

    monkeypatch.setattr(ledger, "_add_counts", broken)
    with pytest.raises(OSError):
        await _post(db, _award(m, 50, "y"))
    assert await _count(db) == 1
    async with db.unit_of_work() as s:
        assert all(c.ok for c in await verify(s))


async def test_verify_names_the_tampered_entry(db: Database) -> None:
    m1, m2 = await _setup(db)
    for i in range(5):
        await _post(db, _award(m1 if i % 2 else m2, 10 + i, f"t{i}"))
    async with db.unit_of_work() as s:
        target = await s.scalar(select(LedgerEntry.id).where(LedgerEntry.seq == 3))
    await tamper(db, "UPDATE ledger_entries SET delta = 999 WHERE id = :i", params={"i": target})
    async with db.unit_of_work() as s:
        (check,) = await verify(s)
    assert not check.ok
    assert f"entry id {target} (seq 3" in (check.first_bad_entry or "")
    assert check.balance_mismatches


async def test_verify_detects_deleted_tail_entry(db: Database) -> None:
    (m,) = await _setup(db, 1)
    for i in range(3):
        await _post(db, _award(m, 1, f"d{i}"))
    await tamper(db, "DELETE FROM ledger_entries WHERE seq = 3")
    async with db.unit_of_work() as s:
        (check,) = await verify(s)
    assert "entries were removed" in (check.first_bad_entry or "")


async def test_post_many_chains_and_skips_duplicates(db: Database) -> None:
    m1, m2 = await _setup(db)
    async with db.unit_of_work() as s:
        results = await ledger.post_many(s, "p", [_award(m1, 5, "a"), _award(m2, 7, "b"), _award(m1, 5, "a"),
                                                  _award(m1, 3, "c")])
    assert [r.duplicate for r in results] == [False, False, True, False]
    assert [(r.balance, r.old_lifetime) for r in results] == [(5, 0), (7, 0), (5, 5), (8, 5)]
    assert len({r.entry_id for r in results}) == 3
    async with db.unit_of_work() as s:
        assert all(c.ok for c in await verify(s))


async def test_reverse_cancels_an_entry_once(db: Database) -> None:
    (m,) = await _setup(db, 1)
    posted = await _post(db, _award(m, 40, "r"))
    async with db.unit_of_work() as s:
        undone = await ledger.reverse(s, posted.entry_id, "discord:9", "mistake")
        again = await ledger.reverse(s, posted.entry_id, "discord:9", "mistake")
    assert (undone.balance, undone.lifetime, again.duplicate) == (0, 0, True)
    assert await _count(db) == 2
