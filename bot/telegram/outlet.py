"""The core's way out to Telegram when nobody asked: announcements, private notices, invite links.

An announcement goes to the group (the forum topic ``announce_channel`` when
configured) through the outbox, with its buttons as an inline keyboard, so it
queues behind the group's rate limit like any reply. A notice is a private
message; the core needs to know whether it arrived (a member who never
started the bot cannot be messaged first), so ``notify`` waits for Telegram's
answer instead of only queueing it.

A personal invite is a ``createChatInviteLink`` named for the member, asked
for directly (the member waits for the link) through the bot's rate limiter,
which retries it after a 429. Telegram refuses it unless the bot is an
administrator with the right to invite users; that becomes ``InviteRefused``
saying so, and so does any other refusal (the bot was removed), since asking
again would not help.
"""

from __future__ import annotations

from telegram.error import BadRequest, Forbidden

from bot.telegram import keyboards
from bot.telegram.outbox import Outbox, Outgoing
from handlers.config_model import Settings
from handlers.outlets import InviteRefused
from handlers.replies import Button, TierChanged

NAME_MAX = 32  # characters in an invite link's name
NO_RIGHTS = ("not enough rights", "chat_admin_required")


class TelegramOutlet:
    def __init__(self, settings: Settings, outbox: Outbox) -> None:
        self.settings = settings
        self.outbox = outbox

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        found = self.settings.community("telegram", community_id)
        topic = found[1].announce_channel if found is not None else None
        self.outbox.post(Outgoing(int(community_id), text, buttons=keyboards.encode(buttons),
                                  thread_id=int(topic) if topic else None))

    async def notify(self, user_id: str, text: str) -> bool:
        return await self.outbox.send(Outgoing(int(user_id), text))

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
