"""The one entry point adapters call: commands, messages, reactions, joins.

Each call is one unit of work, run again if it lost a race with another
process (``Database.run``). A ``UserError`` rolls the transaction back and
becomes a reply in the sender's language; any other exception also rolls
back, is logged with context, and becomes a generic apology, so a bug in one
use case cannot take the bot down or leave half a change behind.
"""

from __future__ import annotations

from typing import Any

import structlog

from handlers import membership, reactions
from handlers.batching import MessageBatcher
from handlers.commands import BY_NAME, Permission
from handlers.config_model import Program, Settings
from handlers.context import Context
from handlers.engagement import IncomingMessage, MessageOutcome
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.reactions import ReactionOutcome
from handlers.replies import Reply
from storage import inbox, ledger
from storage.database import Database

log = structlog.get_logger(__name__)


class Core:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.batcher = MessageBatcher(db)

    async def start(self) -> None:
        """Create each configured program's ledger head (idempotent)."""
        async with self.db.unit_of_work() as session:
            for program in self.settings.programs:
                await ledger.ensure_program(session, program.id)

    def program_for(self, platform: str, community_id: str) -> Program | None:
        found = self.settings.community(platform, community_id)
        return found[0] if found else None

    async def command(self, ctx: Context, name: str, args: dict[str, Any]) -> Reply:
        spec = BY_NAME.get(name)
        if spec is None:
            return Reply(translate("error.unknown_command", ctx.locale, command=name), ok=False)
        if spec.permission is Permission.MODERATOR and not ctx.is_moderator:
            return Reply(translate("error.not_moderator", ctx.locale, command=name), ok=False)
        for arg in spec.args:
            if arg.required and (args.get(arg.name) is None or str(args.get(arg.name)).strip() == ""):
                return Reply(translate("error.missing_argument", ctx.locale, command=name, argument=arg.name,
                                       usage=spec.usage()), ok=False)
        known = {a.name: args.get(a.name) for a in spec.args}
        reply = await self._run(ctx, f"command:{name}", lambda s: spec.run(s, ctx, **known))
        if reply.ok and spec.private and not reply.private:
            return Reply(reply.text, reply.ok, True, reply.events)
        return reply

    async def message(self, ctx: Context, message: IncomingMessage) -> MessageOutcome:
        """Points for a chat message; concurrent messages share one transaction."""
        return await self.batcher.submit(ctx, message)

    async def reaction(self, ctx: Context, message_id: str, added: bool) -> ReactionOutcome:
        return await self.db.run(inbox.marking_done(
            lambda session: reactions.on_reaction(session, ctx, message_id, added), [ctx.inbox_id]))

    async def membership(self, ctx: Context, kind: str, invite: str | None = None) -> int:
        return await self.db.run(inbox.marking_done(
            lambda session: membership.record(session, ctx, kind, invite), [ctx.inbox_id]))

    async def _run(self, ctx: Context, what: str, use_case: Any) -> Reply:
        try:
            return await self.db.run(inbox.marking_done(use_case, [ctx.inbox_id]))
        except UserError as exc:
            return Reply(translate(exc.key, ctx.locale, **exc.params), ok=False)
        except Exception:
            log.exception("use case failed", what=what, platform=ctx.platform, community=ctx.community_id,
                          user=ctx.actor.user_id, event_id=ctx.event_id)
            return Reply(translate("error.internal", ctx.locale), ok=False)
