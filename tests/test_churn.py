"""Churn risk: the factors and their logistic combination, the ranking AUC, the SQL aggregates on SQLite
and PostgreSQL (a member going quiet and sour ranks above steady ones, with the reasons in English and
Chinese, points about to expire counted, the digest section), and the score validated on a seeded
simulation of the demo, where the members it makes churn must rank above those who stay."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from typer.testing import CliRunner

from bot.cli import TEMPLATE, app
from bot.config import load
from bot.demo import churn_report, sample
from bot.demo.replay import Replayer
from bot.sentiment_worker import SentimentWorker
from handlers.churn import digest as churn_digest
from handlers.churn import model, screen
from handlers.churn.evaluate import ranking_auc
from handlers.churn.score import Ranking, ranking, risk_of, risks
from handlers.config_model import Program, Settings
from handlers.context import MemberRef
from handlers.core import Core
from handlers.digest.model import Period
from handlers.engagement import IncomingMessage
from sentiment.scoring import Scorer
from storage import churn, schema
from storage.churn import Activity, Streak
from storage.database import Database
from storage.models import Identity, Member, Message
from tests.conftest import T0, ctx, settings_for_tests

DAY = timedelta(days=1)
NOW = T0 + 56 * DAY


# ---- the factors -----------------------------------------------------------------------------------


def activity(weekly: tuple[int, ...], first: datetime, last: datetime, negative: tuple[int, ...] | None = None,
             ) -> Activity:
    return Activity(1, sum(weekly), first, last, weekly, weekly, negative or (0,) * len(weekly))


def test_activity_compares_the_last_14_days_with_the_members_own_rate() -> None:
    steady = activity((3, 3, 3, 3, 0, 0, 0, 0), NOW - 27 * DAY, NOW - DAY)
    stopped = activity((0, 0, 4, 4, 4, 0, 0, 0), NOW - 34 * DAY, NOW - 15 * DAY)
    new = activity((2, 1, 0, 0, 0, 0, 0, 0), NOW - 10 * DAY, NOW - DAY)
    assert model.activity_factor(steady).value == 0.0
    assert model.activity_factor(stopped).value == 1.0 and model.activity_factor(stopped).params["usual"] == 8.0
    assert model.activity_factor(new).value == 0.0  # no history of its own to fall from


def test_silence_counts_against_the_usual_gap() -> None:
    chatty = activity((10, 10, 0, 0, 0, 0, 0, 0), NOW - 19 * DAY, NOW - 5 * DAY)  # every ~0.7 days, 5 days ago
    sparse = activity((1, 0, 1, 0, 1, 0, 0, 0), NOW - 30 * DAY, NOW - 5 * DAY)  # every 12.5 days, 5 days ago
    assert model.silence_factor(chatty, NOW).value > 0.7
    assert model.silence_factor(sparse, NOW).value == 0.0
    assert model.silence_factor(chatty, NOW).params == {"days": 5, "usual": 1.0}


def test_sentiment_trend_is_against_the_members_own_past_and_smoothed() -> None:
    souring = Activity(1, 12, NOW - 40 * DAY, NOW - 10 * DAY, (0, 4, 0, 0, 4, 4, 0, 0), (0, 4, 0, 0, 4, 4, 0, 0),
                       (0, 3, 0, 0, 0, 0, 0, 0))
    always_negative = Activity(1, 12, NOW - 40 * DAY, NOW - DAY, (4, 0, 0, 0, 4, 4, 0, 0),
                               (4, 0, 0, 0, 4, 4, 0, 0), (3, 0, 0, 0, 6, 6, 0, 0))
    assert model.sentiment_factor(souring, 0.2).value > 0.5
    assert model.sentiment_factor(always_negative, 0.2).value == 0.0
    one_message = Activity(1, 1, NOW - DAY, NOW - DAY, (1,) + (0,) * 7, (1,) + (0,) * 7, (1,) + (0,) * 7)
    assert model.sentiment_factor(one_message, 0.2).value == 0.0  # no past of their own: no trend


def test_a_streak_counts_once_it_is_broken() -> None:
    today = date(2026, 4, 27)
    assert model.streak_factor(Streak(5, today - DAY), today).value == 0.0  # still alive today
    assert model.streak_factor(Streak(7, today - 3 * DAY), today).value == 1.0
    assert model.streak_factor(Streak(1, today - 9 * DAY), today).value == 0.0
    assert model.streak_factor(None, today).value == 0.0


def test_score_is_a_logistic_of_the_weighted_factors_with_the_largest_terms_explained() -> None:
    a = activity((0, 0, 4, 4, 0, 0, 0, 0), NOW - 27 * DAY, NOW - 15 * DAY)
    factors = [model.Factor("activity", 1.0, {"drop": 100, "recent": 0, "usual": 8.0}),
               model.Factor("silence", 0.4, {"days": 15, "usual": 1.7}),
               model.Factor("sentiment", 0.0, {"recent": 10, "before": 10}),
               model.Factor("streak", 0.0, {"days": 0}), model.Factor("expiry", 0.0, {"points": 0})]
    risk = model.combine(7, a, factors)
    assert risk.score == pytest.approx(1 / (1 + np.exp(-(model.BIAS + 2.0 + 2.5 * 0.4))))
    assert [f.key for f in risk.top()] == ["activity", "silence"]
    assert risk.explain("en") == ("activity down 100% (0 messages in 14 days, usually 8.0); "
                                  "silent for 15 days (usually every 1.7 days)")
    assert risk.explain("zh-CN").startswith("活跃度下降 100%")


def test_ranking_auc() -> None:
    assert ranking_auc([(0.9, True), (0.8, True), (0.2, False), (0.1, False)]) == 1.0
    assert ranking_auc([(0.1, True), (0.9, False)]) == 0.0
    assert ranking_auc([(0.5, True), (0.5, False)]) == 0.5  # a tie counts half
    assert ranking_auc([(0.9, True), (0.3, False), (0.6, False), (0.2, True)]) == 0.5
    assert ranking_auc([(0.9, True)]) is None


@st.composite
def activities(draw: st.DrawFn) -> Activity:
    """A member's lookback as storage returns it: at least one message, scored ones among them and
    negative ones among those, first and last times inside the weeks that have messages."""
    weekly = draw(st.lists(st.integers(0, 6), min_size=8, max_size=8).filter(any))
    scored = [draw(st.integers(0, n)) for n in weekly]
    negative = [draw(st.integers(0, n)) for n in scored]
    active = [k for k, n in enumerate(weekly) if n]
    within_a_week = st.integers(1, 7 * 86400 * 10**6 - 1).map(lambda us: timedelta(microseconds=us))
    last = NOW - 7 * DAY * active[0] - draw(within_a_week)
    first = NOW - 7 * DAY * (active[-1] + 1) + draw(within_a_week)
    first = min(first, last) if sum(weekly) > 1 else last
    return Activity(draw(st.integers(1, 10**6)), sum(weekly), first, last, tuple(weekly), tuple(scored),
                    tuple(negative))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(activities(), st.sampled_from([0.0, 0.3, 1.0]), st.sampled_from([0.0, 0.5])),
                min_size=1, max_size=20),
       st.floats(0.0, 1.0))
def test_screening_gives_the_models_scores_within_its_margin(
        members: list[tuple[Activity, float, float]], base: float) -> None:
    found = [a for a, _, _ in members]
    streak = np.array([s for _, s, _ in members])
    expiry = np.array([e for _, _, e in members])
    screened = screen.scores(found, NOW, base, streak, expiry)
    for (a, s, e), fast in zip(members, screened, strict=True):
        exact = model.combine(a.member_id, a, [model.activity_factor(a), model.silence_factor(a, NOW),
                                               model.sentiment_factor(a, base), model.Factor("streak", s),
                                               model.Factor("expiry", e)]).score
        assert abs(fast - exact) < screen.MARGIN / 1000


# ---- through storage --------------------------------------------------------------------------------


def config(expiry_days: int | None = None) -> Settings:
    base = settings_for_tests(cooldown_seconds=0, daily_cap=1000)
    program = Program.model_validate({**base.programs[0].model_dump(), "points_expiry_days": expiry_days})
    return Settings.model_validate({**base.model_dump(), "programs": (program.model_dump(),)})


async def say(core: Core, user: str, now: datetime, text: str) -> None:
    event = f"m-{user}-{now.isoformat()}"
    await core.message(ctx(core, user, now=now, event=event), IncomingMessage(event, text))


async def label(db: Database, word: str, sentiment: str) -> None:
    """Stand in for the model: messages containing ``word`` get ``sentiment``."""
    async with db.unit_of_work() as s:
        await s.execute(update(Message).where(Message.text.contains(word))
                        .values(sentiment_label=sentiment, sentiment_status="scored"))


async def member_of(db: Database, user: str) -> int:
    async with db.unit_of_work() as s:
        found = await s.scalar(Identity.__table__.select().with_only_columns(Identity.member_id)
                               .where(Identity.platform_user_id == user))
        assert found is not None
        return int(found)


async def community(db: Database, expiry_days: int | None = None) -> Core:
    """Over 8 weeks: member 1 chats daily, then goes quiet and sour 3 weeks before NOW; members 2 and 3
    chat steadily to the end; member 4 only started last week."""
    core = Core(config(expiry_days), db)
    await core.start()
    for day in range(56):
        at = T0 + day * DAY + timedelta(hours=9)
        if day < 35:
            mood = "sadly broken again" if day >= 28 else "happy with everything"
            await say(core, "1", at, f"day {day}: the app is {mood}")
        if day % 2 == 0:
            await say(core, "2", at, f"day {day}: the app is happy with everything")
        if day % 3 == 0:
            await say(core, "3", at + timedelta(hours=1), f"day {day}: neutral news about the app")
        if day >= 50:
            await say(core, "4", at, f"day {day}: hello, the app is happy with everything")
    await label(db, "happy", "positive")
    await label(db, "neutral", "neutral")
    await label(db, "sadly", "negative")
    return core


async def test_the_member_going_quiet_and_sour_ranks_first_with_reasons(db: Database) -> None:
    core = await community(db)
    program = core.settings.programs[0]
    members = {await member_of(db, u): u for u in ("1", "2", "3", "4")}
    quiet = await member_of(db, "1")
    async with db.unit_of_work() as s:
        ranked = await risks(s, program, NOW)
        alone = await risk_of(s, program, quiet, NOW)
        nobody = await risk_of(s, program, quiet, NOW + 60 * DAY)
    assert [members[r.member_id] for r in ranked[:1]] == ["1"] and len(ranked) == 4
    first = ranked[0]
    assert first.score > 0.8 and all(r.score < 0.3 for r in ranked[1:])
    assert {f.key for f in first.top()} == {"activity", "silence", "sentiment"}
    assert "silent for 21 days" in first.explain("en") and "已沉默 21 天" in first.explain("zh-CN")
    assert first.messages == 35 and first.last_active == T0 + 34 * DAY + timedelta(hours=9)
    assert alone is not None and alone.score == pytest.approx(first.score) and nobody is None
    async with db.unit_of_work() as s:
        section = await churn_digest.section(s, program, Period(NOW - 7 * DAY, NOW, "UTC"), "en")
    assert section is not None and section.rows[0][0] == "user1" and section.rows[0][2] == "2026-04-05"
    assert section.headline == "1 of 4 recently active members at high risk (≥ 50%)"


async def test_points_about_to_expire_raise_the_risk(db: Database) -> None:
    core = await community(db, expiry_days=60)
    program = core.settings.programs[0]
    member = await member_of(db, "2")
    async with db.unit_of_work() as s:
        before = await risk_of(s, program, member, NOW)
    moderator = ctx(core, "99", moderator=True, event="award", now=NOW - 55 * DAY)
    reply = await core.command(moderator, "award", {"member": MemberRef("discord", "2", verified=True),
                                                    "amount": "900", "reason": "early points"})
    assert reply.ok
    async with db.unit_of_work() as s:
        after = await risk_of(s, program, member, NOW)
    assert before is not None and after is not None
    was, expiry = ({f.key: f for f in r.factors}["expiry"] for r in (before, after))
    assert expiry.params["points"] == int(str(was.params["points"])) + 900  # with the first days' message points
    assert expiry.value > 0.5 and after.score > before.score
    assert f"{expiry.params['points']:,} points expire within 7 days" == expiry.text("en")


async def test_the_digests_ranking_is_the_top_of_risks(db: Database) -> None:
    """``ranking`` screens most members over arrays; its top, its count at a threshold and its number of
    members are those of ``risks``, a threshold equal to a member's score included."""
    core = await community(db, expiry_days=60)
    program = core.settings.programs[0]
    async with db.unit_of_work() as s:
        for now in (NOW, NOW - 10 * DAY, NOW + 20 * DAY):
            full = await risks(s, program, now)
            for threshold in (0.0, 0.5, *(r.score for r in full), 1.0):
                for top in (0, 1, 2, len(full), len(full) + 1):
                    found = await ranking(s, program, now, top, threshold)
                    assert found.top == tuple(full[:top]) and found.members == len(full)
                    assert found.at_or_above == sum(1 for r in full if r.score >= threshold)
        assert await ranking(s, program, NOW + 90 * DAY, 10, 0.5) == Ranking((), 0, 0)  # nobody active


