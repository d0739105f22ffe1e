"""The digest's figures on a small hand-made program, on SQLite and PostgreSQL.

Five members chat through the real core (``Core.message``: member rows, message rows, ledger entries),
the sentiment results land through the scoring worker's store, points move through the ledger, and one
UGC submission is stored as the submit use case stores it. The program's day is Asia/Shanghai (UTC+8),
so a message at 15:30 UTC and one at 16:30 UTC fall on two local days. Every expected number below is
counted by hand from the table in ``_seed``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.config_model import Community, Program, Rules, Settings, Tier
from handlers.context import Actor, Context
from handlers.core import Core
from handlers.digest import sections
from handlers.digest.build import build
from handlers.digest.links import message_link
from handlers.digest.model import Digest, Mix, Period, PointsByReason, Section, Term, TierMove
from handlers.engagement import IncomingMessage
from storage import ledger, sentiment_store, ugc
from storage.analytics import Bucket, buckets
from storage.database import Database
from storage.engagement import store_messages
from storage.ledger import Posting
from storage.models import Message, Reason

PROGRAM = Program(
    id="acme", name="Acme", timezone="Asia/Shanghai", locale="zh-CN",
    rules=Rules(cooldown_seconds=0, min_message_length=1, daily_cap=1000, streak_bonus=0),
    tiers=(Tier(name="Bronze", min_points=0), Tier(name="Silver", min_points=20), Tier(name="Gold", min_points=50)),
    communities=(Community(platform="discord", id="111", name="Acme Discord"),
                 Community(platform="telegram", id="-100222")),
)
# Local 2026-03-10 00:00 to 2026-03-17 00:00 in Shanghai.
PERIOD = Period(datetime(2026, 3, 9, 16), datetime(2026, 3, 16, 16), "Asia/Shanghai")
WHO = {"A": ("discord", "alice"), "B": ("discord", "bob"), "C": ("telegram", "chen"), "D": ("discord", "dana"),
       "E": ("telegram", "eve")}
# (who, UTC time, text, label, P(label), language); label None = still pending.
CHAT = [
    ("A", datetime(2026, 2, 25, 10), "Old times", "neutral", 0.5, "en"),           # before the previous period
    ("D", datetime(2026, 2, 26, 10), "Hello there", "neutral", 0.5, "en"),
    ("E", datetime(2026, 3, 3, 10), "Nice coffee", "positive", 0.6, "en"),         # previous period
    ("A", datetime(2026, 3, 4, 10), "Coffee is fine", "neutral", 0.7, "en"),
    ("B", datetime(2026, 3, 5, 10), "Shipping shipping fine", "neutral", 0.6, "en"),
    ("C", datetime(2026, 3, 10, 15, 30), "我们都很喜欢这个新品牌的咖啡", "positive", 0.95, "zh"),  # 23:30 local, Mar 10
    ("C", datetime(2026, 3, 10, 16, 30), "客服回复太慢了", "negative", 0.7, "zh"),             # 00:30 local, Mar 11
    ("A", datetime(2026, 3, 11, 2), "I love the new coffee flavour", "positive", 0.9, "en"),
    ("A", datetime(2026, 3, 11, 3), "The coffee shipping was slow", "negative", 0.8, "en"),
    ("D", datetime(2026, 3, 12, 10), "Where is the coffee event?", "neutral", 0.6, "en"),
    ("A", datetime(2026, 3, 13, 1), "pending words here", None, 0.0, ""),
    ("E", datetime(2026, 3, 14, 12), "Shipping is slow and the app crashed", "negative", 0.95, "en"),
    ("E", datetime(2026, 3, 16, 15, 59), "¡Hola amigos!", "unscored", 0.0, "es"),  # 23:59 local, Mar 16
    ("A", datetime(2026, 3, 16, 16), "After the end", "positive", 0.99, "en"),     # the period's end: outside
]


def _ctx(who: str, at: datetime, event: str) -> Context:
    platform, name = WHO[who]
    community = "111" if platform == "discord" else "-100222"
    return Context(program=PROGRAM, platform=platform, community_id=community,
                   actor=Actor(platform, str(ord(who)), name), locale="en", event_id=event, now=at, channel_id="55")


async def _chat(core: Core, db: Database) -> dict[str, int]:
    """Send every message through the core, then store its sentiment; returns who -> member id."""
    members: dict[str, int] = {}
    for i, (who, at, text, _label, _p, _lang) in enumerate(CHAT):
        outcome = await core.message(_ctx(who, at, str(1000 + i)), IncomingMessage(str(1000 + i), text))
        members[who] = outcome.member_id
    async with db.unit_of_work() as session:
        ids = {r.platform_message_id: r.id for r in await session.execute(select(Message.platform_message_id,
                                                                                   Message.id))}
        results = [_result(ids[str(1000 + i)], label, p, lang)
                   for i, (_w, _a, _t, label, p, lang) in enumerate(CHAT) if label is not None]
        await sentiment_store.save(session, results, datetime(2026, 3, 20))
    return members


def _result(message_id: int, label: str, p: float, language: str) -> dict[str, object]:
    probs = {"negative": None, "neutral": None, "positive": None}
    if label in probs:
        probs = {k: (p if k == label else (1 - p) / 2) for k in probs}
    return {"id": message_id, "sentiment_label": label, "p_negative": probs["negative"],
            "p_neutral": probs["neutral"], "p_positive": probs["positive"], "language": language,
            "model_version": "test"}


async def _ugc(db: Database, member_id: int, key: str, text: str, p: float, status: str) -> None:
    """A submission as ``handlers.ugc.submit`` stores it: its text as an earning-nothing message row."""
    at = datetime(2026, 3, 12, 5)
    async with db.unit_of_work() as session:
        stored = await store_messages(session, [{
            "program_id": "acme", "platform": "discord", "community_id": "111", "channel_id": "55",
            "platform_message_id": f"ugc:{key}", "member_id": member_id, "text": text, "text_hash": key,
            "created_at": at, "points": 0, "refusal": "ugc", "sentiment_status": "pending"}])
        message_id = stored[("111", f"ugc:{key}")]
        await sentiment_store.save(session, [_result(message_id, "positive", p, "en")], at)
        await ugc.insert(session, {
            "program_id": "acme", "member_id": member_id, "platform": "discord", "community_id": "111",
            "channel_id": "55", "platform_message_id": key, "permalink": f"https://discord.com/channels/111/55/{key}",
            "contest_id": None, "text": text, "text_hash": key, "message_id": message_id, "created_at": at})
        if status != ugc.PENDING:
            submission = await ugc.by_platform_message(session, "discord", "111", key)
            assert submission is not None
            await ugc.review(session, "acme", submission.id, {ugc.PENDING}, status, "mod", at)


async def _points(db: Database, members: dict[str, int]) -> None:
    """A moderator award to C (lifts C from Bronze to Gold), E's redemption of 10 and a refund of 4."""
    postings = [
        Posting("acme", members["C"], 50, Reason.MODERATOR_AWARD, "award:1", created_at=datetime(2026, 3, 13, 9)),
        Posting("acme", members["E"], -10, Reason.REWARD_REDEEM, "redeem:1", created_at=datetime(2026, 3, 15, 9)),
        Posting("acme", members["E"], 4, Reason.REWARD_REFUND, "refund:1", lifetime_delta=0,
                created_at=datetime(2026, 3, 15, 10)),
    ]
    async with db.unit_of_work() as session:
        for posting in postings:
            await ledger.post(session, posting)


