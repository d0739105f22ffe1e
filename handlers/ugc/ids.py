"""Numbers typed after a UGC command: a submission's or a contest's number."""

from __future__ import annotations

import re

from handlers import validation
from handlers.errors import UserError

ID_MAX = validation.RECORD_ID_MAX
_NUMBER = re.compile(r"#?([0-9]{1,16})", re.ASCII)


def number(raw: object, error_key: str) -> int:
    """A whole number from 1 up, in ASCII digits, with an optional leading '#' (members copy "#12"
    from replies); anything else is refused with ``error_key``, quoting what was typed."""
    match = _NUMBER.fullmatch(str(raw).strip())
    if match is None or not 0 < int(match.group(1)) <= ID_MAX:
        raise UserError(error_key, value=validation.shown(raw))
    return int(match.group(1))