async def test_a_merged_account_counts_for_the_member_it_was_merged_into(db: Database) -> None:
    """Accounts are grouped week by week and then folded into their members (``storage.churn``): the
    messages of an account merged away by ``/link`` land in the surviving member's weeks."""
    core = await community(db)
    program = core.settings.programs[0]
    steady, merged = await member_of(db, "2"), await member_of(db, "3")
    async with db.unit_of_work() as s:
        apart = {a.member_id: a for a in await churn.activity(s, program.id, NOW, 8)}
        await s.execute(update(Member).where(Member.id == merged).values(merged_into=steady))
    async with db.unit_of_work() as s:
        together = {a.member_id: a for a in await churn.activity(s, program.id, NOW, 8)}
        ranked = await risks(s, program, NOW)
        alone = await risk_of(s, program, steady, NOW)
    one, other = apart[steady], apart[merged]
    assert (one.messages, other.messages) == (28, 19)  # every other day, every third day
    assert merged not in together and together[steady] == Activity(
        steady, 47, min(one.first_at, other.first_at), max(one.last_at, other.last_at),
        *(tuple(x + y for x, y in zip(getattr(one, f), getattr(other, f), strict=True))
          for f in ("weekly", "scored", "negative")))
    assert [r.member_id for r in ranked if r.member_id in (steady, merged)] == [steady]
    assert alone is not None and alone.messages == 47