@pytest.fixture
async def seeded(db: Database) -> Database:
    core = Core(Settings(programs=(PROGRAM,)), db)
    await core.start()
    members = await _chat(core, db)
    await _ugc(db, members["A"], "900", "Look at my coffee art", 0.99, ugc.APPROVED)
    await _ugc(db, members["B"], "901", "Rejected coffee art", 0.999, ugc.REJECTED)
    await _points(db, members)
    return db


async def _digest(db: Database, period: Period = PERIOD) -> Digest:
    async with db.unit_of_work() as session:
        return await build(session, PROGRAM, period, datetime(2026, 3, 17))


async def test_activity_new_returning_lapsed_and_retention(seeded: Database) -> None:
    digest = await _digest(seeded)
    now, before = digest.activity, digest.previous_activity
    # Current: A, C, D, E active; A and E were active before (returning); B lapsed; C is new; D came back
    # from before the previous period (neither new nor returning).
    assert (now.messages, now.active_members, now.new_members, now.returning_members, now.lapsed_members) == \
        (8, 4, 1, 2, 1)
    assert now.retention == pytest.approx(2 / 3)
    assert now.daily_active == pytest.approx(7 / 7)  # 1, 2, 1, 1, 1, 0, 1 members over the 7 local days
    assert (now.weekly_active, now.monthly_active) == (4, 5)
    # Previous: A, B, E active; A returning from the period before it; D lapsed; B and E new.
    assert (before.messages, before.active_members, before.new_members, before.returning_members,
            before.lapsed_members) == (3, 3, 2, 1, 1)
    assert before.retention == pytest.approx(1 / 2)
    assert before.daily_active == pytest.approx(3 / 7)
    assert (before.weekly_active, before.monthly_active) == (3, 4)


