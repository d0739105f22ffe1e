"""The hourly rollup behind the spike check's baseline, on SQLite and PostgreSQL: the first check rolls up the
whole baseline and later ones only the hours that entered it; messages scored, scored again or stored after
their hour was rolled up are counted; a check cut off midway and a restart go on from where the rollup
stopped; and on random chat, scoring and checks the buckets a check reads are those counted from scratch."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select, update

from handlers.alerts import rollup
from handlers.alerts.check import buckets
from handlers.alerts.rollup import Window
from storage.alerts import AlertHour, AlertRollup, Bucket
from storage.database import Database
from storage.models import Member, Message
from tests.test_alerts import HOUR, MINUTE, NOW, boot, members, message, steady, store

SCORED = ("negative", "neutral", "positive")


async def rolled(db: Database) -> dict[tuple[str, datetime], tuple[int, int, int]]:
    """The rollup's rows: (channel, hour) -> (messages, scored, negative)."""
    async with db.unit_of_work() as s:
        rows = await s.execute(select(AlertHour.channel_id, AlertHour.hour, AlertHour.messages,
                                      AlertHour.scored, AlertHour.negative))
        return {(ch, hour): (n, sc, neg) for ch, hour, n, sc, neg in rows.tuples()}


async def reach(db: Database) -> tuple[datetime, datetime] | None:
    async with db.unit_of_work() as s:
        row = await s.get(AlertRollup, "acme")
        return (row.rolled_from, row.rolled_until) if row is not None else None


async def tamper(db: Database, hour: datetime, messages: int) -> None:
    """Change a rolled-up hour behind the rollup's back: a check that counted it again would put it right."""
    async with db.unit_of_work() as s:
        await s.execute(update(AlertHour).where(AlertHour.hour == hour).values(messages=messages))


async def score(db: Database, start: datetime, end: datetime, label: str, at: datetime) -> None:
    """What the sentiment worker writes for the messages of [start, end): the label and when it scored."""
    async with db.unit_of_work() as s:
        await s.execute(update(Message).where(Message.created_at >= start, Message.created_at < end)
                        .values(sentiment_status="scored", sentiment_label=label, scored_at=at))


def hours(end: datetime, count: int = 48) -> list[datetime]:
    return [end - k * HOUR for k in range(count, 0, -1)]


async def test_the_first_check_rolls_up_the_baseline_and_later_ones_only_the_hours_that_entered_it(
        db: Database) -> None:
    authors = await members(db, 5)
    await store(db, steady(authors, NOW - 50 * HOUR, NOW + 3 * HOUR, 10))
    bot = await boot(db)
    await bot.checks(NOW + 10 * MINUTE, NOW + 10 * MINUTE)
    end = NOW - HOUR  # the clock hour holding NOW + 10 min - 1 h starts here: the baseline ends there
    rows = await rolled(db)
    assert sorted(hour for _, hour in rows) == hours(end) and set(rows.values()) == {(10, 10, 1)}
    assert await reach(db) == (end - 48 * HOUR, end)
    await tamper(db, end - HOUR, 999)
    await bot.checks(NOW + 15 * MINUTE, NOW + 2 * HOUR + 10 * MINUTE)
    rows = await rolled(db)
    assert rows[("c1", end - HOUR)][0] == 999  # never counted again
    assert sorted(hour for _, hour in rows) == hours(NOW + HOUR)  # two hours entered, two left
    assert rows[("c1", NOW - HOUR)] == rows[("c1", NOW)] == (10, 10, 1)
    assert await reach(db) == (NOW + HOUR - 48 * HOUR, NOW + HOUR)


