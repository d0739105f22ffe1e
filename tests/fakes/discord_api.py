"""A local fake of Discord's REST API and gateway, enough for discord.py 2.7.

discord.py is pointed here by overriding ``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY``. The gateway keeps a numbered event log
so a client that RESUMEs gets exactly the events it missed, like Discord, or
refuses the RESUME (INVALID_SESSION) so the client must IDENTIFY afresh.
Channels keep their messages, served by the history endpoint the way
Discord does, and ids are real snowflakes (creation time in the high bits).
Attachments are served from a CDN route on the same server (as Discord's
signed ``cdn.discordapp.com`` URLs), and every download is recorded; files
the bot uploads (multipart/form-data with ``payload_json``, as discord.py
sends them to channels, DMs and interactions) become such attachments of the
message, their bytes recorded in ``uploads``; DMs,
buttons (components) and their presses work as on Discord. Invites keep
use counts that members raise by joining through them (several at the same
moment if a test wants), beside an optional vanity URL; reading them needs
Manage Server and creating one Create Invite, each of which a test can take
away (403 Missing Permissions, as Discord answers).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import mimetypes
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import WSMsgType, web
from discord.utils import DISCORD_EPOCH

from tests.fakes.server import LocalServer

APP_ID = "500000000000000001"
BOT_ID = "500000000000000002"
VANITY = "vanity"  # ``Arrival.via`` of a join through the guild's vanity URL
_sequence = itertools.count()
_codes = itertools.count(1)
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


_NAME = re.compile(r"[-_\w]{1,32}")


def _command_problems(item: dict[str, Any], path: str = "") -> list[str]:
    """What Discord refuses in an application command or option: bad names or descriptions, more
    than 25 options or choices, a required option after an optional one."""
    where = f"{path}/{item['name']}"
    problems = [] if _NAME.fullmatch(item["name"]) and item["name"] == item["name"].lower() else [f"{where}: name"]
    texts = [item.get("description", ""), *(item.get("description_localizations") or {}).values()]
    problems += [f"{where}: description" for t in texts if not 1 <= len(t) <= 100]
    options = item.get("options") or []
    choices = item.get("choices") or []
    if len(options) > 25 or len(choices) > 25:
        problems.append(f"{where}: over 25 options or choices")
    required = [bool(o.get("required")) for o in options if o["type"] not in (1, 2)]
    if required != sorted(required, reverse=True):
        problems.append(f"{where}: required option after an optional one")
    problems += [f"{where}: choice {c['name']!r}" for c in choices if not 1 <= len(c["name"]) <= 100]
    return problems + [p for o in options for p in _command_problems(o, where)]


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


MISSING_PERMISSIONS = {"message": "Missing Permissions", "code": 50013}


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded: where to (see ``FakeDiscord.uploads``), its name and bytes."""

    where: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class Arrival:
    """One account joining the guild: through invite ``via``, the vanity URL (``VANITY``) or none;
    ``at`` is its joined_at (default now)."""

    uid: str
    via: str | None = None
    at: datetime | None = None


