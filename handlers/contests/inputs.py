"""What a moderator or member types for a contest, parsed, or refused with a message naming the problem.

Times are typed in the program's time zone (``YYYY-MM-DD HH:MM``), as ISO
8601 (an offset, if given, wins over the zone), as ``now``, or relative to
now (``+30m``, ``+2h``, ``+3d``); they come back as naive UTC, the form rows
and timers use.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers import textnorm, validation
from handlers.errors import UserError

ID_DIGITS_MAX = 18
NUMBER_DIGITS_MAX = 20
# How far ahead a contest may be set: beyond it a typo ("+300d" for "+30d") is likelier than a plan.
HORIZON = timedelta(days=3650)
_ID = re.compile(r"#?([0-9]+)", re.ASCII)
_WHOLE = re.compile(r"([+-]?)([0-9]+)", re.ASCII)
_RELATIVE = re.compile(r"\+([0-9]{1,7})([mhd])", re.ASCII)
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def record_id(raw: object, bad_key: str) -> int:
    """A contest or entry id as typed (``12`` or ``#12``)."""
    found = _ID.fullmatch(str(raw).strip())
    if found is None or len(found.group(1).lstrip("0")) > ID_DIGITS_MAX or not int(found.group(1)):
        raise UserError(bad_key, value=validation.shown(raw))
    return int(found.group(1))


def moment(raw: object, now: datetime, zone: str) -> datetime:
    """A typed time as naive UTC (see the module docstring); ``now`` is returned as is."""
    text = str(raw).strip()
    if text.lower() == "now":
        return now
    relative = _RELATIVE.fullmatch(text.lower())
    if relative is not None:
        offset = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        return _within_horizon(raw, now, offset)
    if not text.isascii():
        raise UserError("contest.bad_time", value=validation.shown(raw))
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(zone))
        utc = parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):  # not a time, or one the zone shifts past year 1 or 9999
        raise UserError("contest.bad_time", value=validation.shown(raw)) from None
    return _within_horizon(raw, now, utc - now)


def _within_horizon(raw: object, now: datetime, offset: timedelta) -> datetime:
    if offset > HORIZON:
        raise UserError("contest.time_too_far", value=validation.shown(raw), days=HORIZON.days)
    return now + offset


def shown_time(moment_utc: datetime, zone: str) -> str:
    """A stored time as people read it: in the program's zone, to the minute, zone named."""
    local = moment_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {zone}"


def window(start: object, end: object, now: datetime, zone: str, past_key: str,
           order_key: str) -> tuple[datetime, datetime]:
    """Start and end as naive UTC, for anything that opens and closes (a contest, a campaign). A
    start earlier in the current minute counts as now, so typing this minute's "HH:MM" works like
    "now"; ``past_key`` and ``order_key`` name the errors for an earlier start and an end not after it."""
    start_at = moment(start, now, zone)
    if start_at < now.replace(second=0, microsecond=0):
        raise UserError(past_key, start=shown_time(start_at, zone), now=shown_time(now, zone))
    start_at = max(start_at, now)
    end_at = moment(end, now, zone)
    if end_at <= start_at:
        raise UserError(order_key, start=shown_time(start_at, zone), end=shown_time(end_at, zone))
    return start_at, end_at


def text_field(raw: object, field: str, maximum: int, *, one_line: bool) -> str:
    """A title or description: control characters dropped, spacing tidied, 1 to ``maximum`` characters."""
    text = str(raw or "")
    if validation.has_lone_surrogate(text):
        raise UserError("contest.text_invalid", field=field)
    text = textnorm.storable(text)
    lines = [text] if one_line else text.splitlines()
    text = "\n".join(" ".join(line.split()) for line in lines)
    text = text.strip()
    if not text:
        raise UserError("contest.text_missing", field=field, maximum=maximum)
    if len(text) > maximum:
        raise UserError("contest.text_too_long", field=field, length=len(text), maximum=maximum)
    return text


def whole(raw: object, field: str, minimum: int, maximum: int, too_small: str) -> int:
    """A whole number in ASCII digits (``,`` and ``_`` allowed as separators) within the bounds;
    ``too_small`` names the message for one under ``minimum`` (zero winners has its own)."""
    text = str(raw).strip().replace(",", "").replace("_", "")
    found = _WHOLE.fullmatch(text)
    if found is None:
        raise UserError("contest.not_whole", field=field, value=validation.shown(raw))
    digits = found.group(2).lstrip("0") or "0"
    if found.group(1) == "-" and digits != "0":
        raise UserError(too_small, field=field, minimum=minimum, value=validation.shown("-" + digits, 24))
    if len(digits) > NUMBER_DIGITS_MAX or int(digits) > maximum:
        raise UserError("contest.too_large", field=field, maximum=maximum)
    if int(digits) < minimum:
        raise UserError(too_small, field=field, minimum=minimum, value=digits)
    return int(digits)


def choice(raw: object, field: str, choices: tuple[str, ...]) -> str:
    text = str(raw).strip().lower()
    if text not in choices:
        raise UserError("contest.bad_choice", field=field, value=validation.shown(raw),
                        choices=", ".join(choices))
    return text
