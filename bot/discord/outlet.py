"""The core's way out on Discord (``handlers.outlets.Outlet``): announcements, reports, DMs, invites.

Announcements go to each community's ``announce_channel``, else the guild's
system channel, and ping nobody (the text may name members verbatim). One
longer than a Discord message (a contest with a hundred winners) goes as
several messages split between lines, the buttons under the last. A report
(a digest) goes to a channel of the guild itself, its text first and then
its files (``bot.discord.files``). A DM's buttons carry the guild whose
program serves their presses: one of the program's guilds the member is in.
A DM that Discord refuses (the member closed DMs from server members, or left
every shared server) is reported as not delivered, never raised. A personal
invite is a unique, never-expiring invite of its own, so its use count tells
its inviter's joins apart (``bot.discord.invites``).
"""

from __future__ import annotations

import discord
import structlog

from bot.discord import components, files, mentions
from bot.discord.invites import InviteTracker
from handlers.config_model import Settings
from handlers.outlets import InviteRefused
from handlers.replies import Attachment, Button, TierChanged

log = structlog.get_logger(__name__)
MESSAGE_MAX = 2000  # characters in one Discord message


def pieces(text: str, size: int = MESSAGE_MAX) -> list[str]:
    """``text`` in messages of at most ``size`` characters, cut after a line where one allows."""
    out: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size) + 1 or size
        out.append(text[:cut])
        text = text[cut:]
    return [*out, text]


class DiscordOutlet:
    def __init__(self, bot: discord.Client, settings: Settings, invites: InviteTracker | None = None) -> None:
        self.bot, self.settings = bot, settings
        self.invites = invites or InviteTracker(bot)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        """Waits for the gateway: a timed job may fire at start-up before the guilds are loaded."""
        await self.bot.wait_until_ready()
        channel = await self._announce_channel(community_id)
        *first, last = pieces(text)
        for piece in first:
            await channel.send(piece, allowed_mentions=mentions.nobody())
        await channel.send(last, allowed_mentions=mentions.nobody(), **components.attach(buttons))

    async def deliver(self, community_id: str, channel_id: str | None, text: str,
                      attachments: tuple[Attachment, ...] = ()) -> None:
        """The text (split like an announcement), then the files; a channel outside the community's
        guild is refused, so one brand's report never lands in another's server."""
        await self.bot.wait_until_ready()
        if channel_id is None:
            channel = await self._announce_channel(community_id)
        else:
            channel = self.bot.get_channel(int(channel_id)) or await self.bot.fetch_channel(int(channel_id))
        guild = getattr(channel, "guild", None)
        if not isinstance(channel, discord.abc.Messageable) or guild is None or str(guild.id) != community_id:
            raise LookupError(f"channel {channel_id} is not a text channel of guild {community_id}")
        if text:
            for piece in pieces(text):
                await channel.send(piece, allowed_mentions=mentions.nobody())
        for batch in files.batches(attachments, guild.filesize_limit, f"channel {channel.id}"):
            await channel.send(allowed_mentions=mentions.nobody(), **files.uploads(batch))

    async def sync_tier(self, event: TierChanged) -> None:
        """Tier roles in every guild of the program, for a change no interaction carried."""
        await self.bot.wait_until_ready()
        for community in self.settings.program(event.program_id).communities:
            guild = self.bot.get_guild(int(community.id)) if community.platform == "discord" else None
            if guild is not None:
                await self.bot.apply_events(guild, (event,))  # type: ignore[attr-defined]

    async def _announce_channel(self, community_id: str) -> discord.abc.Messageable:
        found = self.settings.community("discord", community_id)
        configured = found[1].announce_channel if found else None
        if configured is not None:
            channel = self.bot.get_channel(int(configured)) or await self.bot.fetch_channel(int(configured))
        else:
            guild = self.bot.get_guild(int(community_id))
            channel = guild.system_channel if guild is not None else None
        if not isinstance(channel, discord.abc.Messageable):
            raise LookupError(f"guild {community_id} has no announce_channel and no system channel")
        return channel

    async def create_invite(self, community_id: str, name: str) -> str:
        """``name`` labels the invite in the guild's audit log (Discord invites carry no name)."""
        channel = await self._invite_channel(community_id)
        try:
            invite = await channel.create_invite(max_age=0, max_uses=0, unique=True,
                                                 reason=f"engagebot personal invite: {name}"[:500])
        except discord.Forbidden as exc:
            raise InviteRefused(f"the bot lacks the Create Invite permission in #{channel.name}") from exc
        self.invites.created(int(community_id), invite.code)
        return invite.url

    async def _invite_channel(self, community_id: str) -> discord.abc.GuildChannel:
        found = self.settings.community("discord", community_id)
        configured = found[1].invite_channel if found else None
        channel: object
        if configured is not None:
            try:
                channel = self.bot.get_channel(int(configured)) or await self.bot.fetch_channel(int(configured))
            except (discord.NotFound, discord.Forbidden) as exc:
                raise InviteRefused(f"the invite_channel {configured} does not exist or the bot cannot see it") \
                    from exc
        else:
            guild = self.bot.get_guild(int(community_id))
            channel = guild.system_channel if guild is not None else None
            if channel is None:
                raise InviteRefused("the server has no system channel and no invite_channel is configured")
        if not isinstance(channel, discord.abc.GuildChannel):
            raise InviteRefused(f"the invite_channel {configured} is not a server channel")
        return channel

    async def notify(self, user_id: str, text: str, buttons: tuple[Button, ...] = (),
                     program_id: str | None = None) -> bool:
        """Buttons that no guild of ``program_id`` could serve are not sent at all: the notice is
        reported undelivered here, so the core tries the member's other accounts."""
        guild_id = self._button_guild(int(user_id), program_id) if buttons else None
        if buttons and guild_id is None:
            log.warning("direct message with buttons not sent: its program has no Discord server",
                        user=user_id, program=program_id)
            return False
        return await self.dm(int(user_id), text, buttons, guild_id)

    def _button_guild(self, user_id: int, program_id: str | None) -> int | None:
        """A guild of the program whose member the user is (the first of its guilds when the bot sees
        the user in none), so the press runs in that program."""
        program = next((p for p in self.settings.programs if p.id == program_id), None)
        guilds = [int(c.id) for c in program.communities if c.platform == "discord"] if program else []
        for guild_id in guilds:
            guild = self.bot.get_guild(guild_id)
            if guild is not None and guild.get_member(user_id) is not None:
                return guild_id
        return guilds[0] if guilds else None

    async def dm(self, user_id: int, text: str, buttons: tuple[Button, ...] = (),
                 guild_id: int | None = None) -> bool:
        """Send privately; ``guild_id`` is the guild whose program serves the buttons' presses."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(text, **components.attach(buttons, guild_id))
        except discord.HTTPException as exc:
            log.info("direct message not delivered", user=user_id, status=exc.status, code=exc.code)
            return False
        return True
