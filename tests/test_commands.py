"""Commands through the core: permissions, validation, nothing written on bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from handlers.context import MemberRef
from handlers.core import Core
from handlers.engagement import IncomingMessage
from storage import ranking
from storage.models import Balance, EngagementState, LedgerEntry
from tests.conftest import ctx


async def _known(core: Core, user: str = "1") -> None:
    await core.message(ctx(core, user, name=f"user{user}", username=f"name{user}"),
                       IncomingMessage(f"hello{user}", "hello there everyone, nice to meet you"))


async def _entries(core: Core) -> int:
    async with core.db.unit_of_work() as s:
        return await s.scalar(select(func.count()).select_from(LedgerEntry))


def mod(core: Core, event: str = "i1", locale: str = "en"):
    return ctx(core, "99", moderator=True, event=event, locale=locale)


async def test_award_and_deduct(core: Core) -> None:
    await _known(core)
    award = await core.command(mod(core, "a"), "award", {"member": MemberRef("discord", "1"), "amount": "100",
                                                          "reason": "helpful answer"})
    assert award.ok and "New balance: 105" in award.text
    deduct = await core.command(mod(core, "b"), "deduct", {"member": MemberRef("discord", "1"), "amount": "5",
                                                           "reason": "spam"})
    assert "New balance: 100" in deduct.text
    async with core.db.unit_of_work() as s:
        actors = (await s.scalars(select(LedgerEntry.actor).order_by(LedgerEntry.seq))).all()
    assert actors == ["system", "discord:99", "discord:99"]


async def test_retried_interaction_pays_once(core: Core) -> None:
    await _known(core)
    args = {"member": MemberRef("discord", "1"), "amount": "10", "reason": "x"}
    await core.command(mod(core, "same"), "award", args)
    again = await core.command(mod(core, "same"), "award", args)
    assert "already handled" in again.text and await _entries(core) == 2


async def test_member_refused_moderator_command(core: Core) -> None:
    await _known(core)
    reply = await core.command(ctx(core, "1"), "award", {"member": MemberRef("discord", "1"), "amount": "10",
                                                          "reason": "me"})
    assert not reply.ok and "Only moderators" in reply.text and await _entries(core) == 1


@pytest.mark.parametrize(("amount", "reason", "expected"), [
    ("abc", "ok", "'abc' is not a whole number"),
    ("-5", "ok", "at least 1, got -5"),
    ("0", "ok", "at least 1, got 0"),
    ("1e9", "ok", "'1e9' is not a whole number"),
    ("2.5", "ok", "'2.5' is not a whole number"),
    ("1000000000", "ok", "above this program's maximum of 1,000"),
    ("10", "x" * 5000, "Reason is 5,000 characters; the limit is 200"),
    ("10", "   ", "/award needs reason"),
    ("\u0661\u0662", "ok", "'\u0661\u0662' is not a whole number"),
    ("\uff11\uff12", "ok", "'\uff11\uff12' is not a whole number"),
    ("1\u200b0", "ok", "is not a whole number"),
    ("9" * 5000, "ok", "The number 999999999999\u2026 has 5,000 digits; the most allowed here is 1,000"),
    ("-" + "9" * 5000, "ok", "at least 1, got -" + "9" * 22 + "\u2026."),
    ("10", "a\ud800b", "unpaired surrogates"),
    ("10", "\x00\x00", "Give a reason"),
    ("10", "\x00" * 300 + "y" * 201, "Reason is 201 characters"),
])
async def test_bad_amounts_and_reasons_write_nothing(core: Core, amount: str, reason: str, expected: str) -> None:
    await _known(core)
    reply = await core.command(mod(core), "award", {"member": MemberRef("discord", "1"), "amount": amount,
                                                     "reason": reason})
    assert not reply.ok and expected in reply.text
    assert await _entries(core) == 1


async def test_unknown_member(core: Core) -> None:
    reply = await core.command(mod(core), "award", {"member": MemberRef("telegram", username="ghost"),
                                                     "amount": "10", "reason": "hi"})
    assert not reply.ok and "@ghost" in reply.text and await _entries(core) == 0


async def test_deduct_more_than_balance_refused(core: Core) -> None:
    await _known(core)
    reply = await core.command(mod(core), "deduct", {"member": MemberRef("discord", "1"), "amount": "50",
                                                      "reason": "oops"})
    assert not reply.ok and "has only 5 points" in reply.text and await _entries(core) == 1


async def test_freeze_stops_earning_and_unfreeze_restores(core: Core) -> None:
    await _known(core)
    assert (await core.command(mod(core, "f"), "freeze", {"member": MemberRef("discord", "1")})).ok
    frozen = await core.message(ctx(core, "1", now=ctx(core).now.replace(hour=14)),
                                IncomingMessage("m2", "still chatting while frozen here"))
    assert frozen.refusal == "frozen"
    await core.command(mod(core, "u"), "unfreeze", {"member": MemberRef("discord", "1")})
    async with core.db.unit_of_work() as s:
        assert not (await s.scalar(select(EngagementState.frozen)))


async def test_points_profile_leaderboard(core: Core) -> None:
    for user in ("1", "2", "3"):
        await _known(core, user)
    await core.command(mod(core, "a"), "award", {"member": MemberRef("discord", "2"), "amount": "600",
                                                  "reason": "contest"})
    points = await core.command(ctx(core, "2"), "points", {})
    assert points.private and "605 points" in points.text and "Silver" in points.text and "#1" in points.text
    board = await core.command(ctx(core, "1"), "leaderboard", {})
    assert board.text.splitlines()[1:] == ["#1 user2: 605 points", "#2 user1: 5 points", "#2 user3: 5 points"]
    profile = await core.command(ctx(core, "1"), "profile", {"member": MemberRef("discord", username="name2")})
    assert "user2: 605 points" in profile.text and "Linked: discord" in profile.text
    assert "page 2" in (await core.command(ctx(core, "1"), "leaderboard", {"page": "2"})).text
    assert not (await core.command(ctx(core, "1"), "leaderboard", {"page": "zero"})).ok


async def test_chinese_replies(core: Core) -> None:
    await _known(core)
    reply = await core.command(ctx(core, "1", locale="zh-CN"), "points", {})
    assert "你有 5 积分" in reply.text
    refused = await core.command(ctx(core, "1", locale="zh-CN"), "award", {})
    assert "只有管理员" in refused.text


async def test_help_lists_moderator_commands_only_for_moderators(core: Core) -> None:
    member_help = (await core.command(ctx(core, "1"), "help", {})).text
    mod_help = (await core.command(mod(core), "help", {})).text
    assert "/award" not in member_help and "/award <member> <amount> <reason>" in mod_help


async def test_internal_error_rolls_back_and_apologises(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    await _known(core)
    from handlers import tiers

    async def boom(*_: object) -> tuple[()]:
        raise RuntimeError("bug")

    monkeypatch.setattr(tiers, "change", boom)
    reply = await core.command(mod(core), "award", {"member": MemberRef("discord", "1"), "amount": "10",
                                                     "reason": "x"})
    assert not reply.ok and "nothing was changed" in reply.text
    async with core.db.unit_of_work() as s:
        assert await s.scalar(select(Balance.balance)) == 5


async def test_merged_away_member_leaves_the_leaderboard(core: Core) -> None:
    await _known(core, "1")
    await core.message(ctx(core, "7", platform="telegram"), IncomingMessage("t7", "hello from the telegram side"))
    await _known(core, "2")
    code = re.search(r"code is (\w{8})", (await core.command(ctx(core, "1"), "link", {})).text).group(1)
    assert (await core.command(ctx(core, "7", platform="telegram", event="l"), "link", {"code": code})).ok
    board = await core.command(ctx(core, "2"), "leaderboard", {})
    assert board.text.splitlines()[1:] == ["#1 user1: 10 points", "#2 user2: 5 points"]
    async with core.db.unit_of_work() as s:
        assert await ranking.member_count(s, "acme") == 2
        assert await s.scalar(select(func.count()).select_from(Balance)) == 3


async def test_member_arguments_must_name_a_possible_account(core: Core) -> None:
    await _known(core)
    for ref in (MemberRef("discord", "١"), MemberRef("discord", "1\x00"), MemberRef("discord", "9" * 5000),
                MemberRef("discord", username="name1\ud800"), MemberRef("discord", username="@"), "name1"):
        reply = await core.command(mod(core), "award", {"member": ref, "amount": "5", "reason": "x"})
        assert not reply.ok and "don't know the member" in reply.text and "\x00" not in reply.text
        reply.text.encode("utf-8")
    assert await _entries(core) == 1


async def test_nul_is_removed_from_reasons(core: Core) -> None:
    await _known(core)
    reply = await core.command(mod(core), "award", {"member": MemberRef("discord", "1"), "amount": "+0010",
                                                     "reason": "great\x00 answer\x07"})
    assert reply.ok and "Awarded 10 points to user1 (great answer)" in reply.text
    async with core.db.unit_of_work() as s:
        assert await s.scalar(select(LedgerEntry.note).where(LedgerEntry.actor == "discord:99")) == "great answer"


@pytest.mark.parametrize(("page", "expected"), [
    ("\u0663", "Page must be a whole number from 1 up, got '\u0663'"),
    ("-1", "got '-1'"),
    ("9" * 5000, "has 5,000 digits; the most allowed here is 100,000"),
    ("100001", "Page numbers go up to 100,000, got 100,001"),
])
async def test_bad_pages(core: Core, page: str, expected: str) -> None:
    reply = await core.command(ctx(core, "1"), "leaderboard", {"page": page})
    assert not reply.ok and expected in reply.text
