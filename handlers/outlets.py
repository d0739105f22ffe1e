"""How the core reaches people outside a reply: announcements and private notices.

A reply answers the person who acted, on their platform. Scheduled work (a
contest starting or ending) has nobody to answer, and a notice (your
submission was approved) may be for an account on the other platform; so
each running adapter attaches an ``Outlet`` to the core, and the core sends
through the outlet of the platform it needs.
"""

from __future__ import annotations

from typing import Protocol

from handlers.replies import Attachment, Button, TierChanged


class InviteRefused(Exception):
    """The platform would not create an invite (the bot lacks the right); ``reason`` says which right."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Outlet(Protocol):
    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        """Post ``text`` in the community's announcement channel (``Community.announce_channel``,
        else the platform's default: Discord's system channel, the Telegram group itself)."""

    async def notify(self, user_id: str, text: str, buttons: tuple[Button, ...] = (),
                     program_id: str | None = None) -> bool:
        """Send ``text`` privately to one account, with ``buttons`` whose presses run in ``program_id``;
        False when the platform refuses (DMs closed, the member never started the bot)."""

    async def deliver(self, community_id: str, channel_id: str | None, text: str,
                      attachments: tuple[Attachment, ...] = ()) -> None:
        """Post ``text`` and then ``attachments`` (images as images, other files as documents) in one
        channel of the community: a brand team's report channel, the moderators' alert channel;
        ``None`` means the announcement channel."""

    async def sync_tier(self, event: TierChanged) -> None:
        """A member's tier changed outside any reply (a prize paid by a timed job): bring the
        platform's view up to date (Discord tier roles; nothing on Telegram)."""

    async def create_invite(self, community_id: str, name: str) -> str:
        """A new personal invite link into the community, labelled ``name`` (Telegram: the link's
        name; Discord: a unique invite in ``Community.invite_channel``). Raises ``InviteRefused``."""

