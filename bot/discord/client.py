"""The Discord bot: discord.py events in, core calls, replies and role changes out.

Dependencies come in through ``__init__`` and commands are registered and
synced per configured guild in ``setup_hook`` (discord.py's advanced_startup
pattern). Platform errors are logged with context and never stop the bot.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import discord
import structlog
from discord import app_commands
from discord.ext import commands

from bot.discord import arguments, components, files, media, mentions, slash
from bot.discord import translate as tr
from bot.discord.capture import capture
from bot.discord.catchup import ChannelCatchUp, catch_up
from bot.discord.invites import InviteTracker
from bot.discord.outlet import DiscordOutlet
from handlers.commands import Command, Permission
from handlers.config_model import Program, Settings
from handlers.core import Core
from handlers.engagement import IncomingMessage, MessageOutcome
from handlers.i18n import negotiate, translate
from handlers.replies import Reply, TierChanged

log = structlog.get_logger(__name__)


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = wanted.members = wanted.messages = wanted.guild_messages = True
    wanted.message_content = wanted.reactions = wanted.guild_reactions = wanted.invites = True
    return wanted


class EngageBot(commands.Bot):
    def __init__(self, core: Core, settings: Settings, **kwargs: Any) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(), help_command=None,
                         allowed_mentions=mentions.nobody(), **kwargs)
        self.core = core
        self.settings = settings
        self.invites = InviteTracker(self)
        self.outlet = DiscordOutlet(self, settings, self.invites)
        self.catch_up_task: asyncio.Task[list[ChannelCatchUp]] | None = None

    async def setup_hook(self) -> None:
        await self.tree.set_translator(slash.CatalogTranslator())
        self.add_dynamic_items(components.ActionButton)
        self.core.attach_outlet("discord", self.outlet)
        for command in slash.build(self.invoke_command):
            self.tree.add_command(command)
        self.tree.on_error = self.on_app_command_error
        if not self.settings.discord.sync_commands:
            return
        for program in self.settings.programs:
            for community in program.communities:
                if community.platform == "discord":
                    await self._sync(discord.Object(id=int(community.id)))

    async def _sync(self, guild: discord.Object) -> None:
        self.tree.copy_global_to(guild=guild)
        try:
            await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            log.warning("slash command sync failed", guild=guild.id, status=exc.status, error=exc.text)

    def program_of(self, guild_id: int | None) -> Program | None:
        return self.core.program_for("discord", str(guild_id)) if guild_id is not None else None

    async def invoke_command(self, interaction: discord.Interaction, spec: Command, kwargs: dict[str, Any]) -> None:
        locale = negotiate(str(interaction.locale))
        program = self.program_of(interaction.guild_id)
        if program is None:
            key = "error.not_in_community" if interaction.guild_id is None else "error.unconfigured"
            await self._respond(interaction, Reply(translate(key, locale), ok=False, private=True))
            return
        moderator = tr.is_moderator(program, interaction.user, interaction.permissions)
        ctx = tr.context(program, interaction.guild_id, interaction.user, event_id=interaction.id,
                         when=interaction.created_at, locale=str(interaction.locale), moderator=moderator,
                         channel_id=interaction.channel_id)
        downloading = media.downloads(kwargs.values(), program)
        if downloading or spec.prepare is not None:
            # A download, or a command's work before its unit of work (a platform call, a digest
            # rendered), may outlast the 3 seconds Discord allows before the first answer.
            await interaction.response.defer(ephemeral=downloading or spec.private, thinking=True)
        args = await arguments.convert(program, spec, kwargs)
        reply = await self.core.command(ctx, spec.name, args)
        if spec.permission is Permission.MODERATOR and not reply.ok:
            reply = dataclasses.replace(reply, private=True)
        await self._respond(interaction, reply)
        await self.apply_events(interaction.guild, reply.events)

    async def on_button(self, interaction: discord.Interaction, action: str, dm_guild_id: int | None) -> None:
        """A press of a core button (``bot.discord.components``): its action, answered privately."""
        guild_id = interaction.guild_id or dm_guild_id
        program = self.program_of(guild_id)
        if program is None or guild_id is None:
            text = translate("error.not_in_community", negotiate(str(interaction.locale)))
            await self._respond(interaction, Reply(text, ok=False, private=True))
            return
        in_guild = interaction.guild_id is not None
        ctx = tr.context(program, guild_id, interaction.user, event_id=interaction.id,
                         when=interaction.created_at, locale=str(interaction.locale),
                         channel_id=interaction.channel_id if in_guild else None,
                         moderator=tr.is_moderator(program, interaction.user, interaction.permissions))
        reply = await self.core.action(ctx, action)
        await self._respond(interaction, dataclasses.replace(reply, private=True))
        await self.apply_events(self.get_guild(guild_id), reply.events)

    async def _respond(self, interaction: discord.Interaction, reply: Reply) -> None:
        """The reply's text with its buttons, its attachments in the same message and, beyond
        Discord's 10 files a message, in followups after it."""
        first, *more = files.batches(reply.attachments, interaction.filesize_limit,
                                     f"interaction {interaction.id}") or [()]
        try:
            extras = components.attach(reply.buttons) | files.uploads(first)
            if interaction.response.is_done():
                await interaction.followup.send(reply.text, ephemeral=reply.private, **extras)
            else:
                await interaction.response.send_message(reply.text, ephemeral=reply.private or not reply.ok,
                                                        **extras)
            for batch in more:
                await interaction.followup.send(ephemeral=reply.private, **files.uploads(batch))
        except discord.HTTPException as exc:
            log.warning("could not answer interaction", interaction=interaction.id, status=exc.status,
                        error=exc.text)

    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
        locale = negotiate(str(interaction.locale))
        if isinstance(error, app_commands.TransformerError):
            text = translate("error.unknown_member", locale, name=str(error.value))
        else:
            log.error("slash command failed", command=getattr(interaction.command, "name", None),
                      error=repr(error))
            text = translate("error.internal", locale)
        await self._respond(interaction, Reply(text, ok=False, private=True))

    async def on_message(self, message: discord.Message) -> None:
        await self.handle_message(message)

    async def handle_message(self, message: discord.Message) -> MessageOutcome | None:
        """The one path of a message, live or caught up after downtime."""
        if message.author.bot or message.guild is None:
            return None
        program = self.program_of(message.guild.id)
        if program is None:
            await self._notice_unconfigured(message.guild)
            return None
        ctx = tr.context(program, message.guild.id, message.author, event_id=message.id, when=message.created_at,
                         channel_id=message.channel.id, message_id=message.id)
        outcome = await self.core.message(ctx, IncomingMessage(str(message.id), message.content))
        await self.apply_events(message.guild, outcome.events)
        await capture(self.core, self.outlet, program, ctx, message, outcome)
        return outcome

    async def on_ready(self) -> None:
        """discord.py fires this after every IDENTIFY: at start-up and after a
        reconnect that could not RESUME, exactly when the gateway may have
        dropped messages. The catch-up runs in the background so live events
        are not held up; a newer one replaces one still running, since each
        starts from what is stored."""
        if self.catch_up_task is not None:
            self.catch_up_task.cancel()
        self.catch_up_task = asyncio.create_task(self._catch_up(), name="discord catch-up")

    async def _catch_up(self) -> list[ChannelCatchUp]:
        guilds = []
        for program in self.settings.programs:
            for community in program.communities:
                if community.platform != "discord":
                    continue
                guild = self.get_guild(int(community.id))
                if guild is None:
                    log.warning("configured guild not available, not caught up", guild=community.id)
                else:
                    guilds.append(guild)
        try:
            return await catch_up(guilds, self.core.db, self.settings.discord, self.handle_message,
                                  discord.utils.utcnow())
        except Exception:
            log.exception("discord catch-up failed")
            return []

    async def close(self) -> None:
        """Stop a running catch-up first; what it has not fed is read again at the next start."""
        if self.catch_up_task is not None:
            self.catch_up_task.cancel()
            await asyncio.gather(self.catch_up_task, return_exceptions=True)
        await super().close()

    async def _notice_unconfigured(self, guild: discord.Guild) -> None:
        """Tell moderators once, also across restarts, that this guild earns nothing until configured."""
        if not await self.core.first_notice("discord", str(guild.id)):
            return
        log.warning("message in a guild that is not in config.yaml", guild=guild.id, name=guild.name)
        channel = guild.system_channel
        if channel is None:
            return
        try:
            await channel.send(translate("error.unconfigured", "en") + f" (guild id {guild.id})")
        except discord.HTTPException as exc:
            log.warning("could not post the unconfigured-guild notice", guild=guild.id, status=exc.status)

    async def _reaction(self, payload: discord.RawReactionActionEvent, added: bool) -> None:
        program = self.program_of(payload.guild_id)
        if program is None or payload.guild_id is None:
            return
        guild = self.get_guild(payload.guild_id)
        user = payload.member or (guild.get_member(payload.user_id) if guild else None) or \
            discord.Object(id=payload.user_id)
        if getattr(user, "bot", False):
            return
        if not isinstance(user, discord.abc.User):
            user = await self.fetch_user(payload.user_id)
        ctx = tr.context(program, payload.guild_id, user, event_id=f"{payload.message_id}:{payload.user_id}",
                         when=discord.utils.utcnow(), channel_id=payload.channel_id)
        outcome = await self.core.reaction(ctx, str(payload.message_id), added)
        await self.apply_events(guild, outcome.events)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, False)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """At start-up, after an outage and after every new session: the invite counts' baseline."""
        if self.program_of(guild.id) is not None:
            await self.invites.refresh(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.on_guild_available(guild)

    async def on_invite_create(self, invite: discord.Invite) -> None:
        if invite.guild is not None:
            self.invites.created(invite.guild.id, invite.code, invite.uses or 0)

    async def on_invite_delete(self, invite: discord.Invite) -> None:
        if invite.guild is not None:
            self.invites.deleted(invite.guild.id, invite.code)
            await self.core.invite_revoked("discord", str(invite.guild.id), invite.code,
                                           discord.utils.utcnow().replace(tzinfo=None))

    async def on_member_join(self, member: discord.Member) -> None:
        program = self.program_of(member.guild.id)
        if program is not None and not member.bot:
            evidence = await self.invites.attribute(member)
            ctx = tr.context(program, member.guild.id, member, event_id=f"join:{member.id}",
                             when=member.joined_at or discord.utils.utcnow())
            await self.core.membership(ctx, "join", invite=evidence.invite, evidence=evidence)

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        program = self.program_of(payload.guild_id)
        if program is not None and not payload.user.bot:
            ctx = tr.context(program, payload.guild_id, payload.user, event_id=f"leave:{payload.user.id}",
                             when=discord.utils.utcnow())
            await self.core.membership(ctx, "leave")

    async def apply_events(self, guild: discord.Guild | None, events: tuple[TierChanged, ...]) -> None:
        for event in events:
            if guild is not None:
                await self._sync_tier_roles(guild, event)

    async def _sync_tier_roles(self, guild: discord.Guild, event: TierChanged) -> None:
        """Hold exactly the role mapped to the member's new tier (if any)."""
        program = self.settings.program(event.program_id)
        wanted = program.tier_roles.get(event.new_tier)
        mapped = {name for name in program.tier_roles.values()}
        for platform, user_id in event.accounts:
            member = guild.get_member(int(user_id)) if platform == "discord" else None
            if member is None:
                continue
            drop = [r for r in member.roles if r.name in mapped and r.name != wanted]
            add = [r for r in guild.roles if r.name == wanted and r not in member.roles]
            try:
                if drop:
                    await member.remove_roles(*drop, reason=f"tier {event.new_tier}")
                if add:
                    await member.add_roles(*add, reason=f"tier {event.new_tier}")
            except discord.HTTPException as exc:
                log.warning("tier role sync failed", guild=guild.id, member=user_id, tier=event.new_tier,
                            status=exc.status, error=exc.text)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        log.exception("discord event handler failed", handler=event_method)
