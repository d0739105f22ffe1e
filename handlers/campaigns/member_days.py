"""Member days from config: which local date is one, and when the next ones come.

A member day is a whole local day in the program's time zone (midnight to
midnight), every given weekday or on a given day of the month; a month
without that day (the 31st in April) has none. Config validation refuses two
definitions that could fall on one date, so a date has at most one.
"""

from __future__ import annotations

from datetime import date, timedelta

from handlers.config_model import WEEKDAYS, MemberDay, Program

# Looking ahead this far always finds the next occurrence (a 31st comes within two months).
HORIZON_DAYS = 62


def falls_on(member_day: MemberDay, day: date) -> bool:
    if member_day.weekday is not None:
        return WEEKDAYS[day.weekday()] == member_day.weekday
    return day.day == member_day.day_of_month


def on(program: Program, day: date) -> MemberDay | None:
    """The program's member day on this local date, if any."""
    for member_day in program.campaigns.member_days:
        if falls_on(member_day, day):
            return member_day
    return None


def next_on_or_after(member_day: MemberDay, day: date) -> date:
    for ahead in range(HORIZON_DAYS):
        candidate = day + timedelta(days=ahead)
        if falls_on(member_day, candidate):
            return candidate
    raise ValueError(f"member day {member_day.name!r} has no date within {HORIZON_DAYS} days of {day}")


def upcoming(program: Program, day: date) -> list[tuple[date, MemberDay]]:
    """Each member day's next date from ``day`` on (today if today is one), soonest first."""
    return sorted(((next_on_or_after(m, day), m) for m in program.campaigns.member_days), key=lambda p: p[0])
