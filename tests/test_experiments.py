"""A/B experiments in storage, on SQLite and PostgreSQL: sticky assignment, one exposure per member,
conversion windows of each conversion kind (recorded once, whenever results are read), results with
their verdict in chat text and in the digest section, and the CLI report."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app as cli_app
from handlers.config_model import Program, Settings
from handlers.context import MemberRef
from handlers.core import Core
from handlers.digest.model import Period
from handlers.engagement import IncomingMessage
from handlers.experiments import assign, digest, report, stats
from storage import experiments as store
from storage import members, schema
from storage.database import Database
from storage.experiments import CONVERSION, EXPOSURE, ExperimentAssignment, ExperimentEvent
from storage.ugc import UgcSubmission
from tests.conftest import T0, ctx, open_database, settings_for_tests

HOUR = timedelta(hours=1)
NUDGE = {"id": "nudge-test", "message": "winback_nudge", "conversion": "return", "window_hours": 48,
         "min_sample_per_variant": 1,
         "variants": [{"name": "plain", "weight": 50, "text": "Come back, {name}!", "text_zh": "{name}，回来看看吧！"},
                      {"name": "bonus", "weight": 50, "text": "{name}, 50 points wait for you {soon}"}]}
GREET = {"id": "greet-test", "message": "birthday_greeting", "conversion": "earning_message", "window_hours": 24,
         "start": T0.isoformat(), "end": (T0 + timedelta(days=10)).isoformat(),
         "variants": [{"name": "short", "weight": 30, "text": "Happy birthday!"},
                      {"name": "long", "weight": 70, "text": "Happy birthday, share your story!"}]}
SUBMIT = {**NUDGE, "id": "ugc-test", "message": "birthday_greeting", "conversion": "ugc_submission"}
SHOP = {**NUDGE, "id": "shop-test", "conversion": "redemption"}


def settings(*experiments: dict[str, Any], **changes: Any) -> Settings:
    base = settings_for_tests(max_adjustment=100_000)
    program = {**base.programs[0].model_dump(), "experiments": experiments,
               "rewards": ({"id": "cap", "name": "Cap", "cost": 100},), **changes}
    return Settings.model_validate({**base.model_dump(), "programs": (Program.model_validate(program).model_dump(),)})


async def boot(db: Database, *experiments: dict[str, Any]) -> Core:
    core = Core(settings(*(experiments or (NUDGE, GREET))), db)
    await core.start()
    return core


def program(core: Core) -> Program:
    return core.settings.programs[0]


async def member(core: Core, user: str) -> int:
    async with core.db.unit_of_work() as session:
        return await members.resolve(session, "discord", user, f"user{user}", None, T0)


async def show(core: Core, message: str, member_id: int, now: datetime, locale: str = "en",
               default: str = "DEFAULT") -> str:
    return await core.db.run(lambda s: assign.variant_text(s, program(core), message, member_id, default, now,
                                                           locale, {"name": "Ana"}))


async def say(core: Core, user: str, text: str, at: datetime) -> None:
    await core.message(ctx(core, user, now=at, event=f"m-{user}-{at.isoformat()}"),
                       IncomingMessage(f"msg-{user}-{at.timestamp()}", text))


async def results(core: Core, experiment_id: str, now: datetime) -> report.Results:
    found = await core.db.run(lambda s: report.results(s, program(core), experiment_id, now))
    assert found is not None
    return found


async def count(core: Core, kind: str) -> int:
    async with core.db.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(ExperimentEvent)
                                        .where(ExperimentEvent.kind == kind)) or 0)


async def test_variant_is_sticky_when_weights_change(db: Database) -> None:
    core = await boot(db, NUDGE)
    ids = [await member(core, str(n)) for n in range(1, 41)]
    first = {m: await show(core, "winback_nudge", m, T0) for m in ids}
    tested = program(core).experiments[0]
    expected = {m: assign.render(assign.choose(tested, m).text, {"name": "Ana"}) for m in ids}
    assert first == expected
    assert {"Come back, Ana!", "Ana, 50 points wait for you {soon}"} == set(first.values())
    shifted = {**NUDGE, "variants": [{**NUDGE["variants"][0], "weight": 1}, {**NUDGE["variants"][1], "weight": 99}]}
    moved = Core(settings(shifted), db)
    later = T0 + timedelta(days=5)
    assert {m: await show(moved, "winback_nudge", m, later) for m in ids} == first
    newcomers = [await member(moved, str(n)) for n in range(100, 140)]
    new_tested = program(moved).experiments[0]
    for m in newcomers:
        chosen = assign.choose(new_tested, m)
        assert await show(moved, "winback_nudge", m, later) == assign.render(chosen.text, {"name": "Ana"})
    assert sum(assign.choose(new_tested, m).name == "bonus" for m in newcomers) >= 35


async def test_exposure_is_recorded_once_and_window_counts_from_it(db: Database) -> None:
    core = await boot(db, NUDGE)
    who = await member(core, "1")
    shown = await core.db.run(lambda s: assign.show(s, program(core), "winback_nudge", who, T0))
    again = await core.db.run(lambda s: assign.show(s, program(core), "winback_nudge", who, T0 + 30 * HOUR))
    assert shown is not None and again is not None
    assert (shown.first, again.first, shown.variant) == (True, False, again.variant)
    assert await count(core, EXPOSURE) == 1
    async with db.unit_of_work() as session:
        event = (await session.scalars(select(ExperimentEvent))).one()
    assert (event.at, event.window_ends_at) == (T0, T0 + 48 * HOUR)
    await say(core, "1", "hello again everyone", T0 + 49 * HOUR)  # after the first exposure's window
    assert (await results(core, "nudge-test", T0 + 60 * HOUR)).exposed == 1
    assert await count(core, CONVERSION) == 0


async def test_concurrent_first_exposures_store_one_variant(db: Database) -> None:
    """Two processes (separate connections) exposing one member at once, each proposing another variant:
    one assignment and one exposure are stored, and both are told the stored variant."""
    core = await boot(db, NUDGE)
    who = await member(core, "1")
    other = open_database(str(db.engine.url.render_as_string(hide_password=False)))
    try:
        async def expose(database: Database, proposed: str) -> store.Exposure:
            return await database.run(lambda s: store.expose(s, "acme", "nudge-test", who, proposed, T0,
                                                             T0 + 48 * HOUR))

        first, second = await asyncio.gather(expose(db, "plain"), expose(other, "bonus"))
    finally:
        await other.dispose()
    assert first.variant == second.variant and sorted([first.first, second.first]) == [False, True]
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(ExperimentAssignment)) == 1
    assert await count(core, EXPOSURE) == 1


async def test_default_text_when_no_experiment_runs(db: Database) -> None:
    core = await boot(db)
    who = await member(core, "1")
    assert await show(core, "birthday_greeting", who, T0 - HOUR) == "DEFAULT"  # before its start
    assert await show(core, "birthday_greeting", who, T0 + timedelta(days=10)) == "DEFAULT"  # at its end
    assert await show(core, "member_day", who, T0) == "DEFAULT"  # nothing tests it
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(ExperimentAssignment)) == 0
    assert await show(core, "birthday_greeting", who, T0 + HOUR) in {"Happy birthday!",
                                                                      "Happy birthday, share your story!"}


async def test_text_in_the_members_language_with_fields(db: Database) -> None:
    core = await boot(db, NUDGE)
    plain = bonus = None
    for n in range(1, 30):
        who = await member(core, str(n))
        if assign.choose(program(core).experiments[0], who).name == "plain":
            plain = plain or who
        else:
            bonus = bonus or who
    assert plain is not None and bonus is not None
    assert await show(core, "winback_nudge", plain, T0, locale="zh-CN") == "Ana，回来看看吧！"
    assert await show(core, "winback_nudge", bonus, T0, locale="zh-CN") == "Ana, 50 points wait for you {soon}"


async def test_return_conversion_within_the_window_only(db: Database) -> None:
    core = await boot(db, NUDGE)
    people = {user: await member(core, user) for user in ("1", "2", "3", "4")}
    await say(core, "3", "I was here before the nudge", T0 - HOUR)
    for who in people.values():
        await show(core, "winback_nudge", who, T0)
    await say(core, "1", "ok", T0 + HOUR)  # any stored message is a return, even one that earns nothing
    await say(core, "2", "back but too late for the window", T0 + 49 * HOUR)
    early = await results(core, "nudge-test", T0 + 2 * HOUR)
    assert sum(v.open for v in early.variants) == 4 and all(v.rate is None for v in early.variants)
    assert await count(core, CONVERSION) == 1  # recorded already, counted once its window closes
    done = await results(core, "nudge-test", T0 + 50 * HOUR)
    assert sum(v.open for v in done.variants) == 0
    assert sum(v.converted for v in done.variants) == 1
    async with db.unit_of_work() as session:
        conversion = (await session.execute(
            select(ExperimentAssignment.member_id, ExperimentEvent.at, ExperimentEvent.source)
            .join(ExperimentEvent, ExperimentEvent.assignment_id == ExperimentAssignment.id)
            .where(ExperimentEvent.kind == CONVERSION))).one()
    assert conversion.member_id == people["1"] and conversion.at == T0 + HOUR
    assert conversion.source.startswith("messages:")
    await results(core, "nudge-test", T0 + 80 * HOUR)
    assert await count(core, CONVERSION) == 1


async def test_earning_message_conversion_needs_points(db: Database) -> None:
    core = await boot(db, GREET)
    quiet, earner = await member(core, "1"), await member(core, "2")
    start = T0 + HOUR
    for who in (quiet, earner):
        await show(core, "birthday_greeting", who, start)
    await say(core, "1", "thanks", start + HOUR)  # too short to earn
    await say(core, "2", "thank you so much for the greeting", start + 2 * HOUR)
    found = await results(core, "greet-test", start + 25 * HOUR)
    converted = {v.name: v.converted for v in found.variants}
    assert sum(converted.values()) == 1
    assert converted[assign.choose(program(core).experiments[0], earner).name] == 1


async def test_ugc_submission_conversion(db: Database) -> None:
    core = await boot(db, SUBMIT)
    author, other = await member(core, "1"), await member(core, "2")
    for who in (author, other):
        await show(core, "birthday_greeting", who, T0)
    async with db.unit_of_work() as session:
        for n, (who, at) in enumerate(((author, T0 + 3 * HOUR), (other, T0 - HOUR))):
            session.add(UgcSubmission(program_id="acme", member_id=who, platform="discord", community_id="111",
                                      channel_id="5", platform_message_id=f"ugc-{n}", text="my story",
                                      status="pending", created_at=at))
    found = await results(core, "ugc-test", T0 + 49 * HOUR)
    assert sum(v.converted for v in found.variants) == 1
    assert await count(core, CONVERSION) == 1


async def test_redemption_conversion(db: Database) -> None:
    core = await boot(db, SHOP)
    buyer, saver = await member(core, "1"), await member(core, "2")
    for who in (buyer, saver):
        await show(core, "winback_nudge", who, T0)
    for user in ("1", "2"):
        award = await core.command(ctx(core, "99", moderator=True, event=f"give-{user}", now=T0 + HOUR), "award",
                                   {"member": MemberRef("discord", user, verified=True), "amount": "500",
                                    "reason": "test points"})
        assert award.ok, award.text
    bought = await core.command(ctx(core, "1", event="buy", now=T0 + 2 * HOUR), "redeem", {"reward": "cap"})
    assert bought.ok, bought.text
    found = await results(core, "shop-test", T0 + 49 * HOUR)
    assert [(v.name, v.converted) for v in found.variants if v.converted] == [
        (assign.choose(program(core).experiments[0], buyer).name, 1)]


async def _simulate(core: Core, rates: dict[str, float], people: int) -> None:
    """Expose ``people`` members; the share ``rates[variant]`` of each variant, evenly spread, comes back
    within the window."""
    tested = program(core).experiments[0]
    seen: dict[str, int] = {}
    for n in range(1, people + 1):
        who = await member(core, str(n))
        await show(core, "winback_nudge", who, T0)
        name = assign.choose(tested, who).name
        seen[name] = seen.get(name, 0) + 1
        if int(seen[name] * rates[name]) > int((seen[name] - 1) * rates[name]):  # every 1/rate-th member
            await say(core, str(n), "I am back, hello all", T0 + 5 * HOUR)


async def test_results_declare_the_better_variant_and_describe_it(db: Database) -> None:
    core = await boot(db, {**NUDGE, "min_sample_per_variant": 40})
    await _simulate(core, {"plain": 0.2, "bonus": 0.7}, 120)
    found = await results(core, "nudge-test", T0 + 49 * HOUR)
    control, variant = found.variants
    assert control.settled + variant.settled == 120
    assert control.rate is not None and abs(control.rate - 0.2) < 0.05
    assert variant.comparison is not None and variant.comparison.verdict == stats.BETTER
    text = report.describe(found, "en")
    assert "plain (control)" in text and "bonus:" in text and ": better" in text
    assert text.endswith("Result: bonus converts better than plain.")
    assert "结论：bonus 的转化优于 plain。" in report.describe(found, "zh-CN")
    strict = Core(settings({**NUDGE, "min_sample_per_variant": 1000}), db)
    waiting = await results(strict, "nudge-test", T0 + 49 * HOUR)
    assert waiting.variants[1].comparison is not None
    assert waiting.variants[1].comparison.verdict == stats.NOT_YET
    assert "not yet significant; each variant needs 1,000 exposures" in report.describe(waiting, "en")


async def test_unknown_experiment_has_no_results(db: Database) -> None:
    core = await boot(db, NUDGE)
    assert await core.db.run(lambda s: report.results(s, program(core), "nope", T0)) is None
    empty = await results(core, "nudge-test", T0)
    assert empty.exposed == 0 and report.describe(empty, "en").endswith("No member has been exposed yet.")


async def test_digest_section_shows_experiments_exposed_in_the_period(db: Database) -> None:
    core = await boot(db, {**NUDGE, "min_sample_per_variant": 40})
    await _simulate(core, {"plain": 0.2, "bonus": 0.7}, 100)
    period = Period(T0 - timedelta(days=1), T0 + timedelta(days=6), "UTC")
    built = await core.db.run(lambda s: digest.section(s, program(core), period, "en"))
    assert built is not None and built.key == "experiments"
    assert built.headline == "1 A/B test(s) showed their message to 100 member(s) for the first time in this period."
    variants = {row[1]: row for row in built.rows if row[2]}
    assert set(variants) == {"plain", "bonus"} and variants["bonus"][-1] == "better"
    assert any(row[1] == "Result: bonus converts better than plain." for row in built.rows)
    before = Period(T0 - timedelta(days=8), T0 - timedelta(days=1), "UTC")
    assert await core.db.run(lambda s: digest.section(s, program(core), before, "en")) is None


async def test_campaign_stats_shows_the_test_among_members_exposed_during_the_campaign(db: Database) -> None:
    core = await boot(db, {**NUDGE, "min_sample_per_variant": 40})
    moderator = ctx(core, "99", moderator=True, event="create", now=T0 - 2 * HOUR)
    created = await core.command(moderator, "campaign create", {"kind": "multiplier", "start": "+1h",
                                                                "end": "+30h", "multiplier": "2", "scope": "all"})
    assert created.ok, created.text
    await _simulate(core, {"plain": 0.2, "bonus": 0.7}, 100)
    stats_reply = await core.command(ctx(core, "99", moderator=True, event="stats", now=T0 + 60 * HOUR),
                                     "campaign stats", {"campaign": "1"})
    assert stats_reply.ok, stats_reply.text
    assert "A/B test among the members who got its message during this campaign:" in stats_reply.text
    assert "nudge-test (winback_nudge)" in stats_reply.text
    assert "Result: bonus converts better than plain." in stats_reply.text
    later = await core.command(ctx(core, "99", moderator=True, event="create2", now=T0 + 70 * HOUR),
                               "campaign create", {"kind": "multiplier", "start": "+1h", "end": "+3h",
                                                   "multiplier": "2", "scope": "all"})
    assert later.ok, later.text
    quiet = await core.command(ctx(core, "99", moderator=True, event="stats2", now=T0 + 75 * HOUR),
                               "campaign stats", {"campaign": "2"})
    assert quiet.ok and "A/B test" not in quiet.text


def test_cli_report_shows_each_variant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path}/ab.db"

    async def prepare() -> None:
        db = Database(url)
        try:
            await schema.upgrade(db)
            await _simulate(await boot(db, {**NUDGE, "min_sample_per_variant": 40}), {"plain": 0.2, "bonus": 0.7},
                            100)
        finally:
            await db.dispose()

    asyncio.run(prepare())
    variants = "\n".join(f"          - {{name: {v['name']}, weight: {v['weight']}, text: 'x'}}"
                         for v in NUDGE["variants"])
    config = tmp_path / "config.yaml"
    config.write_text(f"database_url: {url}\nprograms:\n  - id: acme\n    name: Acme\n    experiments:\n"
                      f"      - id: nudge-test\n        message: winback_nudge\n        conversion: return\n"
                      f"        window_hours: 48\n        min_sample_per_variant: 40\n        variants:\n{variants}\n",
                      encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(cli_app, ["experiments", "report", "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    assert "acme: nudge-test (winback_nudge)" in shown.output
    rows = {line.split()[0]: line.split() for line in shown.output.splitlines() if line.split()[:1] in (["plain"],
                                                                                                     ["bonus"])}
    tested = settings({**NUDGE, "min_sample_per_variant": 40}).programs[0].experiments[0]
    exposed = Counter(assign.choose(tested, member_id).name for member_id in range(1, 101))  # a fresh file: ids 1..
    converted = {"plain": int(exposed["plain"] * 0.2), "bonus": int(exposed["bonus"] * 0.7)}
    rates = {name: converted[name] / exposed[name] for name in converted}
    assert rows["plain"][1:5] == [str(exposed["plain"]), str(converted["plain"]), f"{rates['plain']:.1%}", "-"]
    assert rows["bonus"][1:5] == [str(exposed["bonus"]), str(converted["bonus"]), f"{rates['bonus']:.1%}",
                                  f"{(rates['bonus'] - rates['plain']) * 100:+.1f}"]
    assert (rows["plain"][-1], rows["bonus"][-1]) == ("control", "better")
    assert "Result: bonus converts better than plain." in " ".join(shown.output.split())
    unknown = runner.invoke(cli_app, ["experiments", "report", "--program", "nope", "--config", str(config)])
    assert unknown.exit_code == 2 and "unknown program 'nope'" in unknown.output
    assert len(unknown.output.strip().splitlines()) == 1
    bare = tmp_path / "bare.yaml"
    bare.write_text(f"database_url: {url}\nprograms:\n  - id: acme\n    name: Acme\n", encoding="utf-8")
    none = runner.invoke(cli_app, ["experiments", "report", "--config", str(bare)])
    assert none.exit_code == 0 and "no experiments configured in acme" in none.output
