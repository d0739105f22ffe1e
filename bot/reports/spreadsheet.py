"""CSV the way brand teams open it: in Excel.

UTF-8 with a BOM, so Excel reads Chinese names and emoji rather than
guessing a code page; a header even when there are no rows; and text that a
spreadsheet would run as a formula (a member named ``=HYPERLINK(...)``, a
message starting with ``@`` or ``+``) is prefixed with ``'``, the OWASP
advice against CSV injection. Numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(path: Path, fields: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows({key: cell(value) for key, value in row.items()} for row in rows)
    return path
