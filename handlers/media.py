"""A file a member sent with a command, as the core sees it on any platform.

The adapter downloads the bytes (a Discord attachment URL is signed and
expires; a Telegram file needs the bot token) before the unit of work opens,
so no database lock is held during a download. A file larger than the
program's limit is not downloaded at all: ``data`` is None and the core
refuses it naming the limit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    size: int
    data: bytes | None

    @property
    def kind(self) -> str:
        """'image', 'video' or 'document', from the MIME type."""
        major = self.content_type.partition("/")[0]
        return major if major in ("image", "video") else "document"
