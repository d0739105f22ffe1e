"""Core buttons <-> Telegram inline keyboards, routed by callback_data alone.

A button's callback_data is the core's action string (``vote:42``), so a
press needs no state kept in the bot: it works after a restart, on a message
sent a week ago. A press in a group belongs to that group's program. A press
in a private chat has no group, so buttons sent privately carry their
community in front: ``<chat id>|<action>``. Telegram refuses callback_data
over 64 bytes; a button whose data would be longer is left off (and logged)
rather than failing the whole message.
"""

from __future__ import annotations

import structlog
from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatType

from handlers.replies import Button

log = structlog.get_logger(__name__)

CALLBACK_DATA_BYTES = 64
Keys = tuple[tuple[str, str], ...]


def encode(buttons: tuple[Button, ...], community: int | None = None) -> Keys:
    """``(label, callback_data)`` pairs; ``community`` is set for a keyboard sent in a private chat."""
    keys = []
    for button in buttons:
        data = button.action if community is None else f"{community}|{button.action}"
        if len(data.encode()) > CALLBACK_DATA_BYTES:
            log.warning("button left off: callback_data over 64 bytes", action=button.action)
            continue
        keys.append((button.label, data))
    return tuple(keys)


# Labels this short (an NPS score "0".."10", an emoji) share a row, up to SHORT_PER_ROW a row.
SHORT_LABEL = 3
SHORT_PER_ROW = 6


def markup(keys: Keys) -> InlineKeyboardMarkup | None:
    """One button per row, so labels such as "Vote for #12 (alice)" stay readable on a phone; a
    keyboard of only very short labels (a 0-10 scale) is packed into rows instead of a tall list."""
    if not keys:
        return None
    buttons = [InlineKeyboardButton(label, callback_data=data) for label, data in keys]
    per_row = SHORT_PER_ROW if all(len(label) <= SHORT_LABEL for label, _ in keys) else 1
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


def decode(data: str | None, chat: Chat | None) -> tuple[int, str] | None:
    """``(community chat id, action)`` of a press; None for data this bot did not send."""
    if not data or chat is None:
        return None
    if chat.type != ChatType.PRIVATE:
        return chat.id, data
    community, sep, action = data.partition("|")
    if not sep or not action:
        return None
    try:
        return int(community), action
    except ValueError:
        return None
