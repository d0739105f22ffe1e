"""``engagebot sentiment export``: one row per stored message with its sentiment scores.

The brand team's raw material for their own charts: program, community,
channel, author, time, language, label, the label's probability (``score``),
the three class probabilities (empty while a message is still pending or was
unscored) and the text (empty where none is kept). ``engagebot export``
writes the same rows next to its members export (``bot.export``). CSV is
written as UTF-8 with a byte-order mark so that Excel opens Chinese text
correctly, with formula-like cells neutralised (``bot.reports.spreadsheet``);
JSON is a plain list of objects.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reports.spreadsheet import write_csv
from storage import members
from storage.models import Member, Message

FIELDS = ("message_id", "program_id", "platform", "community_id", "channel_id", "platform_message_id", "member_id",
          "author", "created_at", "status", "label", "score", "p_negative", "p_neutral", "p_positive", "language",
          "model_version", "text")
LABELS = ("negative", "neutral", "positive")


async def collect(session: AsyncSession, program_id: str, since: datetime | None = None,
                  until: datetime | None = None) -> list[dict[str, Any]]:
    """Messages of ``program_id`` with ``since <= created_at < until`` (naive UTC), oldest first; ``text`` is
    None where no text is kept (a media-only message, or one whose text was removed)."""
    query = select(Message, members.holder_name()).join(Member, Member.id == Message.member_id) \
        .where(Message.program_id == program_id)
    if since is not None:
        query = query.where(Message.created_at >= since)
    if until is not None:
        query = query.where(Message.created_at < until)
    rows = await session.execute(query.order_by(Message.created_at, Message.id))
    return [{"message_id": m.id, "program_id": m.program_id, "platform": m.platform, "community_id": m.community_id,
             "channel_id": m.channel_id, "platform_message_id": m.platform_message_id, "member_id": m.member_id,
             "author": author, "created_at": m.created_at.isoformat(), "status": m.sentiment_status,
             "label": m.sentiment_label, "score": _score(m), "p_negative": m.p_negative, "p_neutral": m.p_neutral,
             "p_positive": m.p_positive, "language": m.language, "model_version": m.model_version,
             "text": m.text or None} for m, author in rows.tuples()]


def naive_utc(moment: datetime | None) -> datetime | None:
    """Stored times are naive UTC: an aware bound is converted, a naive one is taken as UTC."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _score(message: Message) -> float | None:
    """The model's probability of the label it gave; None while pending or when unscored."""
    if message.sentiment_label not in LABELS:
        return None
    return getattr(message, f"p_{message.sentiment_label}")


def write(rows: list[dict[str, Any]], fmt: str, out: Path) -> Path:
    """Write ``rows`` to ``out`` as ``csv`` (header even when empty) or ``json``."""
    if fmt == "json":
        out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        return out
    return write_csv(out, FIELDS, rows)
