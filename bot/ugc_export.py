"""``engagebot ugc export``: a program's submissions, one row each, for a brand team.

The author is named as they are now: a member merged by ``/link`` is followed
to the member that holds their accounts, and named by the account on the
platform the content came from. ``community`` is ``platform:id``, the form
``engagebot export`` uses for accounts. Sentiment is that of the submission's
text as the scoring worker stored it on its ``messages`` row (empty while
pending). CSV carries a UTF-8 BOM so that Excel reads Chinese text, and keeps
its header when there is nothing to list; JSON is a list of objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.reports.spreadsheet import write_csv
from storage.models import Identity, Member, Message
from storage.ugc import UgcSubmission

STATUSES = ("approved", "featured", "pending", "rejected")
FIELDS = ("id", "status", "author", "platforms", "community", "channel", "contest", "campaign", "text",
          "media_type", "media_mime", "media_filename", "media_size", "media_sha256", "sentiment_label",
          "p_positive", "p_negative", "permalink", "created_at", "reviewer", "reviewed_at")


async def collect(session: AsyncSession, program_id: str, statuses: Iterable[str]) -> list[dict[str, Any]]:
    """The program's submissions whose status is one of ``statuses``, oldest first."""
    chosen = (UgcSubmission.program_id == program_id) & UgcSubmission.status.in_(tuple(statuses))
    rows = await session.execute(
        select(UgcSubmission, Message.sentiment_label, Message.p_positive, Message.p_negative)
        .outerjoin(Message, Message.id == UgcSubmission.message_id)
        .where(chosen).order_by(UgcSubmission.created_at, UgcSubmission.id))
    accounts = await _accounts(session, chosen)
    return [_row(row.UgcSubmission, row, accounts.get(row.UgcSubmission.member_id, [])) for row in rows]


async def _accounts(session: AsyncSession, chosen: Any) -> dict[int, list[tuple[str, str]]]:
    """(platform, display name) of each author's accounts, oldest account first. Identities
    move to the surviving member on ``/link``, so each author is walked up ``merged_into``
    (in SQL, so a large export needs no long list of ids)."""
    authors = select(UgcSubmission.member_id).where(chosen).distinct().subquery()
    walk = (select(Member.id.label("author"), Member.id.label("at"), Member.merged_into.label("next"))
            .join(authors, authors.c.member_id == Member.id).cte("walk", recursive=True))
    up = aliased(Member)
    walk = walk.union_all(select(walk.c.author, up.id, up.merged_into).join(walk, up.id == walk.c.next))
    rows = await session.execute(
        select(walk.c.author, Identity.platform, Identity.display_name)
        .join(Identity, Identity.member_id == walk.c.at).where(walk.c.next.is_(None))
        .order_by(walk.c.author, Identity.id))
    out: dict[int, list[tuple[str, str]]] = {}
    for author, platform, name in rows:
        out.setdefault(author, []).append((platform, name))
    return out


def _row(item: UgcSubmission, scores: Any, accounts: list[tuple[str, str]]) -> dict[str, Any]:
    here = [name for platform, name in accounts if platform == item.platform]
    names = here or [name for _, name in accounts]
    return {"id": item.id, "status": item.status, "author": names[0] if names else "",
            "platforms": sorted({platform for platform, _ in accounts}),
            "community": f"{item.platform}:{item.community_id}", "channel": item.channel_id,
            "contest": item.contest_id, "campaign": item.campaign, "text": item.text,
            "media_type": item.media_type,
            "media_mime": item.media_mime, "media_filename": item.media_filename,
            "media_size": item.media_size, "media_sha256": item.media_sha256,
            "sentiment_label": scores.sentiment_label, "p_positive": scores.p_positive,
            "p_negative": scores.p_negative, "permalink": item.permalink, "created_at": _iso(item.created_at),
            "reviewer": item.reviewer, "reviewed_at": _iso(item.reviewed_at)}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def write(rows: list[dict[str, Any]], fmt: str, out: Path) -> None:
    """``rows`` to ``out`` as ``csv`` (the platforms in one cell, ``discord;telegram``) or ``json``."""
    if fmt == "json":
        out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        return
    write_csv(out, FIELDS, ({**row, "platforms": ";".join(row["platforms"])} for row in rows))
