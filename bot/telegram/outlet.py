"""The core's way out to Telegram when nobody asked: announcements, reports, private notices, invites.

An announcement goes to the group (the forum topic ``announce_channel`` when
configured) through the outbox, with its buttons as an inline keyboard, so it
queues behind the group's rate limit like any reply. A notice is a private
message; the core needs to know whether it arrived (a member who never
started the bot cannot be messaged first), so ``notify`` waits for Telegram's
answer instead of only queueing it; its buttons carry the program's group
(``keyboards.encode``), so a press in the private chat runs in that program.

A report (a digest) goes to the group, a forum topic of it or another chat
(a brand team's private group), its text then its files, through the outbox
too; ``deliver`` waits until all of it was taken and raises when it was not,
so the core counts only reports that arrived.

A personal invite is a ``createChatInviteLink`` named for the member, asked
for directly (the member waits for the link) through the bot's rate limiter,
which retries it after a 429. Telegram refuses it unless the bot is an
administrator with the right to invite users; that becomes ``InviteRefused``
saying so, and so does any other refusal (the bot was removed), since asking
again would not help.
"""

from __future__ import annotations

import structlog
from telegram.error import BadRequest, Forbidden

from bot.telegram import keyboards
from bot.telegram.outbox import Outbox, Outgoing
from handlers.config_model import Settings
from handlers.outlets import InviteRefused
from handlers.replies import Attachment, Button, TierChanged

log = structlog.get_logger(__name__)
NAME_MAX = 32  # characters in an invite link's name
NO_RIGHTS = ("not enough rights", "chat_admin_required")


class DeliveryFailed(Exception):
    """The outbox reported a report's text or one of its files as refused or failed (logged there)."""


class TelegramOutlet:
    def __init__(self, settings: Settings, outbox: Outbox) -> None:
        self.settings = settings
        self.outbox = outbox

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        found = self.settings.community("telegram", community_id)
        topic = found[1].announce_channel if found is not None else None
        self.outbox.post(Outgoing(int(community_id), text, buttons=keyboards.encode(buttons),
                                  thread_id=int(topic) if topic else None))

    async def notify(self, user_id: str, text: str, buttons: tuple[Button, ...] = (),
                     program_id: str | None = None) -> bool:
        """Buttons need a group of ``program_id`` to route their presses; without one the notice is
        reported undelivered, so the core tries the member's other accounts."""
        group = self._group(program_id) if buttons else None
        if buttons and group is None:
            log.warning("private message with buttons not sent: its program has no Telegram group",
                        user=user_id, program=program_id)
            return False
        return await self.outbox.send(Outgoing(int(user_id), text, buttons=keyboards.encode(buttons, group)))

    def _group(self, program_id: str | None) -> int | None:
        program = next((p for p in self.settings.programs if p.id == program_id), None)
        groups = [int(c.id) for c in program.communities if c.platform == "telegram"] if program else []
        return groups[0] if groups else None

    async def deliver(self, community_id: str, channel_id: str | None, text: str,
                      attachments: tuple[Attachment, ...] = ()) -> None:
        """``channel_id``: a forum topic of the group, or another chat's id (negative); None is the
        announcement topic, else the group itself."""
        if channel_id is None:
            found = self.settings.community("telegram", community_id)
            channel_id = found[1].announce_channel if found is not None else None
        chat, topic = int(community_id), None
        if channel_id is not None:
            chat, topic = (int(channel_id), None) if int(channel_id) < 0 else (chat, int(channel_id))
        if not await self.outbox.send(Outgoing(chat, text, thread_id=topic, attachments=attachments)):
            raise DeliveryFailed(f"Telegram did not take the whole report in chat {chat}")

    async def sync_tier(self, event: TierChanged) -> None:
        """Telegram groups have no roles to hold: a tier shows in /points and /profile only."""

    async def create_invite(self, community_id: str, name: str) -> str:
        try:
            link = await self.outbox.bot.create_chat_invite_link(int(community_id), name=name[:NAME_MAX])
        except BadRequest as exc:
            if any(marker in exc.message.lower() for marker in NO_RIGHTS):
                raise InviteRefused("the bot is not an administrator of this group with the right to invite "
                                    "users via link") from exc
            raise InviteRefused(f"Telegram refused to create an invite link ({exc.message})") from exc
        except Forbidden as exc:
            raise InviteRefused(f"the bot cannot act in this group ({exc.message})") from exc
        return link.invite_link
