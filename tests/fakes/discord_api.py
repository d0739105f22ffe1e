"""A local fake of Discord's REST API and gateway, enough for discord.py 2.7.

discord.py is pointed here by overriding ``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY``. The gateway keeps a numbered event log
so a client that RESUMEs gets exactly the events it missed, like Discord.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.server import LocalServer

APP_ID = "500000000000000001"
BOT_ID = "500000000000000002"
_ids = itertools.count(600000000000000000)


def snowflake() -> str:
    return str(next(_ids))


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

    def _message(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"id": snowflake(), "channel_id": channel_id, "author": user(BOT_ID, "engagebot", True),
                "content": body.get("content", ""), "timestamp": now_iso(), "edited_timestamp": None, "tts": False,
                "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
                "pinned": False, "type": 0, "flags": body.get("flags", 0)}

    async def post_message(self, request: web.Request) -> web.Response:
        body = await request.json()
        message = self._message(request.match_info["cid"], body)
        self.sent.append(message)
        return json_response(message)

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
        channel = {"id": self.channel_id, "type": 0, "name": "general", "position": 0, "guild_id": gid,
                   "permission_overwrites": [], "nsfw": False, "parent_id": None}
        return {"id": gid, "name": f"guild {gid}", "icon": None, "owner_id": "1", "roles": self.roles,
                "channels": [channel], "members": members, "member_count": len(members), "emojis": [],
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

    async def say(self, uid: str, content: str, gid: str | None = None) -> str:
        mid = snowflake()
        await self.dispatch("MESSAGE_CREATE", {
            **self._message(self.channel_id, {"content": content}), "id": mid, "guild_id": gid or self.guild_id,
            "author": self.members[uid]["user"], "member": {k: v for k, v in self.members[uid].items() if k != "user"}})
        return mid

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
