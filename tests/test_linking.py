"""Cross-platform account linking."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from handlers.core import Core
from handlers.engagement import IncomingMessage
from storage.models import Identity
from storage.verify import verify
from tests.conftest import T0, ctx


async def _earn(core: Core, platform: str, user: str, n: int) -> None:
    for i in range(n):
        await core.message(ctx(core, user, platform=platform, now=T0 + timedelta(minutes=2 * i)),
                           IncomingMessage(f"{platform}{user}-{i}", f"message number {i} from {platform}"))


async def _code(core: Core, **kw: object) -> str:
    reply = await core.command(ctx(core, **kw), "link", {})
    assert reply.private
    return re.search(r"code is (\w{8})", reply.text).group(1)


async def test_link_merges_identities_and_points(core: Core) -> None:
    await _earn(core, "discord", "1", 2)
    await _earn(core, "telegram", "7", 3)
    code = await _code(core, user="1")
    done = await core.command(ctx(core, "7", platform="telegram", now=T0 + timedelta(minutes=9)), "link",
                              {"code": code.lower()})
    assert done.ok and "25 points" in done.text
    async with core.db.unit_of_work() as s:
        owners = set((await s.scalars(select(Identity.member_id))).all())
        assert len(owners) == 1 and all(c.ok for c in await verify(s))
    profile = await core.command(ctx(core, "7", platform="telegram"), "profile", {})
    assert "25 points" in profile.text and "discord, telegram" in profile.text


async def test_expired_reused_and_same_platform_codes(core: Core) -> None:
    await _earn(core, "telegram", "7", 1)
    code = await _code(core, user="1")
    late = await core.command(ctx(core, "7", platform="telegram", now=T0 + timedelta(minutes=11)), "link",
                              {"code": code})
    assert not late.ok and "expired" in late.text
    code = await _code(core, user="1")
    same = await core.command(ctx(core, "2"), "link", {"code": code})
    assert not same.ok and "other platform" in same.text
    code = await _code(core, user="1")
    assert (await core.command(ctx(core, "7", platform="telegram"), "link", {"code": code})).ok
    reuse = await core.command(ctx(core, "8", platform="telegram"), "link", {"code": code})
    assert not reuse.ok and "used" in reuse.text
    bad = await core.command(ctx(core, "8", platform="telegram"), "link", {"code": "nope"})
    assert "8 letters and digits" in bad.text