async def test_messages_scored_after_their_hour_was_rolled_up_are_counted(db: Database) -> None:
    authors = await members(db, 5)
    late = NOW - 5 * HOUR
    rows = steady(authors, NOW - 50 * HOUR, NOW + HOUR, 10)
    for row in rows:
        if late <= row["created_at"] < late + HOUR:  # the worker had not scored this hour yet
            row.update(sentiment_status="pending", sentiment_label=None, p_negative=None, p_neutral=None,
                       p_positive=None)
    await store(db, rows)
    bot = await boot(db)
    await bot.checks(NOW + 10 * MINUTE, NOW + 10 * MINUTE)
    assert (await rolled(db))[("c1", late)] == (10, 0, 0)
    await score(db, late, late + HOUR, "negative", at=NOW + 12 * MINUTE)
    await bot.checks(NOW + 15 * MINUTE, NOW + 15 * MINUTE)
    assert (await rolled(db))[("c1", late)] == (10, 10, 10)
    # Queued again (`engagebot sentiment rescore`) and scored again before the next check saw them pending.
    await score(db, late, late + HOUR, "neutral", at=NOW + 17 * MINUTE)
    await bot.checks(NOW + 20 * MINUTE, NOW + 20 * MINUTE)
    assert (await rolled(db))[("c1", late)] == (10, 10, 0)
    assert (await rolled(db))[("c1", late - HOUR)] == (10, 10, 1)


async def test_a_message_stored_late_into_a_rolled_up_hour_is_counted(db: Database) -> None:
    authors = await members(db, 5)
    await store(db, steady(authors, NOW - 50 * HOUR, NOW + HOUR, 10))
    bot = await boot(db)
    await bot.checks(NOW + 10 * MINUTE, NOW + 10 * MINUTE)
    # A catch-up after a downtime stores messages of hours ago, already scored (no new score to find).
    await store(db, [message(authors[0], NOW - 3 * HOUR + 30 * MINUTE, "negative")])
    await bot.checks(NOW + 15 * MINUTE, NOW + 15 * MINUTE)
    assert (await rolled(db))[("c1", NOW - 3 * HOUR)] == (11, 11, 2)
    await store(db, [message(authors[0], NOW - 4 * HOUR + MINUTE, "positive", channel="c2")])
    await bot.checks(NOW + 20 * MINUTE, NOW + 25 * MINUTE)
    rows = await rolled(db)
    assert rows[("c2", NOW - 4 * HOUR)] == (1, 1, 0) and rows[("c1", NOW - 4 * HOUR)] == (10, 10, 1)


async def test_a_check_cut_off_midway_and_a_restart_go_on_from_where_the_rollup_stopped(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    authors = await members(db, 5)
    await store(db, steady(authors, NOW - 50 * HOUR, NOW + HOUR, 10))
    first = await boot(db)
    real = rollup._roll
    written: list[tuple[datetime, datetime]] = []

    async def dies_after_two(session: Any, program_id: str, start: datetime, end: datetime,
                             *rest: Any) -> None:
        if len(written) == 2:
            raise RuntimeError("the process was killed")
        await real(session, program_id, start, end, *rest)
        written.append((start, end))

    monkeypatch.setattr(rollup, "_roll", dies_after_two)
    source = next(j for j in first.core.timed_jobs if j.name == "alerts")
    with pytest.raises(RuntimeError):
        await source.fire("acme", NOW + 10 * MINUTE)
    end = NOW - HOUR
    start = end - 48 * HOUR
    assert written == [(start, start + 6 * HOUR), (start + 6 * HOUR, start + 12 * HOUR)]
    assert await reach(db) == (start, start + 12 * HOUR)
    assert first.alerts() == [] and len(await rolled(db)) == 12
    monkeypatch.undo()
    await tamper(db, start + 11 * HOUR, 999)
    second = await boot(db, at=NOW + 12 * MINUTE)  # a new process
    await second.checks(NOW + 12 * MINUTE, NOW + 12 * MINUTE)
    rows = await rolled(db)
    assert rows[("c1", start + 11 * HOUR)][0] == 999  # what the first wrote was kept, not counted again
    assert sorted(hour for _, hour in rows) == hours(end) and await reach(db) == (start, end)
    assert {v for (_, hour), v in rows.items() if hour != start + 11 * HOUR} == {(10, 10, 1)}


def counted_from_scratch(chat: list[tuple[datetime, str, str | None]], window: Window) -> Counter[Bucket]:
    """The buckets of ``window`` counted from the chat itself, without the database."""
    counts: dict[tuple[str, int], list[int]] = {}
    for at, channel, label in chat:
        if window.last_hour <= at < window.now:
            ago = 0
        elif window.start <= at < window.end:
            ago = (window.end - rollup.floor_hour(at)) // HOUR
        else:
            continue
        n = counts.setdefault((channel, ago), [0, 0, 0])
        n[0] += 1
        n[1] += label in SCORED
        n[2] += label == "negative"
    return Counter(Bucket("discord", "111", ch, ago, *n) for (ch, ago), n in counts.items())


CHANNELS = st.sampled_from(["c1", "c2", "c3"])
LABELS = st.sampled_from(["negative", "neutral", "positive", "unscored", None])  # None: pending
CHECK = st.tuples(st.just("check"), st.none())
STEPS = st.lists(st.one_of(
    st.tuples(st.just("chat"), st.lists(st.tuples(st.integers(0, 20 * 60), CHANNELS, LABELS), min_size=1,
                                        max_size=25)),
    CHECK, st.tuples(st.just("wait"), st.integers(1, 300)),
    st.tuples(st.just("score"), st.sampled_from(SCORED)),
    st.tuples(st.just("rescore"), st.tuples(st.integers(1, 20), st.sampled_from(SCORED))), CHECK),
    min_size=1, max_size=25)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS, offset=st.integers(0, 3599), baseline=st.integers(2, 14))
