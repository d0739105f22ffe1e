"""What a moderator or member types for a reward or a redemption, parsed, or refused with a message
naming the problem (``error.reward.*``), before anything is read or written.

Numbers are ASCII digits (``,`` and ``_`` allowed as separators), as for
``/award``; a sign is taken only to name the problem ("a cost of -5").
Stock and the per-member limit also take ``unlimited`` (or ``none``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers import textnorm, validation
from handlers.config_model import Program
from handlers.errors import UserError

NAME_MAX = 80
DESCRIPTION_MAX = 300
NOTE_MAX = 500
COST_MAX = 100_000_000
STOCK_MAX = 100_000_000
LIMIT_MAX = 100_000
ID_DIGITS_MAX = 18
NUMBER_DIGITS_MAX = 20
UNLIMITED = frozenset({"unlimited", "none", "no", "-", "\u221e", "\u65e0\u9650", "\u4e0d\u9650"})
_WHOLE = re.compile(r"([+-]?)([0-9]+)", re.ASCII)
_ID = re.compile(r"#?([0-9]+)", re.ASCII)


@dataclass(frozen=True)
class Unset:
    """An optional value that was given as "unlimited"/"none" (as opposed to not given at all)."""


CLEARED = Unset()


def blank(raw: object) -> bool:
    return raw is None or str(raw).strip() == ""


def text(raw: object, field: str, maximum: int, *, required: bool = True) -> str:
    """One line of text: control characters dropped, spacing collapsed, within ``maximum`` characters."""
    value = str(raw or "")
    if validation.has_lone_surrogate(value):
        raise UserError("error.reward.text_invalid", field=field)
    value = " ".join(textnorm.storable(value).split())
    if required and not value:
        raise UserError("error.reward.text_missing", field=field, maximum=maximum)
    if len(value) > maximum:
        raise UserError("error.reward.text_too_long", field=field, length=len(value), maximum=maximum)
    return value


def _whole(raw: object, field: str, minimum: int, maximum: int, too_small: str) -> int:
    value = str(raw).strip().replace(",", "").replace("_", "")
    found = _WHOLE.fullmatch(value)
    if found is None:
        raise UserError("error.reward.not_whole", field=field, value=validation.shown(raw))
    digits = found.group(2).lstrip("0") or "0"
    if found.group(1) == "-" and digits != "0":
        raise UserError(too_small, field=field, value=validation.shown("-" + digits, 24), minimum=minimum)
    if len(digits) > NUMBER_DIGITS_MAX or int(digits) > maximum:
        raise UserError("error.reward.too_large", field=field, maximum=maximum)
    if int(digits) < minimum:
        raise UserError(too_small, field=field, value=digits, minimum=minimum)
    return int(digits)


def cost(raw: object) -> int:
    return _whole(raw, "cost", 1, COST_MAX, "error.reward.cost_not_positive")


def stock(raw: object) -> int | Unset:
    """Units in stock, or ``CLEARED`` for unlimited."""
    if str(raw).strip().casefold() in UNLIMITED:
        return CLEARED
    return _whole(raw, "stock", 0, STOCK_MAX, "error.reward.stock_negative")


def limit(raw: object) -> int | Unset:
    """Redemptions per member, or ``CLEARED`` for unlimited."""
    if str(raw).strip().casefold() in UNLIMITED:
        return CLEARED
    return _whole(raw, "limit", 1, LIMIT_MAX, "error.reward.limit_not_positive")


def tier(program: Program, raw: object) -> str | Unset:
    """A tier of the program by name (any case), or ``CLEARED`` for "every tier"."""
    typed = " ".join(str(raw).split()).casefold()
    if typed in UNLIMITED:
        return CLEARED
    for known in program.tiers:
        if known.name.casefold() == typed:
            return known.name
    raise UserError("error.reward.unknown_tier", tier=validation.shown(raw),
                    tiers=", ".join(t.name for t in program.tiers))


def reference(raw: object) -> int | str:
    """A reward as typed: ``#12`` or ``12`` is an id; anything else a config id or a name."""
    value = " ".join(textnorm.storable(str(raw or "")).split())
    found = _ID.fullmatch(value)
    if found is not None:
        digits = found.group(1).lstrip("0")
        if digits and len(digits) <= ID_DIGITS_MAX:
            return int(digits)
    if not value or validation.has_lone_surrogate(value):
        raise UserError("error.reward.unknown", reward=validation.shown(raw))
    return value


def record_id(raw: object) -> int:
    """A redemption id as typed (``12`` or ``#12``)."""
    found = _ID.fullmatch(str(raw).strip())
    digits = found.group(1).lstrip("0") if found else ""
    if not digits or len(digits) > ID_DIGITS_MAX:
        raise UserError("error.redemption.bad_id", value=validation.shown(raw))
    return int(digits)
