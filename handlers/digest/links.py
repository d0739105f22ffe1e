"""Links to a stored chat message, rebuilt from the ids every ``messages`` row keeps.

Chat messages keep no permalink (only UGC submissions do, as the adapter saw
it), but both platforms derive theirs from ids the row already has: Discord
from the guild, channel and message ids; Telegram from a supergroup's id
(``-100...``) and the message id (``t.me/c/...`` opens for the group's
members, public or private). Basic groups have no links, so they get none.
"""

from __future__ import annotations


def message_link(platform: str, community_id: str, channel_id: str, message_id: str) -> str | None:
    """The message's address, or None where the platform has none (or the ids are not a chat message's,
    such as a UGC row's ``ugc:...`` key)."""
    if not message_id.isdigit():
        return None
    if platform == "discord" and community_id.isdigit() and channel_id.isdigit():
        return f"https://discord.com/channels/{community_id}/{channel_id}/{message_id}"
    if platform == "telegram" and community_id.startswith("-100") and community_id[4:].isdigit():
        return f"https://t.me/c/{community_id[4:]}/{message_id}"
    return None
