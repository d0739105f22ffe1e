"""A local fake of the Telegram Bot API, enough for python-telegram-bot 22.

Like Telegram it keeps an update queue with offset semantics (asking for
offset N confirms and drops every update below N), only delivers the update
types the bot asked for in ``allowed_updates`` (chat_member and
message_reaction only when asked), and refuses to DM a user who never
started the bot. Like Telegram it can throttle a group: with ``group_limit``
set to (messages, seconds), a bot message beyond that budget in a group is
refused with 429 and the seconds to wait.

Files: ``add_file`` keeps bytes under a file id; ``getFile`` answers with a
path and ``/file/bot<token>/<path>`` serves the bytes (each download is
recorded in ``downloads``). A file may claim a size other than its bytes, so a
test can offer a huge file without sending one. Files the bot uploads
(``sendPhoto``, ``sendDocument``, ``sendMediaGroup`` of photos, multipart as
python-telegram-bot sends them) are kept in ``uploads`` with their bytes, and
their messages in ``sent`` with the rest. Buttons: ``reply_markup`` is
kept on sent messages, ``press`` sends a callback query for one of their
buttons and ``answers`` records answerCallbackQuery. Invite links:
``createChatInviteLink`` makes a link created by the bot with a fresh
``https://t.me/+...`` URL (refused with Telegram's 400 when ``can_invite`` is
False, as for a bot without the right to invite); ``join`` through one of
them, another admin's link, the primary link (``join_primary``) or no link at
all (the public username), and ``leave``.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer

BOT = {"id": 42, "is_bot": True, "first_name": "engagebot", "username": "engage_bot", "can_join_groups": True,
       "can_read_all_group_messages": True, "supports_inline_queries": False}
DEFAULT_TYPES = {"message", "edited_message", "channel_post", "edited_channel_post", "callback_query", "poll",
                 "poll_answer", "my_chat_member", "inline_query", "chosen_inline_result"}
PRIMARY_LINK = "https://t.me/+PrimaryAcmeLink0"
JSON_FIELDS = {"allowed_updates", "commands", "scope", "reply_parameters", "reply_markup",
               "link_preview_options", "media"}


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded: the method, the chat, forum topic and replied-to message, name and bytes."""

    method: str
    chat_id: int
    thread_id: int | None
    reply_to: int | None
    filename: str
    data: bytes