async def test_local_days_across_midnight(seeded: Database) -> None:
    digest = await _digest(seeded)
    days = {d.day: (d.messages, d.active_members, d.mix) for d in digest.days}
    assert list(days) == [date(2026, 3, 10) + timedelta(days=i) for i in range(7)]
    assert days[date(2026, 3, 10)] == (1, 1, Mix(positive=1))
    assert days[date(2026, 3, 11)] == (3, 2, Mix(negative=2, positive=1))
    assert days[date(2026, 3, 13)] == (1, 1, Mix(unscored=1))
    assert days[date(2026, 3, 15)] == (0, 0, Mix())
    assert days[date(2026, 3, 16)] == (1, 1, Mix(unscored=1))
    assert digest.mix == Mix(negative=3, neutral=1, positive=2, unscored=2)
    assert digest.previous_mix == Mix(neutral=2, positive=1)


async def test_mix_per_community_and_language(seeded: Database) -> None:
    digest = await _digest(seeded)
    communities = {g.key: (g.label, g.mix, g.previous) for g in digest.communities}
    assert [g.key for g in digest.communities] == ["discord:111", "telegram:-100222"]
    assert communities["discord:111"] == ("Acme Discord", Mix(1, 1, 1, 1), Mix(neutral=2))
    assert communities["telegram:-100222"] == ("-100222", Mix(negative=2, positive=1, unscored=1),
                                               Mix(positive=1))
    languages = {g.key: (g.mix, g.previous) for g in digest.languages}
    assert languages == {"en": (Mix(2, 1, 1, 0), Mix(neutral=2, positive=1)),
                         "zh": (Mix(negative=1, positive=1), Mix()),
                         "es": (Mix(unscored=1), Mix()), "und": (Mix(unscored=1), Mix())}
    assert digest.languages[0].key == "en"


async def test_highlights_in_order_with_links(seeded: Database) -> None:
    digest = await _digest(seeded)
    positive = [(h.kind, h.text, h.author, h.score) for h in digest.most_positive]
    assert positive == [("ugc", "Look at my coffee art", "alice", pytest.approx(0.99)),
                        ("message", "我们都很喜欢这个新品牌的咖啡", "chen", pytest.approx(0.95)),
                        ("message", "I love the new coffee flavour", "alice", pytest.approx(0.9))]
    assert digest.most_positive[0].link == "https://discord.com/channels/111/55/900"
    assert digest.most_positive[1].link == "https://t.me/c/222/1005"
    assert digest.most_positive[2].community == "Acme Discord"
    negative = [(h.text, h.label, h.score) for h in digest.most_negative]
    assert negative == [("Shipping is slow and the app crashed", "negative", pytest.approx(0.95)),
                        ("The coffee shipping was slow", "negative", pytest.approx(0.8)),
                        ("客服回复太慢了", "negative", pytest.approx(0.7))]
    assert digest.most_negative[1].link == "https://discord.com/channels/111/55/1008"


async def test_terms_segment_chinese_drop_stop_words_and_rise(seeded: Database) -> None:
    digest = await _digest(seeded)
    assert digest.top_terms[:3] == (Term("coffee", 3, 2), Term("shipping", 2, 1), Term("slow", 2, 0))
    top = {t.term for t in digest.top_terms}
    assert {"喜欢", "品牌", "咖啡", "回复"} <= top
    assert not top & {"the", "is", "我们", "这个", "的", "很", "new"}
    # Rising compares shares of messages: slow 2/8 vs 0/3 leads; coffee (3/8 vs 2/3) and shipping fell.
    assert digest.rising_terms[0] == Term("slow", 2, 0)
    rising = {t.term for t in digest.rising_terms}
    assert not rising & {"coffee", "shipping", "fine"}


