"""Parsing of user-typed arguments into safe values, with specific errors.

Everything a member types reaches the database or a reply only through here,
so hostile input (numbers thousands of digits long, digits from other
scripts, NUL, unpaired surrogates, megabytes of text) ends in a specific
refusal before anything is written, never in the catch-all apology.
"""

from __future__ import annotations

import re

from handlers import textnorm
from handlers.errors import UserError

REASON_MAX = 200
PAGE_MAX = 100_000
AMOUNT_LIMIT = 10_000_000  # the largest rules.max_adjustment config.yaml accepts
NUMBER_DIGITS_MAX = 20
SHOWN_MAX = 40
PLATFORM_ID_MAX = 20
# Our own record numbers (submissions, contests, entries): Discord's integer options stop at 2**53 - 1.
RECORD_ID_MAX = 2**53 - 1
USERNAME_MAX = 64
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_SIGNED = re.compile(r"([+-]?)([0-9]+)", re.ASCII)
_CODE = re.compile(r"[A-Z0-9]{8}", re.ASCII)


def has_lone_surrogate(text: str) -> bool:
    """Unpaired UTF-16 halves cannot be encoded as UTF-8, so cannot be stored."""
    return any("\ud800" <= c <= "\udfff" for c in text)


def shown(raw: object, limit: int = SHOWN_MAX) -> str:
    """A user-typed value safe to quote back in a reply on one line: control
    characters dropped, unpaired surrogates replaced, spacing collapsed, cut
    to ``limit`` characters."""
    text = " ".join(textnorm.storable(str(raw)).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _number(raw: object, not_integer: str) -> tuple[str, str]:
    """(sign, digits without leading zeros) of a whole number typed in ASCII
    digits; thousands separators ',' and '_' are allowed."""
    text = str(raw).strip().replace(",", "").replace("_", "")
    match = _SIGNED.fullmatch(text)
    if match is None:
        raise UserError(not_integer, value=shown(raw))
    return match.group(1), match.group(2).lstrip("0") or "0"


def _too_long(digits: str, maximum: int) -> UserError:
    return UserError("error.number_too_long", value=shown(digits, 13), digits=len(digits), maximum=maximum)


def amount(raw: object, maximum: int) -> int:
    """A whole, positive number of points no larger than the program's maximum."""
    sign, digits = _number(raw, "error.amount_not_integer")
    if sign == "-" or digits == "0":
        raise UserError("error.amount_not_positive", value=shown(sign.replace("+", "") + digits, 24))
    return _at_most(digits, maximum, "error.amount_too_large")


def page(raw: object) -> int:
    """A page number from 1 to PAGE_MAX; nothing typed means page 1."""
    if raw is None or str(raw).strip() == "":
        return 1
    sign, digits = _number(raw, "error.page")
    if sign == "-" or digits == "0":
        raise UserError("error.page", value=shown(raw))
    return _at_most(digits, PAGE_MAX, "error.page_too_large")


def _at_most(digits: str, maximum: int, too_large: str) -> int:
    """The value of ASCII ``digits``, refused above ``maximum`` without ever
    converting a number too long to be one anybody meant."""
    if len(digits) > NUMBER_DIGITS_MAX:
        raise _too_long(digits, maximum)
    value = int(digits)
    if value > maximum:
        raise UserError(too_large, value=value, maximum=maximum)
    return value


def reason(raw: object) -> str:
    """A reason for the ledger: NUL and control characters removed, spacing
    collapsed, 1 to REASON_MAX characters, storable as UTF-8."""
    text = str(raw or "")
    if has_lone_surrogate(text):
        raise UserError("error.reason_invalid")
    text = " ".join(textnorm.storable(text).split())
    if not text:
        raise UserError("error.reason_missing", maximum=REASON_MAX)
    if len(text) > REASON_MAX:
        raise UserError("error.reason_too_long", length=len(text), maximum=REASON_MAX)
    return text


def platform_user_id(raw: str) -> str | None:
    """A typed account id as stored (ASCII digits, at most PLATFORM_ID_MAX),
    or None when no platform account can have it."""
    text = raw.strip()
    return text if _DIGITS.fullmatch(text.removeprefix("-")) and len(text) <= PLATFORM_ID_MAX else None


def username(raw: str) -> str | None:
    """A typed @handle as stored (no '@', lower case), or None when no
    platform account can have it (empty, too long, or holding control,
    format or unpaired surrogate characters)."""
    text = raw.strip().lstrip("@").lower()
    if not text or len(text) > USERNAME_MAX or not text.isprintable():
        return None
    return text


def link_code(raw: object) -> str:
    text = str(raw).strip().upper()
    if not _CODE.fullmatch(text):
        raise UserError("error.bad_code", value=shown(raw))
    return text