class FakeTelegram(LocalServer):
    def __init__(self, chat_id: int, token: str = "123:fake") -> None:
        self.chat_id = chat_id
        self.token = token
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
        self.files: dict[str, bytes] = {}
        self.file_sizes: dict[str, int] = {}
        self.downloads: list[str] = []
        self.uploads: list[Upload] = []
        self.answers: list[dict[str, Any]] = []
        self.next_file = 1
        self.next_query = 1
        # Set to make the group public (t.me/<username> links).
        self.group_username: str | None = None
        # False: the bot is not an admin with can_invite_users, so it may not create invite links.
        self.can_invite = True
        self.invite_links: dict[str, dict[str, Any]] = {}

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
        app.router.add_get("/file/bot{token}/{path:.+}", self.serve_file)
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

    def _refusal(self, chat_id: int) -> web.Response | None:
        """Telegram's answer when a send to the chat is throttled or not allowed; None when it may go."""
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
        return None

    def _sent_message(self, params: dict[str, Any], chat_id: int, **content: Any) -> dict[str, Any]:
        message = {"message_id": self.next_message_id, "date": int(time.time()), "from": BOT,
                   "chat": self.chat(chat_id), **content}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.next_message_id += 1
        self.sent.append(dict(params, chat_id=chat_id, message=message))
        return message

    async def api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        refused = self._refusal(chat_id)
        if refused is not None:
            return refused
        return ok(self._sent_message(params, chat_id, text=params["text"]))

    def _upload(self, method: str, params: dict[str, Any], part: Any) -> dict[str, Any]:
        """Keep an uploaded file part; its file fields as Telegram describes the stored file."""
        if not isinstance(part, web.FileField):
            raise AssertionError(f"{method}: expected an uploaded file, got {part!r}")
        data = part.file.read()
        thread, reply = params.get("message_thread_id"), params.get("reply_to_message_id")
        self.uploads.append(Upload(method, int(params["chat_id"]), int(thread) if thread else None,
                                   int(reply) if reply else None, part.filename, data))
        return self.add_file(data)

    def _photo_sizes(self, method: str, params: dict[str, Any], part: Any) -> list[dict[str, Any]]:
        return [dict(self._upload(method, params, part), width=800, height=600)]

    async def api_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        refused = self._refusal(chat_id)
        if refused is not None:
            return refused
        photo = self._photo_sizes("sendPhoto", params, params["photo"])
        return ok(self._sent_message(params, chat_id, photo=photo))

    async def api_sendDocument(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        refused = self._refusal(chat_id)
        if refused is not None:
            return refused
        part = params["document"]
        document = dict(self._upload("sendDocument", params, part), file_name=part.filename,
                        mime_type=part.content_type)
        return ok(self._sent_message(params, chat_id, document=document))

    async def api_sendMediaGroup(self, params: dict[str, Any]) -> web.Response:
        """An album: each item's ``media`` is ``attach://<part name>``, a file part of the request."""
        chat_id = int(params["chat_id"])
        refused = self._refusal(chat_id)
        if refused is not None:
            return refused
        items = params["media"]
        if not 2 <= len(items) <= 10 or any(i["type"] != "photo" for i in items):
            return error(400, "Bad Request: wrong number of photos in the album")
        group = f"album{self.next_message_id}"
        return ok([self._sent_message(params, chat_id, media_group_id=group, photo=self._photo_sizes(
            "sendMediaGroup", params, params[item["media"].removeprefix("attach://")])) for item in items])

    async def api_createChatInviteLink(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        if self.throttle_next:
            self.throttle_next -= 1
            return self.too_many(1)
        if chat_id in self.kicked_from:
            return error(403, "Forbidden: bot is not a member of the supergroup chat")
        if not self.can_invite:
            return error(400, "Bad Request: not enough rights to manage chat invite links")
        name = params.get("name")
        if name is not None and len(name) > 32:
            return error(400, "Bad Request: invite link name is too long")
        link: dict[str, Any] = {"invite_link": f"https://t.me/+{secrets.token_urlsafe(12)}", "creator": BOT,
                                "creates_join_request": False, "is_primary": False, "is_revoked": False}
        if name is not None:
            link["name"] = name
        self.invite_links[link["invite_link"]] = link
        return ok(link)

    async def api_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        self.answers.append(dict(params, show_alert=str(params.get("show_alert")).lower() == "true"))
        return ok(True)

    async def api_getFile(self, params: dict[str, Any]) -> web.Response:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            return error(400, "Bad Request: invalid file_id")
        return ok({"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": self.file_sizes[file_id],
                   "file_path": f"media/{file_id}.bin"})

    async def serve_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].removeprefix("media/").removesuffix(".bin")
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        self.downloads.append(file_id)
        return web.Response(body=self.files[file_id])

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
    # --- files ----------------------------------------------------------------
    def add_file(self, data: bytes, size: int | None = None) -> dict[str, Any]:
        """Keep ``data`` under a new file id; ``size`` is what Telegram claims (default: its length)."""
        file_id = f"f{self.next_file}"
        self.next_file += 1
        self.files[file_id], self.file_sizes[file_id] = data, len(data) if size is None else size
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": self.file_sizes[file_id]}

    def photo(self, data: bytes, size: int | None = None) -> dict[str, Any]:
        """Message fields of a photo: a thumbnail and the full size, as Telegram sends them."""
        thumb = self.add_file(b"thumbnail of " + data[:16])
        return {"photo": [dict(thumb, width=90, height=60), dict(self.add_file(data, size), width=1280, height=853)]}

    def document(self, data: bytes, name: str, mime: str, size: int | None = None) -> dict[str, Any]:
        return {"document": dict(self.add_file(data, size), file_name=name, mime_type=mime)}

    def video(self, data: bytes, size: int | None = None) -> dict[str, Any]:
        return {"video": dict(self.add_file(data, size), width=640, height=360, duration=3, mime_type="video/mp4")}

    # --- buttons --------------------------------------------------------------
    @staticmethod
    def buttons(sent: dict[str, Any]) -> list[tuple[str, str]]:
        """``(label, callback_data)`` of a sent message's inline keyboard, row by row."""
        rows = (sent.get("reply_markup") or {}).get("inline_keyboard", [])
        return [(b["text"], b["callback_data"]) for row in rows for b in row]

    def press(self, uid: int, sent: dict[str, Any], data: str) -> str:
        """The member presses the button with ``data`` under a message the bot sent; the query id."""
        assert data in [d for _, d in self.buttons(sent)], f"no button {data!r} under that message"
        query_id = f"q{self.next_query}"
        self.next_query += 1
        self.push("callback_query", {"id": query_id, "from": self.users[uid], "chat_instance": "ci",
                                     "message": sent["message"], "data": data})
        return query_id

    def answer_to(self, query_id: str) -> dict[str, Any] | None:
        return next((a for a in self.answers if a["callback_query_id"] == query_id), None)

    def chat(self, chat_id: int | None = None) -> dict[str, Any]:
        chat_id = self.chat_id if chat_id is None else chat_id
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": self.users.get(chat_id, {}).get("first_name", "x")}
        group = {"id": chat_id, "type": "supergroup", "title": "Acme group"}
        return dict(group, username=self.group_username) if self.group_username else group

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
        caption = extra.get("caption")
        if caption and caption.startswith("/"):
            message["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": len(caption.split()[0])}]
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

    def join(self, uid: int, invite_link: str | None, *, date: int | None = None, by: int | None = None) -> None:
        """``uid`` joins through ``invite_link``: one the bot created (Telegram sends that link back,
        creator and name included), else a link made by the first admin; None is a join without a
        link (through the public username, or added by the member ``by``). ``date`` is when, in Unix
        seconds (default now)."""
        link = self.invite_links.get(invite_link) if invite_link else None
        if invite_link and link is None:
            link = {"invite_link": invite_link, "creator": self.users[min(self.admins)],
                    "creates_join_request": False, "is_primary": False, "is_revoked": False}
        self._member_change(uid, "left", "member", link, date, by)

    def join_primary(self, uid: int, *, date: int | None = None) -> None:
        """``uid`` joins through the group's primary invite link (the owner's, made by nobody)."""
        self._member_change(uid, "left", "member", {
            "invite_link": PRIMARY_LINK, "creator": self.users[min(self.admins)], "creates_join_request": False,
            "is_primary": True, "is_revoked": False}, date)

    def leave(self, uid: int, *, date: int | None = None) -> None:
        self._member_change(uid, "member", "left", None, date)

    def _member_change(self, uid: int, old: str, new: str, link: dict[str, Any] | None, date: int | None,
                       by: int | None = None) -> None:
        payload: dict[str, Any] = {
            "chat": self.chat(), "from": self.users[uid if by is None else by],
            "date": int(time.time()) if date is None else date,
            "old_chat_member": {"status": old, "user": self.users[uid]},
            "new_chat_member": {"status": new, "user": self.users[uid]}}
        if link is not None:
            payload["invite_link"] = link
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
        """The texts the bot sent to a chat (photos and documents left out)."""
        return [m["text"] for m in self.sent if m["chat_id"] == chat_id and "text" in m]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Everything the bot sent to a chat: the request's parameters, with ``message`` as returned."""
        return [m for m in self.sent if m["chat_id"] == chat_id]
