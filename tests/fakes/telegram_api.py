"""A local fake of the Telegram Bot API, enough for python-telegram-bot 22.

Like Telegram it keeps an update queue with offset semantics (asking for
offset N confirms and drops every update below N), only delivers the update
types the bot asked for in ``allowed_updates`` (chat_member and
message_reaction only when asked), and refuses to DM a user who never
started the bot. Like Telegram it can throttle a group: with ``group_limit``
set to (messages, seconds), a bot message beyond that budget in a group is
refused with 429 and the seconds to wait.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer

BOT = {"id": 42, "is_bot": True, "first_name": "engagebot", "username": "engage_bot", "can_join_groups": True,
       "can_read_all_group_messages": True, "supports_inline_queries": False}
DEFAULT_TYPES = {"message", "edited_message", "channel_post", "edited_channel_post", "callback_query", "poll",
                 "poll_answer", "my_chat_member", "inline_query", "chosen_inline_result"}
JSON_FIELDS = {"allowed_updates", "commands", "scope", "reply_parameters", "reply_markup", "link_preview_options"}


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)


class FakeTelegram(LocalServer):
    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id
        self.users: dict[int, dict[str, Any]] = {}
        self.started: set[int] = set()
        self.admins: set[int] = set()
        self.queue: list[dict[str, Any]] = []
        self.next_update_id = 1
        self.next_message_id = 1
        self.allowed: set[str] = set(DEFAULT_TYPES)
        self.confirmed = 0
        self.sent: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.throttle_next = 0
        self.group_limit: tuple[int, float] | None = None
        self.throttled = 0
        self._group_sends: dict[int, deque[float]] = {}
        self.kicked_from: set[int] = set()
        self.calls: list[str] = []
        self.new_update = asyncio.Event()

    def add_user(self, uid: int, name: str, language: str = "en", started: bool = True,
                 admin: bool = False) -> dict[str, Any]:
        self.users[uid] = {"id": uid, "is_bot": False, "first_name": name, "username": name, "language_code": language}
        if started:
            self.started.add(uid)
        if admin:
            self.admins.add(uid)
        return self.users[uid]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self.handle)
        return await self.serve(app)

    async def stop(self) -> None:
        await self.shutdown()

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        return {k: json.loads(v) if k in JSON_FIELDS and isinstance(v, str) else v for k, v in form.items()}

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(method)
        params = await self._params(request)
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return error(404, f"Not Found: method {method} not implemented by the fake")
        return await handler(params)

    async def api_getMe(self, _: dict[str, Any]) -> web.Response:
        return ok(BOT)

    async def api_deleteWebhook(self, _: dict[str, Any]) -> web.Response:
        self.webhook = None
        return ok(True)

    async def api_setWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = params
        return ok(True)

    async def api_setMyCommands(self, params: dict[str, Any]) -> web.Response:
        self.commands.append(params)
        return ok(True)

    async def api_getChatAdministrators(self, params: dict[str, Any]) -> web.Response:
        return ok([{"status": "creator", "user": self.users[uid], "is_anonymous": False} for uid in sorted(self.admins)])

    async def api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        if self.throttle_next:
            self.throttle_next -= 1
            return self.too_many(1)
        wait = self._group_wait(chat_id)
        if wait:
            return self.too_many(wait)
        if chat_id in self.kicked_from:
            return error(403, "Forbidden: bot was kicked from the supergroup chat")
        if chat_id > 0 and chat_id not in self.started:
            return error(403, "Forbidden: bot can't initiate conversation with a user")
        message = {"message_id": self.next_message_id, "date": int(time.time()), "text": params["text"],
                   "from": BOT, "chat": self.chat(chat_id)}
        self.next_message_id += 1
        self.sent.append(dict(params, chat_id=chat_id))
        return ok(message)

    def too_many(self, retry_after: int) -> web.Response:
        self.throttled += 1
        return web.json_response({"ok": False, "error_code": 429,
                                  "description": f"Too Many Requests: retry after {retry_after}",
                                  "parameters": {"retry_after": retry_after}}, status=429)

    def _group_wait(self, chat_id: int) -> int:
        """Seconds until the group may take another bot message (0: now, and it is counted)."""
        if self.group_limit is None or chat_id > 0:
            return 0
        budget, window = self.group_limit
        sends, now = self._group_sends.setdefault(chat_id, deque()), time.monotonic()
        while sends and now - sends[0] >= window:
            sends.popleft()
        if len(sends) >= budget:
            return max(1, math.ceil(window - (now - sends[0])))
        sends.append(now)
        return 0

    async def api_getUpdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        if offset:
            self.confirmed = max(self.confirmed, offset)
            self.queue = [u for u in self.queue if u["update_id"] >= offset]
        if "allowed_updates" in params:
            self.allowed = set(params["allowed_updates"]) or set(DEFAULT_TYPES)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            ready = [u for u in self.queue if self._kind(u) in self.allowed]
            if ready or time.monotonic() >= deadline:
                return ok(ready[: int(params.get("limit") or 100)])
            self.new_update.clear()
            try:
                await asyncio.wait_for(self.new_update.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                pass

    @staticmethod
    def _kind(update: dict[str, Any]) -> str:
        return next(k for k in update if k != "update_id")

    # --- building updates ---------------------------------------------------
    def chat(self, chat_id: int | None = None) -> dict[str, Any]:
        chat_id = self.chat_id if chat_id is None else chat_id
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": self.users.get(chat_id, {}).get("first_name", "x")}
        return {"id": chat_id, "type": "supergroup", "title": "Acme group"}

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.queue.append(update)
        self.new_update.set()
        return update["update_id"]

    def message(self, uid: int, text: str | None = None, *, chat_id: int | None = None, kind: str = "message",
                reply_to: dict[str, Any] | None = None, message_id: int | None = None,
                **extra: Any) -> dict[str, Any]:
        mid = message_id or self.next_message_id
        self.next_message_id = max(self.next_message_id, mid + 1)
        message: dict[str, Any] = {"message_id": mid, "date": int(time.time()), "chat": self.chat(chat_id),
                                   "from": self.users[uid], **extra}
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if kind == "edited_message":
            message["edit_date"] = int(time.time())
        self.push(kind, message)
        return message

    def reaction(self, uid: int, message_id: int, old: list[str], new: list[str]) -> None:
        self.push("message_reaction", {
            "chat": self.chat(), "message_id": message_id, "user": self.users[uid], "date": int(time.time()),
            "old_reaction": [{"type": "emoji", "emoji": e} for e in old],
            "new_reaction": [{"type": "emoji", "emoji": e} for e in new]})

    def join(self, uid: int, invite_link: str | None) -> None:
        payload: dict[str, Any] = {
            "chat": self.chat(), "from": self.users[uid], "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": self.users[uid]},
            "new_chat_member": {"status": "member", "user": self.users[uid]}}
        if invite_link:
            payload["invite_link"] = {"invite_link": invite_link, "creator": self.users[min(self.admins)],
                                      "creates_join_request": False, "is_primary": False, "is_revoked": False}
        self.push("chat_member", payload)

    def promote(self, uid: int) -> None:
        """Make a member an administrator and tell the bot, as Telegram does."""
        self.admins.add(uid)
        rights = dict.fromkeys(("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                                "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                                "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                                "can_delete_stories"), False)
        self.push("chat_member", {
            "chat": self.chat(), "from": self.users[min(self.admins)], "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": self.users[uid]},
            "new_chat_member": {"status": "administrator", "user": self.users[uid], **rights}})

    def replies_to(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.sent if m["chat_id"] == chat_id]
