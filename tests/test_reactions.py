"""Reaction points: distinct reactors, no self-reactions, removal reverses."""

from __future__ import annotations

from handlers.core import Core
from handlers.engagement import IncomingMessage
from storage import ledger
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
