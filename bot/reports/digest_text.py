"""Numbers, changes and dates of a digest as people read them, shared by the HTML report and the summary.

A change against the previous period is a relative change for counts ("+12%"),
and a difference in percentage points for shares ("−3.1 pp"), because a share
that goes from 2% to 4% has not "doubled" in any sense a brand team cares about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers import i18n
from handlers.digest.model import Period

MINUS = "\u2212"
LABELS = ("positive", "neutral", "negative")  # sentiment labels, in the order the report shows them


@dataclass(frozen=True)
class Change:
    """``text`` in the digest's language; ``direction`` is "up", "down", "flat", "new" (up from nothing)
    or "none" (nothing to compare)."""

    text: str
    direction: str

    @property
    def comparable(self) -> bool:
        return self.direction in ("up", "down", "flat")

    def tone(self, higher_is_better: bool | None) -> str:
        """"good", "bad" or "neutral", for the report's colours."""
        if higher_is_better is None or self.direction not in ("up", "down", "new"):
            return "neutral"
        return "good" if (self.direction != "down") == higher_is_better else "bad"


def signed(value: float, digits: int) -> str:
    text = f"{abs(value):,.{digits}f}"
    return f"+{text}" if value > 0 else f"{MINUS}{text}" if value < 0 else text


def count_change(current: float, previous: float, locale: str) -> Change:
    """Relative change of a count; "new" when there was nothing before."""
    if current == previous:
        return Change(i18n.translate("report.digest.same", locale), "flat")
    if previous == 0:
        return Change(i18n.translate("report.digest.new", locale), "new")
    ratio = (current - previous) / previous * 100
    return Change(f"{signed(ratio, 0 if abs(ratio) >= 10 else 1)}%", "up" if ratio > 0 else "down")


def share_change(current: float | None, previous: float | None, locale: str) -> Change:
    """Difference of two shares (0..1) in percentage points; "—" when either is unknown."""
    if current is None or previous is None:
        return Change(i18n.translate("report.digest.none", locale), "none")
    points = round((current - previous) * 100, 1)
    if points == 0:
        return Change(i18n.translate("report.digest.same", locale), "flat")
    text = i18n.translate("report.digest.pp", locale, value=signed(points, 1))
    return Change(text, "up" if points > 0 else "down")


def percent(share: float | None, locale: str, digits: int = 1) -> str:
    if share is None:
        return i18n.translate("report.digest.none", locale)
    return f"{share * 100:.{digits}f}%"


def number(value: float) -> str:
    """Whole numbers with thousands separators; a mean (daily actives) with one decimal."""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def local(moment: datetime, timezone: str) -> datetime:
    """A stored naive-UTC time in the program's zone."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone))


def local_time(moment: datetime, timezone: str) -> str:
    return local(moment, timezone).strftime("%Y-%m-%d %H:%M")


def bounds(period: Period) -> tuple[str, str]:
    """The period's first and last local day when it runs midnight to midnight (the end is exclusive),
    otherwise its start and end times."""
    start, end = local(period.start, period.timezone), local(period.end, period.timezone)
    if start.time() == end.time() == time(0):
        return start.strftime("%Y-%m-%d"), (end - timedelta(days=1)).strftime("%Y-%m-%d")
    return start.strftime("%Y-%m-%d %H:%M"), end.strftime("%Y-%m-%d %H:%M")


def last_day(period: Period) -> str:
    """The local date of the period's last moment, which names the report's files."""
    return (local(period.end, period.timezone) - timedelta(microseconds=1)).strftime("%Y-%m-%d")