# ---- validation on the simulated month -----------------------------------------------------------


class PhraseModel:
    """Stands in for the sentiment model: the sample's own negative and positive phrases."""

    version = "phrases-1"
    languages = None

    def probabilities(self, texts: list[str]) -> np.ndarray:
        negative = [p.lower() for p in sample.EN_NEGATIVE + sample.ZH_NEGATIVE]
        positive = [p.lower() for p in sample.EN_POSITIVE + sample.ZH_POSITIVE]
        rows: list[list[float]] = []
        for text in texts:
            low = text.lower()
            rows.append([0.8, 0.1, 0.1] if any(p[:8] in low for p in negative) else
                        [0.1, 0.1, 0.8] if any(p[:8] in low for p in positive) else [0.1, 0.8, 0.1])
        return np.array(rows)


async def test_simulated_churners_rank_above_members_who_stay(tmp_path: Path) -> None:
    settings = load(TEMPLATE)
    data = sample.generate(seed=11, members=120, messages=900)
    assert any(p.churning for p in data.people) and not all(p.churning for p in data.people)
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/sim.db")
    try:
        await schema.upgrade(db)
        core = Core(settings, db)
        await core.start()
        await Replayer(core, settings.programs[0], data).replay(lambda: None)
        await SentimentWorker(db, Scorer(PhraseModel(), gate_languages=False), batch_size=256).drain()
        async with db.unit_of_work() as s:
            result = await churn_report.validate(s, settings.programs[0], data)
    finally:
        await db.dispose()
    assert result.churners >= 5 and len(result.judged) - result.churners >= 20
    assert result.auc is not None and result.auc >= 0.8, result.auc
    summary, top = churn_report.sections(result)
    assert ("ranking AUC", f"{result.auc:.3f}") in summary.rows and top.rows


def test_cli_lists_nothing_on_an_empty_database_and_refuses_an_unknown_program(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
    config = tmp_path / "config.yaml"
    config.write_text(TEMPLATE.read_text(encoding="utf-8").replace(
        "database_url: sqlite+aiosqlite:///./engagebot.db", f"database_url: sqlite+aiosqlite:///{tmp_path}/c.db"),
        encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade", "-c", str(config)]).exit_code == 0
    empty = runner.invoke(app, ["churn", "--program", "acme", "-c", str(config)])
    assert empty.exit_code == 0 and "No member of Acme Community was active in the last 8 weeks" in empty.output
    unknown = runner.invoke(app, ["churn", "--program", "nope", "-c", str(config)])
    assert unknown.exit_code == 2 and "unknown program 'nope'" in unknown.output
    assert "Traceback" not in unknown.output and len(unknown.output.strip().splitlines()) == 1