async def test_points_tiers_and_contributors(seeded: Database) -> None:
    digest = await _digest(seeded)
    assert digest.points_issued == (PointsByReason("moderator_award", 50, 1), PointsByReason("message", 40, 8))
    assert digest.previous_points_issued == 15
    assert digest.points_spent == 6  # 10 redeemed, 4 refunded
    assert digest.tier_moves == (TierMove("Bronze", "Silver", 1), TierMove("Bronze", "Gold", 1))
    contributors = [(c.name, c.points, c.messages, c.tier) for c in digest.top_contributors]
    assert contributors == [("chen", 60, 2, "Gold"), ("alice", 15, 3, "Silver"), ("eve", 10, 2, "Bronze"),
                            ("dana", 5, 1, "Bronze")]


async def test_registered_sections_follow_in_order(seeded: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    async def shown(session: object, program: Program, period: Period, locale: str) -> Section:
        return Section(key="feature", title=f"{program.id} {locale} {period.start:%m-%d}")

    async def empty(session: object, program: Program, period: Period, locale: str) -> None:
        return None

    monkeypatch.setattr(sections, "BUILDERS", (empty, shown))
    digest = await _digest(seeded)
    assert digest.sections == (Section(key="feature", title="acme zh-CN 03-09"),)
    assert (digest.locale, digest.program_name, digest.generated_at) == ("zh-CN", "Acme", datetime(2026, 3, 17))


async def test_days_follow_a_dst_change(db: Database) -> None:
    """New York moves from UTC-5 to UTC-4 at 07:00 UTC on 2026-03-08; a day is counted under the offset
    in force at each message, so 04:30 UTC on the 9th is 00:30 on the 9th (23:30 on the 8th under EST)."""
    program = PROGRAM.model_copy(update={"timezone": "America/New_York"})
    core = Core(Settings(programs=(program,)), db)
    await core.start()
    times = [datetime(2026, 3, 8, 4, 30), datetime(2026, 3, 8, 5, 30), datetime(2026, 3, 9, 3, 30),
             datetime(2026, 3, 9, 4, 30)]
    for i, at in enumerate(times):
        ctx = Context(program=program, platform="discord", community_id="111", actor=Actor("discord", "7", "x"),
                      locale="en", event_id=str(i), now=at, channel_id="55")
        await core.message(ctx, IncomingMessage(str(i), f"message {i}"))
    period = Period(datetime(2026, 3, 7, 5), datetime(2026, 3, 10, 4), "America/New_York")
    async with db.unit_of_work() as session:
        digest = await build(session, program, period, datetime(2026, 3, 10))
    # 04:30 UTC = 23:30 EST on the 7th; 05:30 UTC = 00:30 EST on the 8th; on the 9th (EDT, UTC-4)
    # 03:30 UTC = 23:30 on the 8th and 04:30 UTC = 00:30 on the 9th.
    assert [(d.day.day, d.messages) for d in digest.days] == [(7, 1), (8, 2), (9, 1)]


def test_buckets_are_local_days_as_utc_ranges() -> None:
    # Berlin's 29 March 2026 has 23 hours (CET to CEST at 01:00 UTC); the period starts mid-day.
    spans = buckets("Europe/Berlin", datetime(2026, 3, 28, 12), datetime(2026, 3, 29, 10), datetime(2026, 3, 30, 22))
    assert spans == [
        Bucket(False, date(2026, 3, 28), datetime(2026, 3, 28, 12), datetime(2026, 3, 28, 23)),
        Bucket(False, date(2026, 3, 29), datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 10)),
        Bucket(True, date(2026, 3, 29), datetime(2026, 3, 29, 10), datetime(2026, 3, 29, 22)),
        Bucket(True, date(2026, 3, 30), datetime(2026, 3, 29, 22), datetime(2026, 3, 30, 22)),
    ]
    kathmandu = buckets("Asia/Kathmandu", datetime(2026, 3, 1), datetime(2026, 3, 1), datetime(2026, 3, 2))
    assert [(b.day, b.start, b.end) for b in kathmandu] == [
        (date(2026, 3, 1), datetime(2026, 3, 1), datetime(2026, 3, 1, 18, 15)),
        (date(2026, 3, 2), datetime(2026, 3, 1, 18, 15), datetime(2026, 3, 2))]


def test_message_links_where_the_platform_has_them() -> None:
    assert message_link("discord", "111", "55", "9") == "https://discord.com/channels/111/55/9"
    assert message_link("telegram", "-1001234", "", "9") == "https://t.me/c/1234/9"
    assert message_link("telegram", "-4567", "", "9") is None  # a basic group has no links
    assert message_link("discord", "111", "55", "ugc:9") is None
