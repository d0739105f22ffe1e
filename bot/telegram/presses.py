"""Inline keyboard presses -> ``Core.action``, answered with a toast or an alert.

Routing is by callback_data alone (``keyboards``), so a button keeps working
after a restart. A press comes through the inbox like any update and its
action marks it done in its own unit of work. Telegram shows at most 200
characters in the answer to a press; a longer reply, or one with buttons or
attachments of its own, is also sent as a message (privately when the reply is private).
Telegram forgets a press after about 15 seconds, so answering a press replayed
from the inbox after a restart fails; the action has run by then, so that
failure is only logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from telegram import CallbackQuery, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.telegram import keyboards
from bot.telegram.outbox import Outgoing
from handlers import actions
from handlers.clock import utcnow
from handlers.commands import Permission
from handlers.context import Actor, Context
from handlers.i18n import negotiate, translate
from handlers.replies import Reply

if TYPE_CHECKING:
    from bot.telegram.adapter import TelegramAdapter

log = structlog.get_logger(__name__)

ANSWER_CHARS = 200


class Presses:
    def __init__(self, adapter: TelegramAdapter) -> None:
        self.adapter = adapter

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        user, message = query.from_user, query.message
        chat = message.chat if message is not None else None
        routed = keyboards.decode(query.data, chat)
        program = self.adapter.program_of(routed[0]) if routed is not None else None
        if routed is None or program is None:
            await _answer(query, Reply(translate("error.unknown_action", negotiate(user.language_code)), ok=False))
            return
        community, action = routed
        spec = actions.BY_NAME.get(actions.parse(action)[0])
        moderator = spec is not None and spec.permission is Permission.MODERATOR and \
            await self.adapter.moderators.is_moderator(context.bot, program, community, user.id)
        ctx = Context(program=program, platform="telegram", community_id=str(community),
                      actor=Actor("telegram", str(user.id), user.full_name, user.username),
                      locale=negotiate(user.language_code or program.locale), event_id=f"callback:{query.id}",
                      now=utcnow(), is_moderator=moderator, channel_id=str(community),
                      inbox_id=self.adapter.intake.inbox_id(update))
        reply = await self.adapter.core.action(ctx, action)
        await _answer(query, reply)
        if len(reply.text) > ANSWER_CHARS or reply.buttons or reply.attachments:
            self._send(query, reply, community, ctx.locale, context.bot.username)

    def _send(self, query: CallbackQuery, reply: Reply, community: int, locale: str, bot_name: str) -> None:
        """The whole reply as a message: privately (with a hint in the group if the member never
        started the bot), or under the pressed message."""
        message, user = query.message, query.from_user
        in_private = message is None or message.chat.type == ChatType.PRIVATE
        if reply.private or in_private:
            hint = Outgoing(community, translate("dm.start_bot", locale, bot=bot_name), coalesce=True)
            self.adapter.outbox.post(Outgoing(user.id, reply.text, buttons=keyboards.encode(reply.buttons, community),
                                              instead=None if in_private else hint,
                                              attachments=reply.attachments))
            return
        assert message is not None
        self.adapter.outbox.post(Outgoing(message.chat.id, reply.text, message.message_id,
                                          buttons=keyboards.encode(reply.buttons),
                                          attachments=reply.attachments))


async def _answer(query: CallbackQuery, reply: Reply) -> None:
    text = reply.text if len(reply.text) <= ANSWER_CHARS else reply.text[: ANSWER_CHARS - 1] + "…"
    try:
        await query.answer(text, show_alert=not reply.ok)
    except TelegramError as exc:
        log.info("telegram button press not answered (too old or gone)", query=query.id, error=repr(exc))
