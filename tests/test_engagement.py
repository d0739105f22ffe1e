"""Message points and anti-farming rules."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handlers.core import Core
from handlers.engagement import IncomingMessage, fingerprint
from storage.models import LedgerEntry, Message
from storage.verify import verify
from tests.conftest import T0, ctx

LONG = "hello everyone, how are you today?"


async def say(core: Core, text: str, *, user: str = "1", at: timedelta = timedelta(), mid: str | None = None):
    now = T0 + at
    return await core.message(ctx(core, user, now=now), IncomingMessage(mid or f"m{now.timestamp()}{user}", text))


async def test_message_earns_points(core: Core) -> None:
    out = await say(core, LONG)
    assert (out.points, out.refusal) == (5, None)


async def test_short_message_refused(core: Core) -> None:
    assert (await say(core, "gm gm")).refusal == "too_short"


async def test_cooldown(core: Core) -> None:
    await say(core, LONG)
    assert (await say(core, "another fine message here", at=timedelta(seconds=59))).refusal == "cooldown"
    assert (await say(core, "a third fine message here", at=timedelta(seconds=61))).points == 5


async def test_same_text_within_24h_earns_nothing(core: Core) -> None:
    await say(core, LONG)
    again = await say(core, "  HELLO everyone how are you today!!! ", at=timedelta(minutes=5))
    assert again.refusal == "duplicate"
    assert (await say(core, LONG, at=timedelta(hours=23))).refusal == "duplicate"
    assert (await say(core, LONG, at=timedelta(hours=24, minutes=1))).points == 5


async def test_other_members_text_is_not_a_duplicate(core: Core) -> None:
    await say(core, LONG)
    assert (await say(core, LONG, user="2")).points == 5


async def test_daily_cap_pays_remainder_then_refuses(core: Core) -> None:
    outcomes = [await say(core, f"message number {i} is long", at=timedelta(minutes=2 * i)) for i in range(6)]
    assert [o.points for o in outcomes] == [5, 5, 5, 5, 0, 0]
    assert outcomes[4].refusal == "daily_cap"


async def test_cap_resets_next_day_and_streak_pays_bonus(core: Core) -> None:
    await say(core, LONG)
    next_day = await say(core, "a brand new day of chatting", at=timedelta(days=1))
    assert (next_day.points, next_day.streak_bonus) == (5, 10)
    gap = await say(core, "back after a long pause here", at=timedelta(days=3))
    assert gap.streak_bonus == 0


async def test_redelivered_message_pays_once(core: Core) -> None:
    await say(core, LONG, mid="same")
    again = await say(core, LONG, mid="same", at=timedelta(minutes=10))
    assert again.refusal == "already_seen"
    async with core.db.unit_of_work() as s:
        assert await s.scalar(select(func.count()).select_from(LedgerEntry)) == 1
        assert await s.scalar(select(func.count()).select_from(Message)) == 1


async def test_messages_are_stored_pending_sentiment(core: Core) -> None:
    await say(core, "gm")
    async with core.db.unit_of_work() as s:
        row = await s.scalar(select(Message))
    assert (row.sentiment_status, row.refusal, row.text) == ("pending", "too_short", "gm")


async def test_tier_change_event(core: Core) -> None:
    mod = ctx(core, "99", moderator=True, event="i1")
    await say(core, LONG)
    reply = await core.command(mod, "award", {"member": _ref("1"), "amount": "494", "reason": "great post"})
    assert reply.ok and not reply.events
    out = await say(core, "one more message to level up", at=timedelta(minutes=5))
    (event,) = out.events
    assert (event.old_tier, event.new_tier, event.accounts) == ("Bronze", "Silver", (("discord", "1"),))


def test_fingerprint_ignores_case_spacing_punctuation() -> None:
    assert fingerprint("Hello,  World!")[0] == fingerprint("hello world")[0]
    assert fingerprint("你好，世界")[0] != fingerprint("你好")[0]


@pytest.mark.parametrize("copy", [
    "hel\u200blo world", "\ufeffhello world", "hello\u200d world", "hel\u00adlo wor\u2060ld", "hello\ufe0f world",
    "he\u200cllo \U000e0101world", "\uff28\uff45llo world", "HELLO\u3000WORLD", "hello \u2066world\u2069",
    "hello, world! \U0001f600", "hello_world",
])
def test_fingerprint_ignores_invisible_characters(copy: str) -> None:
    assert fingerprint(copy) == fingerprint("hello world")


@pytest.mark.parametrize(("text", "length"), [
    ("hello world", 11), ("  hello   world  ", 11), ("hello, world!!!", 11), ("\U0001f600\U0001f389 !!! ...", 0),
    ("gm\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b", 2), ("g\u0335\u0335\u0335\u0335m\u0335\u0335\u0335", 2),
    ("\uff41\uff42\uff43", 3), ("你好，世界", 5), ("a\ud800b", 3), ("caf\u00e9", 4), ("cafe\u0301", 4),
])
def test_length_counts_the_normalised_text(text: str, length: int) -> None:
    assert fingerprint(text)[1] == length


@pytest.mark.parametrize(("text", "refusal"), [
    ("abcde fghi", None), ("abcde fgh", "too_short"), ("abcde, fgh!!!", "too_short"),
    ("abcde\u200b\u200b\u200bfghi", "too_short"), ("\U0001f600" * 20, "too_short"),
    ("a\u0301b\u0301c\u0301d\u0301e\u0301f\u0301", "too_short"),
])
async def test_minimum_length_boundary(core: Core, text: str, refusal: str | None) -> None:
    assert (await say(core, text)).refusal == refusal


async def test_invisible_characters_do_not_make_a_copy_new(core: Core) -> None:
    await say(core, LONG)
    again = await say(core, "hello every\u200bone, how are\ufe0f you to\u00adday? \U0001f44d", at=timedelta(minutes=5))
    assert again.refusal == "duplicate"


def _ref(user: str):
    from handlers.context import MemberRef

    return MemberRef("discord", user)


async def test_concurrent_burst_obeys_rules_like_sequential(core: Core) -> None:
    texts = [f"burst message number {i} here" for i in range(8)] + ["burst message number 0 here"]
    burst = [core.message(ctx(core, "1", now=T0 + timedelta(seconds=30 * i), event=f"b{i}"),
                          IncomingMessage(f"b{i}", text)) for i, text in enumerate(texts)]
    burst.append(core.message(ctx(core, "2", now=T0), IncomingMessage("other", LONG)))
    outcomes = await asyncio.gather(*burst)
    assert [o.refusal for o in outcomes[:9]] == [None, "cooldown", None, "cooldown", None, "cooldown", None,
                                                "cooldown", "duplicate"]
    assert [o.points for o in outcomes[:9]] == [5, 0, 5, 0, 5, 0, 5, 0, 0] and outcomes[9].points == 5
    async with core.db.unit_of_work() as s:
        assert all(c.ok for c in await verify(s))


async def test_one_failing_message_does_not_fail_its_batch(core: Core, monkeypatch) -> None:
    from storage import members as members_module

    original = members_module.resolve_many

    async def fussy(session, accounts, now):
        if any(a[1] == "bad" for a in accounts):
            raise ValueError("cannot resolve this account")
        return await original(session, accounts, now)

    monkeypatch.setattr(members_module, "resolve_many", fussy)
    results = await asyncio.gather(
        core.message(ctx(core, "1"), IncomingMessage("g1", LONG)),
        core.message(ctx(core, "bad"), IncomingMessage("g2", LONG)),
        core.message(ctx(core, "3"), IncomingMessage("g3", LONG)), return_exceptions=True)
    assert isinstance(results[1], ValueError)
    assert results[0].points == 5 and results[2].points == 5
