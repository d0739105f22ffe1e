"""When a digest schedule falls due, and the period each digest covers.

A schedule names local times in the program's time zone ("Monday 09:00 in
Europe/Berlin"); the database and the scheduler work in naive UTC. Each
occurrence is computed from its local date, so a weekly digest stays at
09:00 local across a daylight-saving change (that week lasts 167 or 169
hours) and a monthly one covers the calendar month's own length. A digest
due at an occurrence covers the period since the occurrence before it.
A local time skipped by a spring-forward gap is read with the offset before
the change (zoneinfo's ``fold=0``), the same way every time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.config_model import WEEKDAYS, DigestSchedule
from handlers.digest.model import Period

# Every schedule occurs at least once in any 31 local days; this margin finds the occurrences on both
# sides of a moment.
_SEARCH_DAYS = 40


def _matches(schedule: DigestSchedule, day: date) -> bool:
    if schedule.kind == "weekly":
        return WEEKDAYS[day.weekday()] == schedule.weekday
    if schedule.kind == "monthly":
        return day.day == schedule.day
    return True


def _occurrences(schedule: DigestSchedule, zone: str, moment: datetime) -> list[datetime]:
    """The schedule's moments (naive UTC) of the local dates around ``moment``, in order."""
    tz = ZoneInfo(zone)
    local_day = moment.replace(tzinfo=UTC).astimezone(tz).date()
    hour, minute = (int(part) for part in schedule.at.split(":"))
    days = (local_day + timedelta(days=offset) for offset in range(-_SEARCH_DAYS, _SEARCH_DAYS + 1))
    return [datetime.combine(day, time(hour, minute), tz).astimezone(UTC).replace(tzinfo=None)
            for day in days if _matches(schedule, day)]


def last_due(schedule: DigestSchedule, zone: str, now: datetime) -> datetime:
    """The latest occurrence at or before ``now``."""
    return max(at for at in _occurrences(schedule, zone, now) if at <= now)


def next_due(schedule: DigestSchedule, zone: str, after: datetime) -> datetime:
    """The first occurrence after ``after``."""
    return min(at for at in _occurrences(schedule, zone, after) if at > after)


def period_ending(schedule: DigestSchedule, zone: str, end: datetime) -> Period:
    """The period a digest due at ``end`` (an occurrence) covers: since the occurrence before it."""
    start = max(at for at in _occurrences(schedule, zone, end) if at < end)
    return Period(start, end, zone)
