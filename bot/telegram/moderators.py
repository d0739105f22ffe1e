"""Who moderates a Telegram group: its administrators, cached per chat.

The cache is dropped whenever a ``chat_member``/``my_chat_member`` update
shows an administrator status change in that chat, so promotions take effect
at once. A network failure is not taken for "not a moderator": it raises, so
the command stays in the inbox and is tried again rather than refused.
"""

from __future__ import annotations

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import NetworkError, RetryAfter, TelegramError

from handlers.config_model import Program

ADMIN_STATUSES = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


class ModeratorCache:
    def __init__(self) -> None:
        self._admins: dict[int, frozenset[int]] = {}

    def forget(self, chat_id: int) -> None:
        self._admins.pop(chat_id, None)

    async def admins(self, bot: Bot, chat_id: int) -> frozenset[int]:
        if chat_id not in self._admins:
            members = await bot.get_chat_administrators(chat_id)
            self._admins[chat_id] = frozenset(m.user.id for m in members if m.status in ADMIN_STATUSES)
        return self._admins[chat_id]

    async def is_moderator(self, bot: Bot, program: Program, chat_id: int, user_id: int) -> bool:
        if str(user_id) in program.moderator_ids:
            return True
        try:
            return user_id in await self.admins(bot, chat_id)
        except (NetworkError, RetryAfter):
            raise
        except TelegramError:
            return False
