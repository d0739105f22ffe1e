"""The digest sections of the features (UGC, contests, the referral funnel, redemptions), on SQLite and
PostgreSQL, from known rows: each counts only its period, compares with the period before where it says so,
speaks the digest's language, and is None when the period holds nothing of it. All are in ``BUILDERS``."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from handlers.config_model import Program, Settings
from handlers.context import MemberRef
from handlers.contests import digest as contests_digest
from handlers.core import Core
from handlers.digest.model import Period
from handlers.digest.sections import BUILDERS
from handlers.referrals import digest as referrals_digest
from handlers.rewards import digest as rewards_digest
from handlers.ugc import digest as ugc_digest
from storage.contests import Contest, ContestEntry, ContestVote, ContestWinner
from storage.database import Database
from storage.models import Identity, Member, MembershipEvent
from storage.referrals import ReferralJoin, ReferralLink
from storage.ugc import UgcSubmission
from tests.conftest import T0, ctx, settings_for_tests

DAY = timedelta(days=1)
WEEK = Period(T0, T0 + 7 * DAY, "UTC")  # the previous period is the week before T0


def config() -> Settings:
    base = settings_for_tests(max_adjustment=100_000)
    program = Program.model_validate({**base.programs[0].model_dump(), "rewards": (
        {"id": "mug", "name": "Coffee mug", "cost": 300}, {"id": "cap", "name": "Cap", "cost": 100})})
    return Settings.model_validate({**base.model_dump(), "programs": (program.model_dump(),)})


async def people(db: Database, *names: str) -> list[int]:
    async with db.unit_of_work() as s:
        ids = []
        for n, name in enumerate(names):
            member = Member(created_at=T0 - 30 * DAY)
            s.add(member)
            await s.flush()
            s.add(Identity(platform="discord", platform_user_id=f"p{n}", display_name=name, member_id=member.id))
            ids.append(member.id)
        return ids


async def rows(db: Database, model: Any, values: list[dict[str, Any]]) -> list[int]:
    async with db.unit_of_work() as s:
        result = await s.execute(insert(model).returning(model.id), values)
        return [r[0] for r in result]


async def build(db: Database, builder: Any, period: Period = WEEK, locale: str = "en") -> Any:
    async with db.unit_of_work() as s:
        return await builder(s, config().programs[0], period, locale)


def test_every_feature_section_is_registered() -> None:
    for builder in (ugc_digest.section, contests_digest.section, referrals_digest.section, rewards_digest.section):
        assert builder in BUILDERS


# ---- UGC -------------------------------------------------------------------------------------------------


def submission(member: int, at: datetime, status: str, n: int, program: str = "acme") -> dict[str, Any]:
    return {"program_id": program, "member_id": member, "platform": "discord", "community_id": "111",
            "channel_id": "5", "platform_message_id": f"s{n}", "text": f"my photo {n}", "status": status,
            "created_at": at}


async def test_ugc_by_status_this_period_and_the_one_before(db: Database) -> None:
    (alice,) = await people(db, "alice")
    statuses = ["pending", "approved", "approved", "featured", "rejected"]
    await rows(db, UgcSubmission, [submission(alice, T0 + n * DAY, s, n) for n, s in enumerate(statuses)]
               + [submission(alice, T0 - DAY, "approved", 10), submission(alice, T0 + 8 * DAY, "pending", 11),
                  submission(alice, T0 + DAY, "approved", 12, program="other")])
    section = await build(db, ugc_digest.section)
    assert section.key == "ugc" and section.columns == ("Status now", "Submissions", "Period before")
    assert section.rows == (("pending", "1", "0"), ("approved", "2", "1"), ("rejected", "1", "0"),
                            ("featured", "1", "0"))
    assert section.headline == "5 submissions (1 the period before); 3 approved or featured so far."
    chinese = await build(db, ugc_digest.section, locale="zh-CN")
    assert chinese.title == "用户投稿" and chinese.rows[1][0] == "已通过"
    assert await build(db, ugc_digest.section, Period(T0 + 20 * DAY, T0 + 27 * DAY, "UTC")) is None


# ---- contests --------------------------------------------------------------------------------------------


def contest(title: str, status: str, opened: datetime | None, closed: datetime | None) -> dict[str, Any]:
    return {"program_id": "acme", "title": title, "description": "", "entry_type": "plain", "voting": "members",
            "winners": 1, "prize": 500, "start_at": opened or T0, "end_at": closed or T0 + 30 * DAY,
            "status": status, "created_by": "mod", "source_event": title, "created_at": T0 - 10 * DAY,
            "opened_at": opened, "closed_at": closed}


async def test_contest_results_of_the_period(db: Database) -> None:
    alice, bob, carol = await people(db, "alice", "bob", "carol")
    ended, running, earlier, never = await rows(db, Contest, [
        contest("Summer photos", "closed", T0 - 3 * DAY, T0 + 2 * DAY),
        contest("Best meme", "open", T0 + DAY, None),
        contest("Spring", "closed", T0 - 20 * DAY, T0 - 10 * DAY),
        contest("Cancelled early", "cancelled", None, T0 + DAY)])
    a, b, c = await rows(db, ContestEntry, [{"contest_id": ended, "member_id": m, "created_at": T0}
                                            for m in (alice, bob, carol)])
    await rows(db, ContestEntry, [{"contest_id": running, "member_id": alice, "created_at": T0 + DAY}])
    await rows(db, ContestVote, [{"contest_id": ended, "entry_id": e, "member_id": v, "created_at": T0}
                                 for e, v in ((b, alice), (b, carol), (a, bob))])
    async with db.unit_of_work() as s:
        s.add(ContestWinner(contest_id=ended, place=1, entry_id=b, how="votes", actor="bot", created_at=T0 + 2 * DAY))
    section = await build(db, contests_digest.section)
    assert section.rows == ((f"#{ended} Summer photos", "closed", "3", "3", "bob", "500"),
                            (f"#{running} Best meme", "open", "1", "0", "-", "500"))
    assert section.headline == "2 contest(s) ran in the period, 1 ended."
    assert (earlier, never) and await build(db, contests_digest.section, Period(T0 - 5 * DAY, T0 - 4 * DAY, "UTC")) \
        is None
    chinese = await build(db, contests_digest.section, locale="zh-CN")
    assert chinese.columns[4] == "获奖者" and chinese.rows[1][1] == "进行中"


# ---- referrals -------------------------------------------------------------------------------------------


async def test_referral_funnel_of_the_period_against_the_one_before(db: Database) -> None:
    inviter, *joined = await people(db, "inviter", "a", "b", "c", "d", "e")
    (link,) = await rows(db, ReferralLink, [{"program_id": "acme", "member_id": inviter, "platform": "discord",
                                             "community_id": "111", "code": "abc", "url": "https://discord.gg/abc",
                                             "name": "ref", "created_at": T0 + DAY}])
    events = await rows(db, MembershipEvent, [{"program_id": "acme", "platform": "discord", "community_id": "111",
                                               "member_id": m, "kind": "join", "created_at": T0}
                                              for m in joined])
    plan = [("exact", "qualified", None, T0 + 2 * DAY), ("exact", "pending", None, T0 + 3 * DAY),
            ("exact", "rejected", "rejoin", T0 + 3 * DAY), ("ambiguous", "rejected", "not_referral", T0 + 4 * DAY),
            ("exact", "qualified", None, T0 - 2 * DAY)]
    await rows(db, ReferralJoin, [
        {"program_id": "acme", "platform": "discord", "community_id": "111", "member_id": m,
         "membership_event_id": e, "attribution": attribution, "evidence": "{}",
         "link_id": link if attribution == "exact" else None, "inviter_member_id": inviter, "status": status,
         "reason": reason, "joined_at": at} for m, e, (attribution, status, reason, at) in zip(joined, events, plan)])
    section = await build(db, referrals_digest.section)
    table = {row[0]: row[1:] for row in section.rows}
    assert table["invite links created"] == ("1", "0") and table["joins"] == ("4", "1")
    assert table["joins: exact"] == ("3", "1") and table["joins: ambiguous"] == ("1", "0")
    assert "joins: unattributed" not in table  # a detail row counting nothing in either period is left out
    assert table["joins through a personal link"] == ("3", "1") and table["qualified"] == ("1", "1")
    assert table["rejected"] == ("2", "0") and table["rejected: rejoin"] == ("1", "0")
    assert table["pending"] == ("1", "0") and table["dropped"] == ("0", "0")
    assert section.headline == "3 joins through personal links, 1 qualified."
    assert await build(db, referrals_digest.section, Period(T0 + 10 * DAY, T0 + 11 * DAY, "UTC")) is None
    chinese = await build(db, referrals_digest.section, locale="zh-CN")
    assert chinese.title == "邀请漏斗" and ("已达标", "1", "1") in chinese.rows


# ---- redemptions -----------------------------------------------------------------------------------------


async def test_redemptions_per_reward_with_where_they_stand(db: Database) -> None:
    core = Core(config(), db)
    await core.start()
    moderator = ctx(core, "99", moderator=True, event="give", now=T0)
    for user in ("1", "2", "3"):
        reply = await core.command(ctx(core, "99", moderator=True, event=f"give-{user}", now=T0 - 2 * DAY), "award",
                                   {"member": MemberRef("discord", user, verified=True), "amount": "1000",
                                    "reason": "test"})
        assert reply.ok, reply.text

    async def redeem(user: str, reward: str, at: datetime) -> int:
        reply = await core.command(ctx(core, user, event=f"r-{user}-{reward}-{at}", now=at), "redeem",
                                   {"reward": reward})
        found = re.search(r"redemption #(\d+)", reply.text)
        assert reply.ok and found, reply.text
        return int(found.group(1))

    await redeem("1", "mug", T0 - DAY)  # the period before
    first = await redeem("1", "mug", T0 + DAY)
    await redeem("2", "mug", T0 + 2 * DAY)
    refused = await redeem("3", "mug", T0 + 2 * DAY)
    await redeem("3", "cap", T0 + 3 * DAY)
    assert (await core.command(moderator, "redemption fulfil", {"redemption": str(first)})).ok
    assert (await core.command(moderator, "redemption reject", {"redemption": str(refused),
                                                                "reason": "out of mugs"})).ok
    section = await build(db, rewards_digest.section)
    assert section.columns == ("Reward", "Redeemed", "Pending", "Fulfilled", "Rejected", "Points spent")
    assert section.rows == (("Coffee mug", "3", "1", "1", "1", "600"), ("Cap", "1", "1", "0", "0", "100"))
    assert section.headline == "4 redemptions taking 700 points (1 redemptions the period before)."
    assert await build(db, rewards_digest.section, Period(T0 + 10 * DAY, T0 + 17 * DAY, "UTC")) is None
    assert (await build(db, rewards_digest.section, locale="zh-CN")).columns[-1] == "花费积分"