async def test_the_rollup_reads_as_counting_from_scratch(db: Database, steps: list[tuple[str, Any]],
                                                         offset: int, baseline: int) -> None:
    """Chat stored late into any hour, pending sentiment, scored, scored again, checks at any second: every
    check reads the buckets that counting the messages from scratch gives."""
    async with db.unit_of_work() as s:
        for table in (AlertHour, AlertRollup, Message):
            await s.execute(delete(table))
        member = await s.scalar(select(func.min(Member.id)))
    member = member or (await members(db, 1))[0]
    now = NOW + timedelta(seconds=offset)
    chat: dict[int, tuple[datetime, str, str | None]] = {}  # message id -> what the database holds
    for step, arg in [*steps, ("check", None)]:
        if step == "chat":
            rows = []
            for minutes_ago, channel, label in arg:
                row = message(member, now - timedelta(minutes=minutes_ago), "neutral", channel=channel)
                rows.append({**row, "sentiment_status": "scored" if label else "pending",
                             "sentiment_label": label})
            if rows:
                async with db.unit_of_work() as s:
                    statement = insert(Message).returning(Message.id, sort_by_parameter_order=True)
                    ids = (await s.scalars(statement, rows)).all()
                chat.update({i: (r["created_at"], r["channel_id"], r["sentiment_label"])
                             for i, r in zip(ids, rows, strict=True)})
        elif step == "wait":
            now += timedelta(minutes=arg)
        elif step == "score":
            async with db.unit_of_work() as s:
                await s.execute(update(Message).where(Message.sentiment_status == "pending")
                                .values(sentiment_status="scored", sentiment_label=arg, scored_at=now))
            chat = {i: (at, ch, arg if label is None else label) for i, (at, ch, label) in chat.items()}
        elif step == "rescore":
            start = rollup.floor_hour(now) - arg[0] * HOUR
            await score(db, start, start + HOUR, arg[1], at=now)
            chat = {i: (at, ch, arg[1] if start <= at < start + HOUR else label)
                    for i, (at, ch, label) in chat.items()}
        else:
            window = Window.at(now, baseline)
            await rollup.refresh(db, "acme", window)
            got = await db.run(lambda s, window=window: buckets(s, "acme", window))
            assert Counter(got) == counted_from_scratch(list(chat.values()), window)
