"""Reaction points: distinct reactors, no self-reactions, removal reverses."""

from __future__ import annotations

import pytest

from handlers.context import MemberRef
from handlers.core import Core
from handlers.engagement import IncomingMessage
from storage import ledger, ranking
from storage.verify import verify
from tests.conftest import ctx


async def _balance(core: Core, member_id: int) -> int:
    async with core.db.unit_of_work() as s:
        return await ledger.balance_of(s, "acme", member_id)


async def test_reactions(core: Core) -> None:
    author = (await core.message(ctx(core, "1"), IncomingMessage("m1", "look at my great photo here"))).member_id
    assert (await core.reaction(ctx(core, "2"), "m1", True)).delta == 2
    assert (await core.reaction(ctx(core, "2"), "m1", True)).delta == 0
    assert (await core.reaction(ctx(core, "3"), "m1", True)).delta == 2
    assert (await core.reaction(ctx(core, "1"), "m1", True)).delta == 0
    assert await _balance(core, author) == 5 + 4
    assert (await core.reaction(ctx(core, "2"), "m1", False)).delta == 0
    assert (await core.reaction(ctx(core, "2"), "m1", False)).delta == -2
    assert (await core.reaction(ctx(core, "2"), "m1", True)).delta == 2
    assert await _balance(core, author) == 9
    assert (await core.reaction(ctx(core, "4"), "unknown", True)).author_member_id is None


async def _lifetime(core: Core, member_id: int) -> tuple[int, int]:
    async with core.db.unit_of_work() as s:
        found = await ranking.standing(s, "acme", member_id)
        assert found is not None
        return found.balance, found.lifetime


@pytest.mark.parametrize(("deducted", "after"), [(7, (0, 0)), (6, (0, 0)), (4, (1, 1))])
async def test_removal_after_deduction_never_leaves_lifetime_negative(core: Core, deducted: int,
                                                                      after: tuple[int, int]) -> None:
    author = (await core.message(ctx(core, "1"), IncomingMessage("m1", "look at my great photo here"))).member_id
    await core.reaction(ctx(core, "2"), "m1", True)
    deduct = await core.command(ctx(core, "99", moderator=True, event="d"), "deduct",
                                {"member": MemberRef("discord", "1"), "amount": str(deducted), "reason": "spam"})
    assert deduct.ok and await _lifetime(core, author) == (7 - deducted, 7 - deducted)
    await core.reaction(ctx(core, "2"), "m1", False)
    assert await _lifetime(core, author) == after
    async with core.db.unit_of_work() as s:
        assert all(c.ok for c in await verify(s))
