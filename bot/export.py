"""``engagebot export``: a program's members, balances and ledger as CSV or JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Balance, Identity, LedgerEntry


async def _members(session: AsyncSession, program_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Balance.member_id, Balance.balance, Balance.lifetime, Identity.platform, Identity.platform_user_id,
               Identity.display_name)
        .join(Identity, Identity.member_id == Balance.member_id)
        .where(Balance.program_id == program_id).order_by(Balance.member_id, Identity.platform))
    return [dict(r._mapping) for r in rows]


async def _ledger(session: AsyncSession, program_id: str) -> list[dict[str, Any]]:
    rows = await session.scalars(select(LedgerEntry).where(LedgerEntry.program_id == program_id)
                                 .order_by(LedgerEntry.seq))
    fields = ("seq", "member_id", "delta", "lifetime_delta", "reason", "reference", "idempotency_key", "actor",
              "note", "created_at", "prev_hash", "hash")
    return [{f: (getattr(r, f).isoformat() if f == "created_at" else getattr(r, f)) for f in fields} for r in rows]


async def collect(session: AsyncSession, program_id: str) -> dict[str, list[dict[str, Any]]]:
    return {"members": await _members(session, program_id), "ledger": await _ledger(session, program_id)}


def write(data: dict[str, list[dict[str, Any]]], program_id: str, fmt: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        path = out / f"{program_id}.json"
        path.write_text(json.dumps({"program": program_id, **data}, ensure_ascii=False, indent=1), encoding="utf-8")
        return [path]
    paths = []
    for name, rows in data.items():
        path = out / f"{program_id}-{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["empty"])
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths
