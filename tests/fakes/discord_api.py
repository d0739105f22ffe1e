"""A local fake of Discord's REST API and gateway, enough for discord.py 2.7.

discord.py is pointed here by overriding ``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY``. The gateway keeps a numbered event log
so a client that RESUMEs gets exactly the events it missed, like Discord, or
refuses the RESUME (INVALID_SESSION) so the client must IDENTIFY afresh.
Channels keep their messages, served by the history endpoint the way
Discord does, and ids are real snowflakes (creation time in the high bits).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web
from discord.utils import DISCORD_EPOCH

from tests.fakes.server import LocalServer

APP_ID = "500000000000000001"
BOT_ID = "500000000000000002"
_sequence = itertools.count()
_last_id = 0


def snowflake(at: datetime | None = None) -> str:
    """A unique id carrying ``at`` (default now) as its creation time; ids made
    for "now" also grow strictly, as Discord's do."""
    global _last_id
    millis = int((at or datetime.now(UTC)).timestamp() * 1000) - DISCORD_EPOCH
    made = (millis << 22) | (next(_sequence) & 0x3FFFFF)
    if at is None:
        made = _last_id = max(made, _last_id + 1)
    return str(made)


def iso(snowflake_id: str) -> str:
    millis = (int(snowflake_id) >> 22) + DISCORD_EPOCH
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat()


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(uid: str, name: str, bot: bool = False) -> dict[str, Any]:
    return {"id": uid, "username": name, "global_name": name, "discriminator": "0", "avatar": None, "bot": bot,
            "flags": 0, "public_flags": 0}


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


class FakeDiscord(LocalServer):
    def __init__(self, guild_id: str, channel_id: str) -> None:
        self.guild_id, self.channel_id = guild_id, channel_id
        self.channels: dict[str, str] = {channel_id: "general"}
        self.history: dict[str, list[dict[str, Any]]] = {channel_id: []}
        self.history_requests: list[tuple[str, dict[str, str]]] = []
        self.refuse_resume = False
        self.refused_resumes = 0
        self.throttle_history = 0
        self.history_delay = 0.0
        self.hidden_channels: set[str] = set()
        self.roles: list[dict[str, Any]] = [self._role(guild_id, "@everyone", "0")]
        self.members: dict[str, dict[str, Any]] = {}
        self.extra_guilds: list[str] = []
        self.sent: list[dict[str, Any]] = []
        self.interaction_replies: dict[str, dict[str, Any]] = {}
        self.role_changes: list[tuple[str, str, str]] = []
        self.synced: dict[str, list[dict[str, Any]]] = {}
        self.log: list[dict[str, Any]] = []
        self.ws: web.WebSocketResponse | None = None
        self.identifies = 0
        self.forbid_roles = False
        self.resumes: list[int] = []
        self.session_id = "session-1"

    @staticmethod
    def _role(rid: str, name: str, permissions: str) -> dict[str, Any]:
        return {"id": rid, "name": name, "permissions": permissions, "position": 0, "color": 0, "hoist": False,
                "managed": False, "mentionable": False, "flags": 0}

    def add_role(self, name: str, permissions: int = 0) -> str:
        rid = snowflake()
        self.roles.append(self._role(rid, name, str(permissions)))
        return rid

    def add_member(self, uid: str, name: str, roles: tuple[str, ...] = ()) -> dict[str, Any]:
        self.members[uid] = {"user": user(uid, name), "roles": list(roles), "joined_at": now_iso(), "deaf": False,
                             "mute": False, "flags": 0, "nick": None, "avatar": None, "pending": False}
        return self.members[uid]

    def add_channel(self, name: str) -> str:
        cid = snowflake()
        self.channels[cid] = name
        self.history[cid] = []
        return cid

    def role_id(self, name: str) -> str:
        return next(r["id"] for r in self.roles if r["name"] == name)

    # --- server lifecycle -------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway)
        api = "/api/v10"
        app.router.add_get(f"{api}/users/@me", lambda r: json_response(user(BOT_ID, "engagebot", True)))
        app.router.add_get(f"{api}/oauth2/applications/@me", self.application)
        app.router.add_put(f"{api}/applications/{{app}}/guilds/{{gid}}/commands", self.sync_commands)
        app.router.add_post(f"{api}/channels/{{cid}}/messages", self.post_message)
        app.router.add_get(f"{api}/channels/{{cid}}/messages", self.channel_history)
        app.router.add_post(f"{api}/interactions/{{iid}}/{{token}}/callback", self.interaction_callback)
        app.router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self.followup)
        app.router.add_put(f"{api}/guilds/{{gid}}/members/{{uid}}/roles/{{rid}}", self.role_add)
        app.router.add_delete(f"{api}/guilds/{{gid}}/members/{{uid}}/roles/{{rid}}", self.role_remove)
        app.router.add_get(f"{api}/users/{{uid}}", self.get_user)
        return await self.serve(app)

    async def stop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self.shutdown()

    # --- REST -------------------------------------------------------------
    async def application(self, _: web.Request) -> web.Response:
        return json_response({"id": APP_ID, "name": "engagebot", "icon": None, "description": "", "rpc_origins": [],
                              "bot_public": True, "bot_require_code_grant": False, "owner": user("1", "owner"),
                              "team": None, "verify_key": "00", "flags": 0, "summary": ""})

    async def sync_commands(self, request: web.Request) -> web.Response:
        body = await request.json()
        gid = request.match_info["gid"]
        self.synced[gid] = body
        return json_response([dict(c, id=snowflake(), application_id=APP_ID, guild_id=gid, version="1",
                                   default_member_permissions=None, dm_permission=True, nsfw=False) for c in body])

    def _message(self, channel_id: str, body: dict[str, Any], author: dict[str, Any] | None = None,
                 at: datetime | None = None) -> dict[str, Any]:
        mid = snowflake(at)
        return {"id": mid, "channel_id": channel_id, "author": author or user(BOT_ID, "engagebot", True),
                "content": body.get("content", ""), "timestamp": iso(mid), "edited_timestamp": None, "tts": False,
                "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
                "pinned": False, "type": 0, "flags": body.get("flags", 0)}

    def _keep(self, message: dict[str, Any]) -> None:
        """File a message in its channel's history, kept in id order."""
        bisect.insort(self.history.setdefault(message["channel_id"], []), message, key=lambda m: int(m["id"]))

    async def post_message(self, request: web.Request) -> web.Response:
        body = await request.json()
        message = self._message(request.match_info["cid"], body)
        self.sent.append(message)
        self._keep(message)
        return json_response(message)

    async def channel_history(self, request: web.Request) -> web.Response:
        """GET /channels/{id}/messages as Discord answers it: newest first
        always; ``after`` selects the ``limit`` messages just after that id,
        ``before`` (or neither) the ``limit`` messages just before it (or the
        newest); limit 1-100, default 50. The next ``throttle_history``
        requests are answered 429 with a short retry_after, as Discord does,
        and ``hidden_channels`` 403, as to a bot without access. Each answer
        takes ``history_delay`` seconds."""
        cid, query = request.match_info["cid"], dict(request.query)
        self.history_requests.append((cid, query))
        await asyncio.sleep(self.history_delay)
        if self.throttle_history > 0:
            self.throttle_history -= 1
            return web.Response(body=json.dumps({"message": "You are being rate limited.", "retry_after": 0.05,
                                                 "global": False}).encode(), status=429,
                                headers={"Content-Type": "application/json", "Via": "1.1 google"})
        if cid not in self.history:
            return json_response({"message": "Unknown Channel", "code": 10003}, 404)
        if cid in self.hidden_channels:
            return json_response({"message": "Missing Access", "code": 50001}, 403)
        limit = int(query.get("limit", 50))
        if not 1 <= limit <= 100 or len({"before", "after", "around"} & set(query)) > 1:
            return json_response({"message": "Invalid Form Body", "code": 50035}, 400)
        kept = self.history[cid]
        if "after" in query:
            page = [m for m in kept if int(m["id"]) > int(query["after"])][:limit]
        else:
            before = int(query.get("before", 1 << 63))
            page = [m for m in kept if int(m["id"]) < before][-limit:]
        return json_response(list(reversed(page)))

    async def interaction_callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.interaction_replies[request.match_info["iid"]] = body
        return json_response({"interaction": {"id": request.match_info["iid"], "type": 2,
                                              "response_message_loading": False,
                                              "response_message_ephemeral": bool(body["data"].get("flags", 0) & 64)}})

    async def followup(self, request: web.Request) -> web.Response:
        body = await request.json()
        return json_response(self._message(self.channel_id, body))

    async def role_add(self, request: web.Request) -> web.Response:
        uid, rid = request.match_info["uid"], request.match_info["rid"]
        if self.forbid_roles:
            return json_response({"message": "Missing Permissions", "code": 50013}, 403)
        self.role_changes.append(("add", uid, rid))
        self.members[uid]["roles"].append(rid)
        await self._member_updated(uid)
        return web.Response(status=204)

    async def role_remove(self, request: web.Request) -> web.Response:
        uid, rid = request.match_info["uid"], request.match_info["rid"]
        self.role_changes.append(("remove", uid, rid))
        self.members[uid]["roles"].remove(rid)
        await self._member_updated(uid)
        return web.Response(status=204)

    async def _member_updated(self, uid: str) -> None:
        await self.dispatch("GUILD_MEMBER_UPDATE", dict(self.members[uid], guild_id=self.guild_id))

    async def get_user(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["uid"])
        return json_response(member["user"]) if member else json_response({"message": "Unknown User", "code": 10013},
                                                                            404)

    # --- gateway ----------------------------------------------------------
    def guild_payload(self, gid: str) -> dict[str, Any]:
        members = list(self.members.values()) + [{"user": user(BOT_ID, "engagebot", True), "roles": [],
                                                  "joined_at": now_iso(), "deaf": False, "mute": False, "flags": 0}]
        channels: list[dict[str, Any]] = [
            {"id": cid, "type": 0, "name": name, "position": i, "guild_id": gid, "permission_overwrites": [],
             "nsfw": False, "parent_id": None} for i, (cid, name) in enumerate(self.channels.items())]
        return {"id": gid, "name": f"guild {gid}", "icon": None, "owner_id": "1", "roles": self.roles,
                "channels": channels, "members": members, "member_count": len(members), "emojis": [],
                "stickers": [], "features": [], "presences": [], "voice_states": [], "threads": [],
                "stage_instances": [], "guild_scheduled_events": [], "large": False, "unavailable": False,
                "system_channel_id": self.channel_id, "premium_tier": 0, "mfa_level": 0, "verification_level": 0,
                "explicit_content_filter": 0, "default_message_notifications": 0, "nsfw_level": 0,
                "preferred_locale": "en-US", "afk_timeout": 300, "soundboard_sounds": []}

    async def _send(self, payload: dict[str, Any]) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.send_str(json.dumps(payload))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        payload = {"op": 0, "t": event, "s": len(self.log) + 1, "d": data}
        self.log.append(payload)
        await self._send(payload)

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            await self._gateway_op(json.loads(msg.data))
        return ws

    async def _gateway_op(self, msg: dict[str, Any]) -> None:
        op = msg["op"]
        if op == 1:
            await self._send({"op": 11})
        elif op == 2:
            self.identifies += 1
            guilds = [self.guild_id, *self.extra_guilds]
            await self.dispatch("READY", {
                "v": 10, "user": user(BOT_ID, "engagebot", True), "session_id": self.session_id,
                "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway", "guilds": [
                    {"id": g, "unavailable": True} for g in guilds],
                "application": {"id": APP_ID, "flags": 0}, "shard": [0, 1]})
            for gid in guilds:
                await self.dispatch("GUILD_CREATE", self.guild_payload(gid))
        elif op == 6 and self.refuse_resume:
            self.refused_resumes += 1
            await self._send({"op": 9, "d": False})
        elif op == 6:
            seq = msg["d"]["seq"] or 0
            self.resumes.append(seq)
            for payload in self.log[seq:]:
                await self._send(payload)
            await self._send({"op": 0, "t": "RESUMED", "s": len(self.log), "d": {}})

    async def drop_connection(self) -> None:
        """Ask the client to reconnect (op 7), as Discord does during maintenance."""
        await self._send({"op": 7, "d": None})
        self.ws = None

    # --- helpers for tests --------------------------------------------------
    def member_payload(self, uid: str, permissions: int = 0) -> dict[str, Any]:
        return dict(self.members[uid], permissions=str(permissions))

    async def say(self, uid: str, content: str, gid: str | None = None, channel: str | None = None) -> str:
        """A member posts while the bot is connected: kept in the channel (of
        the main guild) and dispatched over the gateway."""
        message = self._message(channel or self.channel_id, {"content": content}, self.members[uid]["user"])
        if gid in (None, self.guild_id):
            self._keep(message)
        await self.dispatch("MESSAGE_CREATE", {
            **message, "guild_id": gid or self.guild_id,
            "member": {k: v for k, v in self.members[uid].items() if k != "user"}})
        return message["id"]

    def post_offline(self, uid: str, content: str, channel: str | None = None, at: datetime | None = None) -> str:
        """A member posts while the bot is away: kept in the channel's history
        only, never dispatched, as the gateway does not replay it. ``at``
        backdates it (its id carries that time)."""
        author = self.members[uid]["user"] if uid in self.members else user(uid, f"user{uid}", uid == BOT_ID)
        message = self._message(channel or self.channel_id, {"content": content}, author, at)
        self._keep(message)
        return message["id"]

    async def react(self, uid: str, message_id: str, author: str, added: bool = True) -> None:
        data: dict[str, Any] = {"user_id": uid, "channel_id": self.channel_id, "message_id": message_id,
                                "guild_id": self.guild_id, "emoji": {"id": None, "name": "👍"}, "burst": False,
                                "type": 0}
        if added:
            data.update(member=self.members[uid], message_author_id=author)
        await self.dispatch("MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE", data)

    async def command(self, uid: str, name: str, options: list[dict[str, Any]] | None = None, *,
                      locale: str = "en-US", permissions: int = 0, gid: str | None = None,
                      in_dm: bool = False) -> str:
        iid = snowflake()
        resolved: dict[str, Any] = {"users": {}, "members": {}}
        for option in options or []:
            if option["type"] == 6 and option["value"] in self.members:
                m = self.members[option["value"]]
                resolved["users"][option["value"]] = m["user"]
                resolved["members"][option["value"]] = {k: v for k, v in m.items() if k != "user"} | {
                    "permissions": "0"}
        data: dict[str, Any] = {
            "id": iid, "application_id": APP_ID, "type": 2, "token": f"tok{iid}", "version": 1,
            "data": {"id": snowflake(), "name": name, "type": 1, "options": options or [], "resolved": resolved},
            "channel_id": self.channel_id, "locale": locale, "app_permissions": "0", "entitlements": [],
            "authorizing_integration_owners": {}, "context": 1 if in_dm else 0, "attachment_size_limit": 8388608,
            "channel": {"id": self.channel_id, "type": 1 if in_dm else 0, "name": "general",
                        "guild_id": None if in_dm else (gid or self.guild_id)},
        }
        if in_dm:
            data["user"] = self.members[uid]["user"]
        else:
            data.update(guild_id=gid or self.guild_id, guild_locale="en-US",
                        member=self.member_payload(uid, permissions))
        await self.dispatch("INTERACTION_CREATE", data)
        return iid
