"""The digest's "alerts raised" section: every spike incident open at some moment of the period."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.alerts.check import channel_label
from handlers.config_model import Program
from handlers.digest.model import Period, Section
from handlers.i18n import translate
from storage import alerts
from storage.alerts import NEGATIVE, AlertIncident

COLUMNS = ("opened", "channel", "kind", "value", "mean", "z", "closed")


def local(moment: datetime, zone: str) -> str:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _amount(kind: str, value: float, locale: str) -> str:
    return f"{value:.0%}" if kind == NEGATIVE else translate("alerts.section.per_hour", locale, value=value)


def _row(program: Program, incident: AlertIncident, period: Period, locale: str) -> tuple[str, ...]:
    closed = (local(incident.closed_at, period.timezone) if incident.closed_at is not None and
              incident.closed_at < period.end else translate("alerts.section.still_open", locale))
    value = f"{incident.value:.0%}" if incident.kind == NEGATIVE else f"{incident.messages:,}"
    return (local(incident.opened_at, period.timezone),
            channel_label(program, incident.platform, incident.community_id, incident.channel_id),
            translate(f"alerts.kind.{incident.kind}", locale), value, _amount(incident.kind, incident.mean, locale),
            f"{incident.z:.1f}", closed)


async def section(session: AsyncSession, program: Program, period: Period, locale: str) -> Section | None:
    incidents = await alerts.incidents_between(session, program.id, period.start, period.end)
    if not incidents:
        return None
    still_open = sum(1 for i in incidents if i.closed_at is None or i.closed_at >= period.end)
    return Section(key="alerts", title=translate("alerts.section.title", locale),
                   headline=translate("alerts.section.headline", locale, count=len(incidents), open=still_open),
                   columns=tuple(translate(f"alerts.section.{c}", locale) for c in COLUMNS),
                   rows=tuple(_row(program, i, period, locale) for i in incidents))
