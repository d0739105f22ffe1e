"""Sentiment mix of the demo's messages by platform, language and day."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment.labels import LABELS, UNSCORED
from storage.models import Message

COLUMNS = (*LABELS, UNSCORED)


def _table(title: str, counts: dict[str, Counter[str]]) -> list[str]:
    lines = [f"### by {title}", "", f"| {title} | " + " | ".join(COLUMNS) + " | net |",
             "|---|" + "---|" * (len(COLUMNS) + 1)]
    for key in sorted(counts):
        row = counts[key]
        scored = sum(row[label] for label in LABELS) or 1
        net = (row["positive"] - row["negative"]) / scored
        lines.append(f"| {key} | " + " | ".join(str(row[c]) for c in COLUMNS) + f" | {net:+.2f} |")
    return [*lines, ""]


async def build(session: AsyncSession) -> str:
    rows = (await session.execute(select(Message.platform, Message.language, Message.created_at,
                                         Message.sentiment_label))).all()
    groups: dict[str, dict[str, Counter[str]]] = {"platform": defaultdict(Counter), "language": defaultdict(Counter),
                                                  "day": defaultdict(Counter)}
    for platform, language, created_at, label in rows:
        label = label or UNSCORED
        groups["platform"][platform][label] += 1
        groups["language"][language or "und"][label] += 1
        groups["day"][created_at.date().isoformat()][label] += 1
    lines = ["## Sentiment mix", "", "net = (positive - negative) / scored messages", ""]
    for title, counts in groups.items():
        lines += _table(title, counts)
    return "\n".join(lines)
