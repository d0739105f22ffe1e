"""The digest's A/B tests section: each experiment that exposed members in the period, with its results
at the end of the period (registered in ``handlers.digest.sections.BUILDERS``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.digest.model import Period, Section
from handlers.experiments import conversions, report
from handlers.i18n import translate
from storage import experiments as store


async def section(session: AsyncSession, program: Program, period: Period, locale: str) -> Section | None:
    """None when no experiment exposed anyone in the period."""
    rows: list[tuple[str, ...]] = []
    running, exposed = 0, 0
    for experiment in program.experiments:
        recent = await store.tally(session, program.id, experiment.id, period.end, exposed_from=period.start,
                                   exposed_until=period.end)
        if not recent:
            continue
        running += 1
        exposed += sum(t.exposed for t in recent)
        await conversions.record(session, program.id, experiment, period.end)
        results = report.build(experiment, await store.tally(session, program.id, experiment.id, period.end,
                                                             exposed_until=period.end))
        rows += [(experiment.id, *row) for row in report.table_rows(results, locale)]
        rows.append((experiment.id, report.conclusion(results, locale), *[""] * (len(report.COLUMNS) - 1)))
    if not running:
        return None
    return Section(key="experiments", title=translate("experiments.digest.title", locale),
                   headline=translate("experiments.digest.headline", locale, count=running, exposed=exposed),
                   columns=(translate("experiments.col.experiment", locale), *report.columns(locale)),
                   rows=tuple(rows), note=translate("experiments.digest.note", locale))
