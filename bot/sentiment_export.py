"""``engagebot sentiment export``: one row per stored message with its sentiment scores.

The brand team's raw material for their own charts: program, platform, time,
language, label and the three class probabilities (empty while a message is
still pending or was unscored). CSV is written as UTF-8 with a byte-order mark
so that Excel opens Chinese text correctly; JSON is a plain list of objects.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reports.spreadsheet import write_csv
from storage.models import Message

FIELDS = ("message_id", "program_id", "platform", "community_id", "channel_id", "platform_message_id", "member_id",
          "created_at", "status", "label", "p_negative", "p_neutral", "p_positive", "language", "model_version")


async def collect(session: AsyncSession, program_id: str, since: datetime | None = None,
                  until: datetime | None = None) -> list[dict[str, Any]]:
    """Messages of ``program_id`` with ``since <= created_at < until`` (naive UTC), oldest first."""
    query = select(Message).where(Message.program_id == program_id)
    if since is not None:
        query = query.where(Message.created_at >= since)
    if until is not None:
        query = query.where(Message.created_at < until)
    rows = await session.scalars(query.order_by(Message.created_at, Message.id))
    return [{"message_id": m.id, "program_id": m.program_id, "platform": m.platform, "community_id": m.community_id,
             "channel_id": m.channel_id, "platform_message_id": m.platform_message_id, "member_id": m.member_id,
             "created_at": m.created_at.isoformat(), "status": m.sentiment_status, "label": m.sentiment_label,
             "p_negative": m.p_negative, "p_neutral": m.p_neutral, "p_positive": m.p_positive,
             "language": m.language, "model_version": m.model_version} for m in rows]


def write(rows: list[dict[str, Any]], fmt: str, out: Path) -> Path:
    """Write ``rows`` to ``out`` as ``csv`` (header even when empty) or ``json``."""
    if fmt == "json":
        out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        return out
    return write_csv(out, FIELDS, rows)
