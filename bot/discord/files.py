"""The core's attachments as Discord uploads: which files go, and how many per message.

Discord takes at most 10 files in one message and refuses an upload over the
destination's size limit (a guild's depends on its boost tier; DMs and
interactions have their own). A file over the limit is left out with a log
line naming it, so a chart too large never costs the brand team the rest of
the digest; the others go in messages of at most 10 files and at most the
limit in total.
"""

from __future__ import annotations

import io

import discord
import structlog

from handlers.replies import Attachment

log = structlog.get_logger(__name__)
FILES_PER_MESSAGE = 10


def batches(attachments: tuple[Attachment, ...], limit: int, where: str) -> list[tuple[Attachment, ...]]:
    """``attachments`` in sending order, grouped per message; ``where`` names the destination in the
    log line of a file left out."""
    out: list[tuple[Attachment, ...]] = []
    batch: list[Attachment] = []
    size = 0
    for attachment in attachments:
        if len(attachment.data) > limit:
            log.warning("attachment over Discord's upload limit, not sent", file=attachment.filename,
                        bytes=len(attachment.data), limit=limit, where=where)
            continue
        if batch and (len(batch) == FILES_PER_MESSAGE or size + len(attachment.data) > limit):
            out.append(tuple(batch))
            batch, size = [], 0
        batch.append(attachment)
        size += len(attachment.data)
    return [*out, tuple(batch)] if batch else out


def uploads(batch: tuple[Attachment, ...]) -> dict[str, list[discord.File]]:
    """The ``files=`` keyword of one send (fresh ``discord.File`` objects: a sent one is consumed);
    nothing for an empty batch, as the plain JSON send is what Discord gets without files."""
    if not batch:
        return {}
    return {"files": [discord.File(io.BytesIO(a.data), filename=a.filename) for a in batch]}
