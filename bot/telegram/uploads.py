"""The core's attachments as Telegram uploads: PNG charts as photos, everything else as documents.

Charts are shown inline: one PNG is a photo, several go as albums of up to
10 (``sendMediaGroup``). Other files (the HTML report) are documents, which
Telegram keeps byte for byte. The Bot API takes photos up to 10 MB and
documents up to 50 MB; a PNG over the photo limit goes as a document, and a
file over the document limit is left out with a log line naming it. Each
upload that fails is logged and the others still go; the caller learns
whether all of them went.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from telegram import Bot, InputMediaPhoto
from telegram.error import TelegramError

from handlers.replies import Attachment

log = structlog.get_logger(__name__)

PHOTO_BYTES = 10 * 1024 * 1024
DOCUMENT_BYTES = 50 * 1024 * 1024
ALBUM_MAX = 10


def _sorted(attachments: tuple[Attachment, ...]) -> tuple[list[Attachment], list[Attachment]]:
    """(photos, documents) in their given order, without the files Telegram would refuse."""
    photos: list[Attachment] = []
    documents: list[Attachment] = []
    for attachment in attachments:
        size = len(attachment.data)
        if size > DOCUMENT_BYTES:
            log.warning("attachment over Telegram's upload limit, not sent", file=attachment.filename,
                        bytes=size, limit=DOCUMENT_BYTES)
        elif attachment.media_type == "image/png" and size <= PHOTO_BYTES:
            photos.append(attachment)
        else:
            documents.append(attachment)
    return photos, documents


async def send(bot: Bot, chat_id: int, attachments: tuple[Attachment, ...], *, thread_id: int | None = None,
               reply_to: int | None = None) -> bool:
    """Upload ``attachments`` to the chat (in the forum topic ``thread_id``, replying to ``reply_to``);
    True when every upload tried was taken (a file left out for its size does not count against it)."""
    photos, documents = _sorted(attachments)
    where: dict[str, Any] = {"message_thread_id": thread_id, "reply_to_message_id": reply_to,
                             "allow_sending_without_reply": True}
    calls: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
    for start in range(0, len(photos), ALBUM_MAX):
        album = photos[start:start + ALBUM_MAX]
        if len(album) == 1:
            calls.append((album[0].filename, _photo(bot, chat_id, album[0], where)))
        else:
            calls.append((", ".join(a.filename for a in album), _album(bot, chat_id, album, where)))
    calls += [(d.filename, _document(bot, chat_id, d, where)) for d in documents]
    delivered = True
    for name, call in calls:
        try:
            await call()
        except TelegramError as exc:
            log.warning("telegram upload failed", chat=chat_id, file=name, error=repr(exc))
            delivered = False
    return delivered


def _photo(bot: Bot, chat_id: int, photo: Attachment, where: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
    return lambda: bot.send_photo(chat_id, photo.data, filename=photo.filename, **where)


def _album(bot: Bot, chat_id: int, album: list[Attachment],
           where: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
    media = [InputMediaPhoto(a.data, filename=a.filename) for a in album]
    return lambda: bot.send_media_group(chat_id, media, **where)


def _document(bot: Bot, chat_id: int, document: Attachment,
              where: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
    return lambda: bot.send_document(chat_id, document.data, filename=document.filename, **where)
