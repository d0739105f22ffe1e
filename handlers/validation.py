"""Parsing of user-typed arguments into safe values, with specific errors."""

from __future__ import annotations

import re

from handlers.errors import UserError

REASON_MAX = 200
_INTEGER = re.compile(r"^[+-]?\d+$")
_CODE = re.compile(r"^[A-Z0-9]{8}$")


def amount(raw: object, maximum: int) -> int:
    """A whole, positive number of points no larger than the program's maximum."""
    text = str(raw).strip().replace(",", "").replace("_", "")
    if not _INTEGER.match(text):
        raise UserError("error.amount_not_integer", value=str(raw)[:40])
    value = int(text)
    if value < 1:
        raise UserError("error.amount_not_positive", value=value)
    if value > maximum:
        raise UserError("error.amount_too_large", value=value, maximum=maximum)
    return value


def reason(raw: object) -> str:
    text = " ".join(str(raw or "").split())
    if not text:
        raise UserError("error.reason_missing", maximum=REASON_MAX)
    if len(text) > REASON_MAX:
        raise UserError("error.reason_too_long", length=len(text), maximum=REASON_MAX)
    return text


def page(raw: object) -> int:
    if raw is None or str(raw).strip() == "":
        return 1
    text = str(raw).strip()
    if not _INTEGER.match(text) or int(text) < 1 or int(text) > 100_000:
        raise UserError("error.page", value=text[:40])
    return int(text)


def link_code(raw: object) -> str:
    text = str(raw).strip().upper()
    if not _CODE.match(text):
        raise UserError("error.bad_code", value=str(raw)[:40])
    return text
