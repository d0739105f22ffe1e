"""The demo report's A/B test section: the win-back nudge experiment's variants, rates, difference with
its 95 % interval, p-value and verdict, next to the effect the simulation built in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.experiment import NUDGE_EVERY, NUDGE_RUNS, RETURN_RATES, Outcome
from bot.demo.tables import Section
from handlers.config_model import Program
from handlers.experiments import report
from storage import experiments as store

LOCALE = "en"


async def sections(session: AsyncSession, program: Program, outcome: Outcome | None) -> list[Section]:
    """Results read once every conversion window has closed (recording the conversions), also those of
    members the demo's later parts had the win-back job nudge."""
    if outcome is None:
        return []
    exposed = await store.exposed_members(session, program.id, outcome.experiment.id)
    window = timedelta(hours=outcome.experiment.window_hours + 1)
    read_at = max([outcome.read_at, *(at + window for _, _, at in exposed)])
    results = await report.results(session, program, outcome.experiment.id, read_at)
    if results is None:
        return []
    built_in = ", ".join(f"{name} {rate:.0%}" for name, rate in RETURN_RATES.items())
    note = (f"{report.title(results.experiment, LOCALE)}. The win-back job ran {NUDGE_RUNS} times, every "
            f"{NUDGE_EVERY.days} days from {outcome.nudged_from:%Y-%m-%d}, and sent {outcome.dms} nudge DMs; results read after every "
            f"window closed. Built into the simulation: {built_in} of nudged members come back. "
            f"{report.notes(results, LOCALE)}")
    texts = Section("A/B test: the nudge texts", ("variant", "weight", "text (English)"),
                    [(v.name, f"{v.weight}%", v.text) for v in results.experiment.variants],
                    note="each member's variant: sha256(experiment id, member id) against the weights, "
                         "stored at the first nudge", right=frozenset({1}))
    table = Section("A/B test: win-back nudge wording", report.columns(LOCALE),
                    report.table_rows(results, LOCALE), note=note, right=frozenset({1, 2, 3, 4, 5}))
    return [table, texts]
