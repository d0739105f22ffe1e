"""An experiment's results: counts per variant from storage, each variant against the control.

Rates count only exposures whose conversion window has closed, converted or
not, so a variant exposed more recently is not made to look worse (or better)
by members who still have time to convert. The same ``Results`` feed
``/campaign stats`` (``describe``), the CLI report and the digest section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import utcnow
from handlers.config_model import Program
from handlers.experiments import conversions, stats
from handlers.experiments.variants import Experiment, find
from handlers.i18n import translate
from storage import experiments as store
from storage.campaigns import Campaign


@dataclass(frozen=True)
class VariantResult:
    """One variant: ``comparison`` is against the control (None for the control itself, and while either
    has no settled exposure)."""

    name: str
    exposed: int
    open: int
    converted: int
    comparison: stats.Comparison | None

    @property
    def settled(self) -> int:
        return self.exposed - self.open

    @property
    def rate(self) -> float | None:
        return self.converted / self.settled if self.settled else None


@dataclass(frozen=True)
class Results:
    experiment: Experiment
    variants: tuple[VariantResult, ...]

    @property
    def control(self) -> VariantResult:
        return self.variants[0]

    @property
    def exposed(self) -> int:
        return sum(v.exposed for v in self.variants)

    @property
    def smallest_sample(self) -> int:
        return min(v.settled for v in self.variants)

    def decided(self) -> list[VariantResult]:
        """Variants declared better or worse than the control."""
        return [v for v in self.variants[1:]
                if v.comparison is not None and v.comparison.verdict != stats.NOT_YET]


def build(experiment: Experiment, tallies: list[store.VariantTally]) -> Results:
    """Results from per-variant counts: config order, control first; a variant no longer in config but
    with stored members is kept at the end, so nobody exposed disappears from the counts."""
    by_name = {t.variant: t for t in tallies}
    names = [v.name for v in experiment.variants] + sorted(set(by_name) - {v.name for v in experiment.variants})
    empty = store.VariantTally("", 0, 0, 0)
    counts = [(name, by_name.get(name, empty)) for name in names]
    control = counts[0][1]
    rows = [VariantResult(names[0], control.exposed, control.open, control.converted, None)]
    for name, tally in counts[1:]:
        comparison = stats.compare((control.converted, control.settled), (tally.converted, tally.settled),
                                   experiment.min_sample_per_variant)
        rows.append(VariantResult(name, tally.exposed, tally.open, tally.converted, comparison))
    return Results(experiment, tuple(rows))


async def results(session: AsyncSession, program: Program, experiment_id: str, now: datetime) -> Results | None:
    """Record conversions due by ``now``, then the results; None when ``program`` has no such experiment."""
    experiment = find(program.experiments, experiment_id)
    if experiment is None:
        return None
    await conversions.record(session, program.id, experiment, now)
    return build(experiment, await store.tally(session, program.id, experiment.id, now))


async def during_campaign(session: AsyncSession, program: Program, campaign: Campaign, locale: str) -> list[str]:
    """``/campaign stats`` lines (``handlers.campaigns.listing.STATS_HOOKS``): each A/B test that exposed
    members while the campaign ran, with its results among those members, as of now."""
    now, lines = utcnow(), []
    for experiment in program.experiments:
        await conversions.record(session, program.id, experiment, now)
        tallies = await store.tally(session, program.id, experiment.id, now, exposed_from=campaign.start_at,
                                    exposed_until=campaign.end_at)
        if tallies:
            lines += [translate("experiments.during_campaign", locale), describe(build(experiment, tallies), locale)]
    return lines


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def points(value: float, locale: str) -> str:
    """A difference of rates in percentage points."""
    return translate("experiments.points", locale, value=value * 100)


def p_text(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def conclusion(results: Results, locale: str) -> str:
    """One sentence: which variant won (or lost), or why nothing is declared yet."""
    if results.exposed == 0:
        return translate("experiments.result.none", locale)
    decided = results.decided()
    if decided:
        best = max(decided, key=lambda v: v.comparison.difference if v.comparison else 0)
        kind = best.comparison.verdict if best.comparison else stats.NOT_YET
        return translate(f"experiments.result.{kind}", locale, variant=best.name, control=results.control.name)
    minimum = results.experiment.min_sample_per_variant
    if results.smallest_sample < minimum:
        return translate("experiments.result.sample", locale, minimum=minimum, smallest=results.smallest_sample)
    return translate("experiments.result.interval", locale)


def title(experiment: Experiment, locale: str) -> str:
    return translate("experiments.title", locale, experiment=experiment.id, message=experiment.message,
                     conversion=translate(f"experiments.conversion.{experiment.conversion}", locale),
                     hours=experiment.window_hours)


def _line(row: VariantResult, locale: str) -> str:
    common = {"variant": row.name, "exposed": row.exposed, "converted": row.converted, "settled": row.settled,
              "rate": percent(row.rate)}
    if row.comparison is None and row.settled == 0:
        return translate("experiments.row.waiting", locale, variant=row.name, exposed=row.exposed)
    if row.comparison is None:
        return translate("experiments.row.control", locale, **common)
    c = row.comparison
    return translate("experiments.row.variant", locale, **common, difference=points(c.difference, locale),
                     low=points(c.interval.low, locale), high=points(c.interval.high, locale),
                     p=p_text(c.p_value),
                     verdict=translate(f"experiments.verdict.{c.verdict}", locale))


def describe(results: Results, locale: str) -> str:
    """The results as chat text (``/campaign stats``): title, a line per variant, what is still open, the
    conclusion."""
    lines = [title(results.experiment, locale)]
    lines += [_line(row, locale) for row in results.variants]
    lines.append(notes(results, locale))
    return "\n".join(lines)


def table_rows(results: Results, locale: str) -> list[tuple[str, ...]]:
    """One row per variant for tables (the CLI, the digest): variant, exposed, converted, rate, the
    difference with the control in percentage points with its interval, p-value, verdict."""
    rows = []
    for row in results.variants:
        c = row.comparison
        if c is None:
            compared = ["-", "-", translate("experiments.control", locale) if row is results.control else "-"]
        else:
            low, high = c.interval.low * 100, c.interval.high * 100
            compared = [f"{c.difference * 100:+.1f} [{low:+.1f}, {high:+.1f}]", p_text(c.p_value),
                        translate(f"experiments.verdict.{c.verdict}", locale)]
        rows.append((row.name, f"{row.exposed:,}", f"{row.converted:,}", percent(row.rate), *compared))
    return rows


COLUMNS = ("variant", "exposed", "converted", "rate", "difference", "p", "verdict")


def columns(locale: str) -> tuple[str, ...]:
    return tuple(translate(f"experiments.col.{c}", locale) for c in COLUMNS)


def notes(results: Results, locale: str) -> str:
    """Under a table: how many still have time to convert, then the conclusion."""
    waiting = sum(v.open for v in results.variants)
    lines = [translate("experiments.open", locale, count=waiting)] if waiting else []
    return " ".join([*lines, conclusion(results, locale)])
