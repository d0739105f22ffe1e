"""Sentiment mix of the demo's messages by platform, language and day."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.tables import Section
from sentiment.labels import LABELS, UNSCORED
from storage.models import Message

COLUMNS = (*LABELS, UNSCORED)
NOTE = "net = (positive - negative) / scored messages"
# The scorer stores ISO 639's "und" (undetermined) for text with no words at all;
# a reader is told what it means rather than shown a code that looks like a language.
NO_WORDS = "none (emoji, links or symbols only)"
PENDING = "not scored yet"


def language_name(code: str | None) -> str:
    if code is None:
        return PENDING
    return NO_WORDS if code == "und" else code


def _section(title: str, counts: dict[str, Counter[str]]) -> Section:
    rows = []
    for key in sorted(counts):
        row = counts[key]
        scored = sum(row[label] for label in LABELS)
        net = f"{(row['positive'] - row['negative']) / scored:+.2f}" if scored else "-"
        rows.append((key, *(str(row[c]) for c in COLUMNS), net))
    return Section(f"Sentiment by {title}", (title, *COLUMNS, "net"), rows, note=NOTE,
                   right=frozenset(range(1, len(COLUMNS) + 2)))


async def build(session: AsyncSession, program_id: str) -> list[Section]:
    rows = (await session.execute(select(Message.platform, Message.language, Message.created_at,
                                         Message.sentiment_label).where(Message.program_id == program_id))).all()
    groups: dict[str, dict[str, Counter[str]]] = {"platform": defaultdict(Counter), "language": defaultdict(Counter),
                                                  "day": defaultdict(Counter)}
    for platform, language, created_at, label in rows:
        label = label or UNSCORED
        groups["platform"][platform][label] += 1
        groups["language"][language_name(language)][label] += 1
        groups["day"][created_at.date().isoformat()][label] += 1
    return [_section(title, counts) for title, counts in groups.items()]
