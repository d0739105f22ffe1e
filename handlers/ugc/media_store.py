"""The content-addressed media folder: one file per distinct content, named by its sha256.

A submission's file is ``<media_dir>/<sha256[:2]>/<sha256><ext>`` with the
extension taken from its MIME type, so the same bytes always land at the same
path (storing them twice is harmless) and an export finds a submission's file
from its row alone (``relative_path``). A file is written to a temporary name
in the target folder, flushed to disk and renamed into place: a crash leaves
either no file or the whole file under the final name, never part of one.

The core opens every unit of work with its store in ``session.info`` (as the
database does with the ledger key), so a use case deep in a command finds it
without the command table passing it around.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
SESSION_KEY = "ugc_media_store"
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
               "video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm",
               "application/pdf": ".pdf"}


def extension(mime: str) -> str:
    """A fixed extension for the common types (browsers opening the gallery from disk go by it)."""
    return _EXTENSIONS.get(mime) or mimetypes.guess_extension(mime, strict=False) or ".bin"


def relative_path(sha256: str, mime: str) -> PurePosixPath:
    """Where a file lives inside the media folder, from what its submission row records."""
    return PurePosixPath(sha256[:2], sha256 + extension(mime))


class MediaStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str, mime: str) -> Path:
        return self.root / relative_path(sha256, mime)

    async def save(self, sha256: str, mime: str, data: bytes) -> Path:
        """Store the bytes under their hash (off the event loop); a file already there is kept."""
        return await asyncio.to_thread(_write, self.path(sha256, mime), data)


def _write(target: Path, data: bytes) -> Path:
    if target.is_file() and target.stat().st_size == len(data):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def attached(use_case: Callable[[AsyncSession], Awaitable[T]],
             store: MediaStore) -> Callable[[AsyncSession], Awaitable[T]]:
    """``use_case`` run with ``store`` reachable through ``of(session)``."""

    async def run(session: AsyncSession) -> T:
        session.info[SESSION_KEY] = store
        return await use_case(session)

    return run


def of(session: AsyncSession) -> MediaStore:
    store = session.info.get(SESSION_KEY)
    if not isinstance(store, MediaStore):
        raise RuntimeError("this unit of work was not opened by the core, which attaches the media store")
    return store
