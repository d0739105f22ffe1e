"""Replies out: queued per chat and drained by the rate limiter, never awaited by ingestion.

A Telegram group accepts about 20 bot messages a minute. Handlers only post
to the outbox and return, so a throttled reply cannot delay anyone's points;
each chat has its own queue and sender, so one throttled group does not delay
another or a member's private answers.

Public replies that say the same thing (``/leaderboard`` asked sixty times,
"sent you a private message") are marked ``coalesce``: one identical to a
reply still queued in that chat, or sent there within ``window`` seconds, is
dropped, so the burst is answered once. Buttons are part of what a reply says:
the same text with other buttons is another reply.

``send`` is for a sender that must know the outcome (a private notice the
core reports as delivered or not): it queues like ``post`` and waits until
Telegram took or refused the message.

A message's ``attachments`` (charts, a report) go right after its text, in
the same chat, topic and reply thread, through the same queue
(``bot.telegram.uploads``); with attachments, ``send`` reports True only once
the text and every file were taken.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import structlog
from telegram import Bot
from telegram.error import Forbidden, TelegramError
from telegram.ext import AIORateLimiter

from bot.telegram import keyboards, uploads
from handlers.replies import Attachment

log = structlog.get_logger(__name__)

THROTTLED_PREFIXES = ("send", "copy", "forward", "edit")
# Limited by Telegram on their own account, not from a group's message budget: retried after a 429 only.
RETRIED_ONLY = ("createChatInviteLink",)


@dataclass(frozen=True)
class Outgoing:
    """One message to send. ``instead`` goes out if the chat refuses us (a member who
    never started the bot); ``then`` goes out once this one was delivered. ``buttons``
    are ``(label, callback_data)`` pairs (``keyboards.encode``); ``thread_id`` is a
    forum topic. ``report`` learns whether Telegram took the message (and its ``attachments``)."""

    chat_id: int
    text: str
    reply_to: int | None = None
    coalesce: bool = False
    instead: Outgoing | None = None
    then: Outgoing | None = None
    buttons: keyboards.Keys = ()
    thread_id: int | None = None
    attachments: tuple[Attachment, ...] = field(default=(), repr=False)
    report: asyncio.Future[bool] | None = field(default=None, compare=False, repr=False)

    @property
    def identity(self) -> tuple[int, int | None, str, keyboards.Keys, tuple[Attachment, ...]]:
        """What two replies must share to be the same reply."""
        return self.chat_id, self.thread_id, self.text, self.buttons, self.attachments


class Outbox:
    def __init__(self, bot: Bot, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.bot = bot
        self.window = window
        self.clock = clock
        self.sent = 0
        self.coalesced = 0
        self._queues: dict[int, deque[Outgoing]] = {}
        self._senders: dict[int, asyncio.Task[None]] = {}
        self._recent: dict[tuple[int, int | None, str, keyboards.Keys, tuple[Attachment, ...]], float] = {}

    def post(self, out: Outgoing) -> bool:
        """Queue ``out``; False when an identical public reply makes it unnecessary."""
        if out.coalesce and (self._sent_lately(out) or self._queued(out)):
            self.coalesced += 1
            return False
        self._queues.setdefault(out.chat_id, deque()).append(out)
        if out.chat_id not in self._senders:
            self._senders[out.chat_id] = asyncio.create_task(self._drain(out.chat_id),
                                                             name=f"telegram-outbox:{out.chat_id}")
        return True

    async def send(self, out: Outgoing) -> bool:
        """Queue ``out`` behind what the chat already has queued; True once Telegram took it,
        False if it was refused, failed or dropped at shutdown."""
        report: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.post(replace(out, coalesce=False, report=report))
        return await report

    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())

    async def close(self, grace: float) -> None:
        """Give queued replies ``grace`` seconds to go out, then drop the rest."""
        senders = list(self._senders.values())
        if senders:
            await asyncio.wait(senders, timeout=grace)
        for task in senders:
            task.cancel()
        for queue in self._queues.values():
            for out in queue:
                _report(out, False)
        if self.pending():
            log.info("telegram replies dropped at shutdown", count=self.pending())

    def _queued(self, out: Outgoing) -> bool:
        return any(q.coalesce and q.identity == out.identity for q in self._queues.get(out.chat_id, ()))

    def _sent_lately(self, out: Outgoing) -> bool:
        now = self.clock()
        for key in [k for k, at in self._recent.items() if now - at > self.window]:
            del self._recent[key]
        return out.identity in self._recent

    async def _drain(self, chat_id: int) -> None:
        queue = self._queues[chat_id]
        try:
            while queue:
                await self._send(queue[0])
                queue.popleft()
        finally:
            self._senders.pop(chat_id, None)
            if not queue:
                self._queues.pop(chat_id, None)

    async def _send(self, out: Outgoing) -> None:
        try:
            await self.bot.send_message(out.chat_id, out.text, reply_to_message_id=out.reply_to,
                                        allow_sending_without_reply=True, message_thread_id=out.thread_id,
                                        reply_markup=keyboards.markup(out.buttons))
        except Forbidden as exc:
            _report(out, False)
            if out.instead is not None:
                self.post(out.instead)
            else:
                log.warning("telegram send refused", chat=out.chat_id, error=repr(exc))
            return
        except TelegramError as exc:
            _report(out, False)
            log.warning("telegram send failed", chat=out.chat_id, error=repr(exc))
            return
        self.sent += 1
        files_sent = await uploads.send(self.bot, out.chat_id, out.attachments, thread_id=out.thread_id,
                                        reply_to=out.reply_to)
        _report(out, files_sent)
        if out.coalesce:
            self._recent[out.identity] = self.clock()
        if out.then is not None:
            self.post(out.then)


def _report(out: Outgoing, delivered: bool) -> None:
    if out.report is not None and not out.report.done():
        out.report.set_result(delivered)


class SendRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter for the calls Telegram throttles (sending and editing messages);
    reads such as getChatAdministrators pass straight through, so a moderator check never
    queues behind a group's reply backlog. Creating an invite link is not counted against the
    group's budget either (a member waits for it), but waits out and retries a 429."""

    async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: int | None) -> Any:
        if endpoint in RETRIED_ONLY:
            return await super().process_request(callback, args, kwargs, endpoint, {}, rate_limit_args)
        if not endpoint.startswith(THROTTLED_PREFIXES):
            return await callback(*args, **kwargs)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
