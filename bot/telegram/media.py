"""Telegram photos, videos and documents -> ``handlers.media.Upload``.

A Telegram file can only be fetched with the bot token, so the bot fetches
it once (``getFile``, then the file URL) before the core's unit of work
opens. The size Telegram announces is checked against the program's limit
first: a file over it is never downloaded, and the core refuses it naming
the limit. A photo arrives in several sizes; the largest is the content.

With ``/submit`` as a reply, the media comes from the replied-to message, but
only from the member's own message: a member cannot submit, or consent for,
someone else's picture.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, Message
from telegram.constants import ChatType

from handlers.command_types import ArgType, Command
from handlers.config_model import Program
from handlers.media import Upload


@dataclass(frozen=True)
class Attachment:
    """One file a message carries, as Telegram describes it before download."""

    file_id: str
    filename: str
    content_type: str
    size: int | None


def max_bytes(program: Program) -> int:
    return program.ugc.max_media_bytes


def attachment(message: Message) -> Attachment | None:
    """The file a message carries: the largest photo size, a video, an animation or a document."""
    if message.photo:
        photo = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return Attachment(photo.file_id, f"photo-{photo.file_unique_id}.jpg", "image/jpeg", photo.file_size)
    for media, default_type, extension in ((message.video, "video/mp4", "mp4"),
                                           (message.animation, "video/mp4", "mp4"),
                                           (message.document, "application/octet-stream", "bin")):
        if media is not None:
            name = media.file_name or f"file-{media.file_unique_id}.{extension}"
            return Attachment(media.file_id, name, media.mime_type or default_type, media.file_size)
    return None


def carrier(message: Message) -> Message | None:
    """The message whose file a command submits: its own, or the member's own replied-to message."""
    if attachment(message) is not None:
        return message
    replied = message.reply_to_message
    if replied is not None and attachment(replied) is not None and replied.from_user is not None and \
            message.from_user is not None and replied.from_user.id == message.from_user.id:
        return replied
    return None


async def download(bot: Bot, found: Attachment, limit: int) -> Upload:
    """The file's bytes, or ``data=None`` when it is over ``limit`` (then nothing is fetched)."""
    if found.size is not None and found.size > limit:
        return Upload(found.filename, found.content_type, found.size, None)
    file = await bot.get_file(found.file_id)
    size = file.file_size if file.file_size is not None else found.size
    if size is not None and size > limit:
        return Upload(found.filename, found.content_type, size, None)
    data = bytes(await file.download_as_bytearray())
    if len(data) > limit:
        return Upload(found.filename, found.content_type, len(data), None)
    return Upload(found.filename, found.content_type, len(data), data)


async def uploads(bot: Bot, program: Program, message: Message | None) -> tuple[Upload, ...]:
    """What ``message`` carries, downloaded (empty when it carries no file)."""
    found = attachment(message) if message is not None else None
    return (await download(bot, found, max_bytes(program)),) if found is not None else ()


async def command_upload(bot: Bot, program: Program, spec: Command, message: Message) -> Upload | None:
    """The file for a command's attachment argument, downloaded; None for a command without one
    or a message that carries no file."""
    if not any(arg.type is ArgType.ATTACHMENT for arg in spec.args):
        return None
    source = carrier(message)
    found = attachment(source) if source is not None else None
    return await download(bot, found, max_bytes(program)) if found is not None else None


def permalink(message: Message) -> str | None:
    """A t.me link to the message: ``t.me/<username>/<id>`` for a public supergroup,
    ``t.me/c/<internal id>/<id>`` for a private one; None where Telegram has no links
    (basic groups, private chats)."""
    chat = message.chat
    if chat.type not in (ChatType.SUPERGROUP, ChatType.CHANNEL):
        return None
    if chat.username:
        return f"https://t.me/{chat.username}/{message.message_id}"
    internal = str(chat.id).removeprefix("-100")
    return f"https://t.me/c/{internal}/{message.message_id}"