class FakeDiscord(LocalServer):
    def __init__(self, guild_id: str, channel_id: str) -> None:
        self.guild_id, self.channel_id = guild_id, channel_id
        self.channels: dict[str, str] = {channel_id: "general"}
        self.threads: dict[str, tuple[str, str]] = {}  # thread id -> (parent channel id, name)
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
        # ("channel" or "followup", JSON body) of each message the bot posted, as sent
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.interaction_replies: dict[str, dict[str, Any]] = {}
        self.followups: dict[str, list[dict[str, Any]]] = {}
        # attachment id -> (attachment payload, bytes served by the CDN route)
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.cdn_hits: list[str] = []
        # Files the bot uploaded, in order: where ("channel:<id>", "dm:<user id>", "response:<interaction
        # id>", "followup:<interaction id>"), the filename and the bytes received.
        self.uploads: list[Upload] = []
        self.expired: set[str] = set()  # attachment ids whose signed URL the CDN no longer serves
        self.dm_channels: dict[str, str] = {}  # DM channel id -> user id
        self.dms: dict[str, list[dict[str, Any]]] = {}  # user id -> messages the bot sent them
        self.closed_dms: set[str] = set()
        self.role_changes: list[tuple[str, str, str]] = []
        self.synced: dict[str, list[dict[str, Any]]] = {}
        self.log: list[dict[str, Any]] = []
        self.ws: web.WebSocketResponse | None = None
        self.identifies = 0
        self.forbid_roles = False
        self.resumes: list[int] = []
        self.session_id = "session-1"
        self.invites: dict[str, dict[str, Any]] = {}  # code -> invite payload, "uses" kept current
        self.invite_requests: list[tuple[dict[str, Any], str | None]] = []  # (body, audit-log reason)
        self.invite_reads = 0  # answered GET /guilds/{id}/invites
        self.vanity_code: str | None = None
        self.vanity_uses = 0
        self.forbid_invites = False  # creating an invite: 403 (no Create Invite)
        self.forbid_manage_guild = False  # reading invites and the vanity URL: 403 (no Manage Server)
        self.accounts: dict[str, dict[str, Any]] = {}  # users not (yet) in the guild, by id

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

    def add_thread(self, parent: str, name: str) -> str:
        """A thread (or forum post) under ``parent``; members post in it with ``say(channel=id)``."""
        tid = snowflake()
        self.threads[tid] = (parent, name)
        return tid

    def _thread_payload(self, tid: str, gid: str) -> dict[str, Any]:
        parent, name = self.threads[tid]
        return {"id": tid, "type": 11, "name": name, "parent_id": parent, "guild_id": gid, "owner_id": "1",
                "message_count": 0, "member_count": 1, "thread_metadata": {
                    "archived": False, "auto_archive_duration": 1440, "archive_timestamp": now_iso()}}

    async def open_thread(self, parent: str, name: str) -> str:
        """A thread started while the bot is connected (THREAD_CREATE)."""
        tid = self.add_thread(parent, name)
        await self.dispatch("THREAD_CREATE", self._thread_payload(tid, self.guild_id) | {"newly_created": True})
        return tid

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
        app.router.add_post(f"{api}/users/@me/channels", self.create_dm)
        app.router.add_get("/attachments/{cid}/{aid}/{name}", self.cdn)
        app.router.add_post(f"{api}/channels/{{cid}}/invites", self.create_invite)
        app.router.add_get(f"{api}/guilds/{{gid}}/invites", self.guild_invites)
        app.router.add_get(f"{api}/guilds/{{gid}}/vanity-url", self.vanity_url)
        app.router.add_delete(f"{api}/invites/{{code}}", self.delete_invite_route)
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
        """Bulk overwrite, refused (400, as Discord does) when a command breaks Discord's rules."""
        body = await request.json()
        gid = request.match_info["gid"]
        problems = [p for c in body for p in _command_problems(c)]
        if problems:
            return json_response({"message": "Invalid Form Body", "code": 50035, "errors": problems}, 400)
        self.synced[gid] = body
        return json_response([dict(c, id=snowflake(), application_id=APP_ID, guild_id=gid, version="1",
                                   default_member_permissions=None, dm_permission=True, nsfw=False) for c in body])

    def _message(self, channel_id: str, body: dict[str, Any], author: dict[str, Any] | None = None,
                 at: datetime | None = None) -> dict[str, Any]:
        mid = snowflake(at)
        return {"id": mid, "channel_id": channel_id, "author": author or user(BOT_ID, "engagebot", True),
                "content": body.get("content", ""), "timestamp": iso(mid), "edited_timestamp": None, "tts": False,
                "mention_everyone": False, "mentions": [], "mention_roles": [],
                "attachments": body.get("attachments", []), "embeds": [], "pinned": False, "type": 0,
                "flags": body.get("flags", 0), "components": body.get("components", [])}

    def _keep(self, message: dict[str, Any]) -> None:
        """File a message in its channel's history, kept in id order."""
        bisect.insort(self.history.setdefault(message["channel_id"], []), message, key=lambda m: int(m["id"]))

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        """A send's JSON body and its files: a multipart send carries the body as ``payload_json`` and
        each file as a part of its own."""
        if request.content_type != "multipart/form-data":
            return await request.json(), []
        form = await request.post()
        body = json.loads(str(form["payload_json"]))
        return body, [(v.filename, v.file.read()) for v in form.values() if isinstance(v, web.FileField)]

    def _uploaded(self, where: str, body: dict[str, Any], files: list[tuple[str, bytes]]) -> dict[str, Any]:
        """``body`` (a message's fields) with the uploaded files as its attachments, served by the CDN."""
        if not files:
            return body
        kinds = [mimetypes.guess_type(name)[0] or "application/octet-stream" for name, _ in files]
        attachments = [self.attachment(name, data, kind) for (name, data), kind in zip(files, kinds, strict=True)]
        self.uploads += [Upload(where, name, data) for name, data in files]
        return dict(body, attachments=attachments)

    async def post_message(self, request: web.Request) -> web.Response:
        raw, files = await self._body(request)
        cid = request.match_info["cid"]
        recipient = self.dm_channels.get(cid)
        if recipient in self.closed_dms:
            return json_response({"message": "Cannot send messages to this user", "code": 50007}, 403)
        body = self._uploaded(f"dm:{recipient}" if recipient else f"channel:{cid}", raw, files)
        self.posted.append(("dm" if recipient else "channel", body))
        message = self._message(cid, body)
        if recipient:
            self.dms.setdefault(recipient, []).append(message)
        else:
            self.sent.append(message)
            self._keep(message)
        return json_response(message)

    async def create_dm(self, request: web.Request) -> web.Response:
        uid = str((await request.json())["recipient_id"])
        if uid not in self.members:
            return json_response({"message": "Unknown User", "code": 10013}, 404)
        cid = next((c for c, u in self.dm_channels.items() if u == uid), None) or snowflake()
        self.dm_channels[cid] = uid
        return json_response({"id": cid, "type": 1, "last_message_id": None, "flags": 0,
                              "recipients": [self.members[uid]["user"]]})

    async def cdn(self, request: web.Request) -> web.Response:
        aid = request.match_info["aid"]
        if aid not in self.files or aid in self.expired:
            return web.Response(status=404)
        self.cdn_hits.append(aid)
        payload, data = self.files[aid]
        return web.Response(body=data, headers={"Content-Type": payload["content_type"]})

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
        body, files = await self._body(request)
        if files:
            where = f"response:{request.match_info['iid']}"
            body = dict(body, data=self._uploaded(where, body["data"], files))
        self.interaction_replies[request.match_info["iid"]] = body
        flags = body.get("data", {}).get("flags", 0)
        return json_response({"interaction": {"id": request.match_info["iid"], "type": 2,
                                              "response_message_loading": body["type"] == 5,
                                              "response_message_ephemeral": bool(flags & 64)}})

    async def followup(self, request: web.Request) -> web.Response:
        """A followup of the interaction whose token is ``tok<interaction id>`` (see ``command``)."""
        raw, files = await self._body(request)
        iid = request.match_info["token"].removeprefix("tok")
        body = self._uploaded(f"followup:{iid}", raw, files)
        self.posted.append(("followup", body))
        self.followups.setdefault(iid, []).append(body)
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

    def _invite(self, code: str) -> dict[str, Any]:
        data = self.invites[code]
        return dict(data, channel={"id": data["channel_id"], "name": self.channels.get(data["channel_id"], ""),
                                   "type": 0},
                    guild={"id": self.guild_id, "name": f"guild {self.guild_id}", "splash": None, "banner": None,
                           "description": None, "icon": None, "features": [], "verification_level": 0,
                           "vanity_url_code": self.vanity_code, "nsfw_level": 0, "premium_subscription_count": 0})

    def make_invite(self, channel: str | None = None, uses: int = 0, inviter: str = "1",
                    settings: dict[str, Any] | None = None) -> str:
        """An invite that exists (made by a person in Discord's client, or before the bot started)."""
        code = f"inv{next(_codes):05d}"
        wanted = {"max_age": 86400, "max_uses": 0, "temporary": False} | (settings or {})
        self.invites[code] = {"code": code, "type": 0, "channel_id": channel or self.channel_id, "uses": uses,
                              "created_at": now_iso(), "expires_at": None, "inviter": user(inviter, "someone"),
                              **wanted}
        return code

    async def create_invite(self, request: web.Request) -> web.Response:
        """POST /channels/{id}/invites; without ``unique`` Discord hands back an existing invite with
        the same settings. A new invite is announced by INVITE_CREATE."""
        if self.forbid_invites:
            return json_response(MISSING_PERMISSIONS, 403)
        cid, body = request.match_info["cid"], await request.json()
        reason = request.headers.get("X-Audit-Log-Reason")
        self.invite_requests.append((body, unquote(reason) if reason else None))
        if cid not in self.channels:
            return json_response({"message": "Unknown Channel", "code": 10003}, 404)
        wanted = {k: body.get(k, d) for k, d in (("max_age", 86400), ("max_uses", 0), ("temporary", False))}
        same = [c for c, i in self.invites.items() if i["channel_id"] == cid and i["inviter"]["id"] == BOT_ID
                and all(i[k] == v for k, v in wanted.items())]
        if same and not body.get("unique"):
            return json_response(self._invite(same[0]))
        code = self.make_invite(cid, inviter=BOT_ID, settings=wanted)
        await self.dispatch("INVITE_CREATE", {k: v for k, v in self.invites[code].items() if k != "type"}
                            | {"guild_id": self.guild_id})
        return json_response(self._invite(code))

    async def guild_invites(self, request: web.Request) -> web.Response:
        if self.forbid_manage_guild:
            return json_response(MISSING_PERMISSIONS, 403)
        self.invite_reads += 1
        return json_response([self._invite(code) for code in self.invites])

    async def vanity_url(self, request: web.Request) -> web.Response:
        if self.forbid_manage_guild:
            return json_response(MISSING_PERMISSIONS, 403)
        return json_response({"code": self.vanity_code, "uses": self.vanity_uses})

    async def delete_invite_route(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        if code not in self.invites:
            return json_response({"message": "Unknown Invite", "code": 10006}, 404)
        payload = self._invite(code)
        await self.delete_invite(code)
        return json_response(payload)

    async def delete_invite(self, code: str) -> None:
        """An invite revoked (by a moderator, or used up): INVITE_DELETE."""
        data = self.invites.pop(code)
        await self.dispatch("INVITE_DELETE", {"channel_id": data["channel_id"], "guild_id": self.guild_id,
                                              "code": code})

    def account(self, name: str, created: datetime | None = None) -> str:
        """A Discord account that is not in the guild; its id (a snowflake) carries ``created``."""
        uid = snowflake(created)
        self.accounts[uid] = user(uid, name)
        return uid

    async def join(self, *arrivals: Arrival) -> None:
        """Accounts (from ``account``) join at the same moment: every use count they raise rises
        before the first GUILD_MEMBER_ADD goes out, so the bot can only see them all at once."""
        for arrival in arrivals:
            if arrival.via == VANITY:
                self.vanity_uses += 1
            elif arrival.via is not None:
                self.invites[arrival.via]["uses"] += 1
        for arrival in arrivals:
            member = self.add_member(arrival.uid, self.accounts[arrival.uid]["username"])
            if arrival.at is not None:
                member["joined_at"] = arrival.at.isoformat()
            await self.dispatch("GUILD_MEMBER_ADD", dict(member, guild_id=self.guild_id))

    async def leave(self, uid: str) -> None:
        member = self.members.pop(uid)
        await self.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": self.guild_id, "user": member["user"]})

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
        threads = [self._thread_payload(tid, gid) for tid in self.threads]
        return {"id": gid, "name": f"guild {gid}", "icon": None, "owner_id": "1", "roles": self.roles,
                "channels": channels, "members": members, "member_count": len(members), "emojis": [],
                "stickers": [], "features": ["VANITY_URL"] if self.vanity_code else [],
                "vanity_url_code": self.vanity_code, "presences": [], "voice_states": [], "threads": threads,
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

    def attachment(self, filename: str, data: bytes, content_type: str = "image/png",
                   size: int | None = None) -> dict[str, Any]:
        """An uploaded file as Discord describes it, its URL on this server's CDN route; ``size``
        overrides the reported size (the bytes served stay ``data``)."""
        aid = snowflake()
        url = f"http://127.0.0.1:{self.port}/attachments/{self.channel_id}/{aid}/{filename}"
        payload = {"id": aid, "filename": filename, "size": len(data) if size is None else size,
                   "content_type": content_type, "url": f"{url}?ex=1&is=1&hm=signed", "proxy_url": url}
        self.files[aid] = (payload, data)
        return payload

    async def say(self, uid: str, content: str, gid: str | None = None, channel: str | None = None,
                  attachments: list[dict[str, Any]] | None = None) -> str:
        """A member posts while the bot is connected: kept in the channel (of
        the main guild) and dispatched over the gateway."""
        body = {"content": content, "attachments": attachments or []}
        message = self._message(channel or self.channel_id, body, self.members[uid]["user"])
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

    def _interaction(self, uid: str, kind: int, data: dict[str, Any], *, locale: str, permissions: int,
                     gid: str | None, in_dm: bool, channel_id: str | None = None,
                     at: datetime | None = None) -> dict[str, Any]:
        iid = snowflake(at)
        channel = channel_id or self.channel_id
        payload: dict[str, Any] = {
            "id": iid, "application_id": APP_ID, "type": kind, "token": f"tok{iid}", "version": 1, "data": data,
            "channel_id": channel, "locale": locale, "app_permissions": "0", "entitlements": [],
            "authorizing_integration_owners": {}, "context": 1 if in_dm else 0, "attachment_size_limit": 8388608,
            "channel": {"id": channel, "type": 1 if in_dm else 0, "name": "general",
                        "guild_id": None if in_dm else (gid or self.guild_id)},
        }
        if in_dm:
            payload["user"] = self.members[uid]["user"]
        else:
            payload.update(guild_id=gid or self.guild_id, guild_locale="en-US",
                           member=self.member_payload(uid, permissions))
        return payload

    def _resolved(self, options: list[dict[str, Any]]) -> dict[str, Any]:
        resolved: dict[str, Any] = {"users": {}, "members": {}, "attachments": {}}
        for option in options:
            if option["type"] == 6 and option["value"] in self.members:
                m = self.members[option["value"]]
                resolved["users"][option["value"]] = m["user"]
                resolved["members"][option["value"]] = {k: v for k, v in m.items() if k != "user"} | {
                    "permissions": "0"}
            elif option["type"] == 11:
                resolved["attachments"][option["value"]] = self.files[option["value"]][0] | {"ephemeral": True}
        return resolved

    async def command(self, uid: str, name: str, options: list[dict[str, Any]] | None = None, *,
                      locale: str = "en-US", permissions: int = 0, gid: str | None = None,
                      in_dm: bool = False, at: datetime | None = None) -> str:
        """A member runs a slash command; ``"ugc approve"`` is subcommand ``approve`` of group ``ugc``.
        An attachment option (type 11) names a file made by ``attachment``; ``at`` dates the
        interaction (its id carries the time, which discord.py reads as ``created_at``)."""
        group, _, leaf = name.rpartition(" ")
        given = options or []
        top = [{"name": leaf, "type": 1, "options": given}] if group else given
        data = {"id": snowflake(), "name": group or leaf, "type": 1, "options": top,
                "resolved": self._resolved(given)}
        payload = self._interaction(uid, 2, data, locale=locale, permissions=permissions, gid=gid, in_dm=in_dm,
                                    at=at)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload["id"]

    async def press(self, uid: str, message: dict[str, Any], custom_id: str, *, permissions: int = 0,
                    locale: str = "en-US", at: datetime | None = None) -> str:
        """A member presses a button of a message the bot sent (a channel message, a DM, or an
        interaction's answer from ``answer_message``); a DM's button is pressed in the DM."""
        in_dm = message["channel_id"] in self.dm_channels
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self._interaction(uid, 3, data, locale=locale, permissions=permissions, gid=None, in_dm=in_dm,
                                    channel_id=message["channel_id"], at=at)
        payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload["id"]

    async def answer(self, iid: str) -> dict[str, Any]:
        """What the member saw as the interaction's answer: the response, or after a deferral
        ("thinking...") the first followup."""
        body = await self.wait_for(lambda: self.interaction_replies.get(iid))
        if body["type"] != 5:
            return body["data"]
        followup = await self.wait_for(lambda: self.followups.get(iid))
        return followup[0]

    async def answer_message(self, iid: str) -> dict[str, Any]:
        """The interaction's answer as a message (for pressing the buttons under it)."""
        return self._message(self.channel_id, await self.answer(iid))

    @staticmethod
    def buttons(body: dict[str, Any]) -> dict[str, str]:
        """label -> custom_id of the buttons of a sent message body or message."""
        return {b["label"]: b["custom_id"] for row in body.get("components", []) for b in row["components"]}
