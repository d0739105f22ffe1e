"""Discord attachments -> ``handlers.media.Upload``.

An attachment URL is signed and expires, so the bytes are fetched once, now,
before the core's unit of work opens (no database lock is held while a file
downloads). Discord reports each attachment's size and type up front, so a
file the core will refuse (over the program's limit, or of a type it does
not keep) is never downloaded: its ``Upload`` carries ``data=None`` and the
core refuses it naming the limit or the type, which it checks before the data.
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

from handlers.config_model import Program
from handlers.media import Upload
from handlers.ugc.draft import accepted

_UNKNOWN_TYPE = "application/octet-stream"


def _wanted(attachment: discord.Attachment, program: Program) -> bool:
    mime = (attachment.content_type or _UNKNOWN_TYPE).partition(";")[0].strip().lower()
    return attachment.size <= program.ugc.max_media_bytes and accepted(program.ugc.media_types, mime)


def downloads(values: Iterable[object], program: Program) -> bool:
    """Whether any of these values is an attachment that will be downloaded."""
    return any(isinstance(v, discord.Attachment) and _wanted(v, program) for v in values)


async def upload(attachment: discord.Attachment, program: Program) -> Upload:
    """The attachment as the core takes it; the bytes only when the core can keep them."""
    data = await attachment.read() if _wanted(attachment, program) else None
    return Upload(attachment.filename, attachment.content_type or _UNKNOWN_TYPE, attachment.size, data)


async def uploads(attachments: Iterable[discord.Attachment], program: Program) -> tuple[Upload, ...]:
    return tuple([await upload(a, program) for a in attachments])
