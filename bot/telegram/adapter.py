"""python-telegram-bot handlers: Telegram updates in, core calls, replies out.

Rules specific to Telegram, by design:
- edited messages earn nothing and change nothing (no double points);
- forwarded messages earn nothing (they are not the member's own words);
- a photo or video earns through its caption; a sticker or media without a
  caption earns nothing;
- commands need a group that is part of a program; in a private chat the bot
  says so (``/start`` there enables private answers);
- a command group (``/ugc approve 7``) is one bot command whose first word is
  the subcommand (``routing``); a command may also be the caption of a photo,
  video or document, whose file is then its attachment (``media``);
- buttons are inline keyboards routed by callback_data alone (``keyboards``,
  ``presses``); chat messages in UGC chats or with a UGC hashtag are also
  captured as content (``capture``);
- a join carries the invite link it came through and how surely that names
  a member's personal link (``attribution``).

Updates arrive through the inbox (``intake``): each core call carries the
update's inbox id so the core marks it done with its effects, and replies go
to the ``outbox`` instead of being awaited here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from typing import Any

import structlog
from telegram import BotCommand, BotCommandScopeAllChatAdministrators, BotCommandScopeDefault, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    MessageReactionHandler,
    filters,
)

from bot.telegram import attribution, capture, keyboards, media, parse, routing
from bot.telegram.intake import Intake
from bot.telegram.moderators import ADMIN_STATUSES, ModeratorCache
from bot.telegram.outbox import Outbox, Outgoing
from bot.telegram.presses import Presses
from handlers.clock import utcnow
from handlers.commands import Permission
from handlers.config_model import Program
from handlers.context import Actor, Context
from handlers.core import Core
from handlers.engagement import IncomingMessage
from handlers.i18n import negotiate, translate
from handlers.replies import Reply

log = structlog.get_logger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "message_reaction", "chat_member", "my_chat_member",
                   "callback_query", "poll_answer"]
PRESENT = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER,
           ChatMemberStatus.RESTRICTED}


class TelegramAdapter:
    def __init__(self, core: Core, intake: Intake, outbox: Outbox) -> None:
        self.core = core
        self.intake = intake
        self.outbox = outbox
        self.moderators = ModeratorCache()
        self.presses = Presses(self)

    def install(self, application: Application) -> None:
        for name in routing.bot_commands():
            application.add_handler(CommandHandler(name, self._command_callback(name), filters.UpdateType.MESSAGE))
        application.add_handler(CommandHandler("start", self.on_start, filters.ChatType.PRIVATE))
        application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & routing.CAPTION_COMMAND,
                                               self.on_caption_command))
        text_like = (filters.TEXT | filters.CAPTION) & ~filters.COMMAND
        files = filters.PHOTO | filters.VIDEO | filters.ANIMATION | filters.Document.ALL
        application.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.UpdateType.MESSAGE &
                                               ~filters.FORWARDED & (text_like | files), self.on_message))
        application.add_handler(CallbackQueryHandler(self.presses.on_press))
        application.add_handler(MessageReactionHandler(self.on_reaction))
        application.add_handler(ChatMemberHandler(self.on_chat_member, ChatMemberHandler.CHAT_MEMBER))
        application.add_handler(ChatMemberHandler(self.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        application.add_error_handler(self.on_error)

    def program_of(self, chat_id: int) -> Program | None:
        return self.core.program_for("telegram", str(chat_id))

    def context(self, program: Program, update: Update, event_id: str, moderator: bool = False) -> Context:
        user, chat = update.effective_user, update.effective_chat
        assert user is not None and chat is not None
        when = (update.effective_message.date if update.effective_message else None) or \
            getattr(update.message_reaction, "date", None) or getattr(update.chat_member, "date", None)
        return Context(program=program, platform="telegram", community_id=str(chat.id),
                       actor=Actor("telegram", str(user.id), user.full_name, user.username),
                       locale=negotiate(user.language_code or program.locale), event_id=event_id,
                       now=when.astimezone(UTC).replace(tzinfo=None) if when else utcnow(),
                       is_moderator=moderator, channel_id=str(chat.id), inbox_id=self.intake.inbox_id(update))

    def _command_callback(self, name: str) -> Any:
        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await self.on_command(update, context, routing.resolve(name, tuple(context.args or ())))

        return callback

    async def on_caption_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = routing.caption_command(update.effective_message) if update.effective_message else None
        if found is not None:
            await self.on_command(update, context, routing.resolve(*found))

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE,
                         found: routing.Invocation | routing.GroupUsage | None) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or chat is None or user is None or found is None:
            return
        locale = negotiate(user.language_code)
        program = self.program_of(chat.id) if chat.type != ChatType.PRIVATE else None
        if program is None:
            key = "error.not_in_community" if chat.type == ChatType.PRIVATE else "error.unconfigured"
            self.outbox.post(Outgoing(chat.id, translate(key, locale), message.message_id, coalesce=True))
            return
        if isinstance(found, routing.GroupUsage):
            self.outbox.post(Outgoing(chat.id, routing.usage(found, locale), message.message_id, coalesce=True))
            return
        spec = found.spec
        moderator = spec.permission is Permission.MODERATOR and \
            await self.moderators.is_moderator(context.bot, program, chat.id, user.id)
        ctx = self.context(program, update, f"{chat.id}:{message.message_id}", moderator)
        upload = await media.command_upload(context.bot, program, spec, message)
        link = media.permalink(media.carrier(message) or message)
        ctx = replace(ctx, extra={"permalink": link}) if link else ctx
        reply = await self.core.command(ctx, spec.name, parse.arguments(spec, message, found.words, upload),
                                        parse.usage(spec))
        self.deliver(context, update, reply, locale, coalesce=spec.permission is Permission.MEMBER or not reply.ok)

    def deliver(self, context: ContextTypes.DEFAULT_TYPE, update: Update, reply: Reply, locale: str,
                coalesce: bool, note: bool = True) -> None:
        """Private replies go by DM when the member has started the bot, with a note in
        the group (unless ``note`` is False: a captured chat message is not answered in
        the group); otherwise the group gets a hint to start the bot. Answers to member
        commands (the same for everyone who asks) are coalesced. Attachments follow the
        text wherever it goes."""
        chat, user, message = update.effective_chat, update.effective_user, update.effective_message
        assert chat is not None and user is not None and message is not None
        if not reply.private:
            self.outbox.post(Outgoing(chat.id, reply.text, message.message_id, coalesce=coalesce,
                                      buttons=keyboards.encode(reply.buttons), attachments=reply.attachments))
            return
        hint = translate("dm.start_bot", locale, bot=context.bot.username)
        self.outbox.post(Outgoing(
            user.id, reply.text, buttons=keyboards.encode(reply.buttons, chat.id),
            attachments=reply.attachments,
            instead=Outgoing(chat.id, hint, message.message_id, coalesce=True),
            then=Outgoing(chat.id, translate("dm.sent", locale), message.message_id, coalesce=True) if note else None))

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if update.effective_chat is not None and user is not None:
            self.outbox.post(Outgoing(update.effective_chat.id, translate("start", negotiate(user.language_code))))

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or chat is None or user is None or user.is_bot:
            return
        program = self.program_of(chat.id)
        if program is None:
            await self._notice_unconfigured(context, chat.id)
            return
        ctx = self.context(program, update, str(message.message_id))
        text = message.text or message.caption or ""
        channel = capture.wanted_channel(self.core, program, message, text)
        if channel is not None:
            reply = await capture.capture(self.core, context.bot, replace(ctx, channel_id=channel), message, text)
            if reply is not None:
                self.deliver(context, update, reply, ctx.locale, coalesce=False, note=False)
            return
        if not text:
            return
        await self.core.message(ctx, IncomingMessage(str(message.message_id), text))
        self.intake.settled(update)

    async def _notice_unconfigured(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
        """Tell the group once, also across restarts, that it earns nothing until configured."""
        if not await self.core.first_notice("telegram", str(chat_id)):
            return
        log.warning("message in a Telegram group that is not in config.yaml", chat=chat_id)
        self.outbox.post(Outgoing(chat_id, translate("error.unconfigured", "en") + f" (chat id {chat_id})"))

    async def on_reaction(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.message_reaction
        if change is None or change.user is None or change.user.is_bot:
            return
        program = self.program_of(change.chat.id)
        if program is None:
            return
        old = {r.to_json() for r in change.old_reaction}
        new = {r.to_json() for r in change.new_reaction}
        changes = [True] * len(new - old) + [False] * len(old - new)
        if not changes:
            return
        ctx = self.context(program, update, f"{change.chat.id}:{change.message_id}:{change.user.id}")
        for added in changes[:-1]:
            await self.core.reaction(replace(ctx, inbox_id=None), str(change.message_id), added)
        await self.core.reaction(ctx, str(change.message_id), changes[-1])
        self.intake.settled(update)

    async def on_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.chat_member
        if change is None:
            return
        if {change.old_chat_member.status, change.new_chat_member.status} & ADMIN_STATUSES:
            self.moderators.forget(change.chat.id)
        program = self.program_of(change.chat.id)
        was, now = change.old_chat_member.status in PRESENT, change.new_chat_member.status in PRESENT
        if program is None or was == now or change.new_chat_member.user.is_bot:
            return
        member = change.new_chat_member.user
        ctx = Context(program=program, platform="telegram", community_id=str(change.chat.id),
                      actor=Actor("telegram", str(member.id), member.full_name, member.username),
                      locale=negotiate(member.language_code), event_id=f"member:{update.update_id}",
                      now=change.date.astimezone(UTC).replace(tzinfo=None), inbox_id=self.intake.inbox_id(update))
        invite = change.invite_link.invite_link if change.invite_link else None
        evidence = attribution.join_evidence(change, context.bot.id) if now else None
        await self.core.membership(ctx, "join" if now else "leave", invite, evidence)
        self.intake.settled(update)

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.my_chat_member is not None:
            self.moderators.forget(update.my_chat_member.chat.id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log it; the update stays pending in the inbox and is tried again."""
        self.intake.failed(update)
        update_id = getattr(update, "update_id", None)
        log.error("telegram handler failed", update_id=update_id, error=repr(context.error),
                  exc_info=context.error)


def command_menu(locale: str, moderator: bool) -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in routing.menu(locale, moderator)]


async def register_commands(application: Application) -> None:
    """setMyCommands from the single declaration, in English and Chinese."""
    bot = application.bot
    for language, locale in ((None, "en"), ("zh", "zh-CN")):
        await bot.set_my_commands(command_menu(locale, False), scope=BotCommandScopeDefault(),
                                  language_code=language)
        await bot.set_my_commands(command_menu(locale, True), scope=BotCommandScopeAllChatAdministrators(),
                                  language_code=language)
