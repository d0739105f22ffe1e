"""The one entry point adapters call: commands, messages, reactions, joins.

Each call is one unit of work, run again if it lost a race with another
process (``Database.run``). A ``UserError`` rolls the transaction back and
becomes a reply in the sender's language; any other exception also rolls
back, is logged with context, and becomes a generic apology, so a bug in one
use case cannot take the bot down or leave half a change behind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

import structlog

from handlers import actions, membership, reactions
from handlers.alerts.schedule import AlertTimers
from handlers.batching import MessageBatcher
from handlers.campaigns import tier_perks
from handlers.campaigns.birthdays import BirthdayTimers
from handlers.campaigns.schedule import CampaignTimers, MemberDayTimers
from handlers.campaigns.winback import WinbackTimers
from handlers.clock import utcnow
from handlers.commands import BY_NAME, Permission
from handlers.config_model import Community, Program, Settings
from handlers.contests.schedule import ContestTimers
from handlers.context import Context
from handlers.digest.model import DigestRenderer
from handlers.digest.schedule import DigestTimers
from handlers.engagement import IncomingMessage, MessageOutcome
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.media import Upload
from handlers.membership import JoinEvidence
from handlers.nps.schedule import NpsTimers
from handlers.outlets import Outlet
from handlers.reactions import ReactionOutcome
from handlers.referrals.invite import RefusalAlerts
from handlers.referrals.schedule import ReferralTimers
from handlers.replies import Attachment, Button, Event, Notify, Reply, TierChanged, TimersChanged
from handlers.rewards import catalog as reward_catalog
from handlers.rewards.expiry import ExpiryTimers
from handlers.timers import TimedJobs
from handlers.ugc import capture, media_store
from storage import inbox, ledger, runtime_state
from storage import referrals as referral_store
from storage.database import Database

log = structlog.get_logger(__name__)


class Core:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.batcher = MessageBatcher(db)
        self.media = media_store.MediaStore(settings.media_dir)
        self._noticed: set[tuple[str, str]] = set()
        self.outlets: dict[str, Outlet] = {}
        self.timed_jobs: list[TimedJobs] = []
        self.timed_jobs.append(ContestTimers(self))
        self.timed_jobs.append(ReferralTimers(self))
        self.timed_jobs.append(ExpiryTimers(self))
        self.timed_jobs.append(CampaignTimers(self))
        self.timed_jobs.append(MemberDayTimers(self))
        self.timed_jobs.append(BirthdayTimers(self))
        self.timed_jobs.append(tier_perks.TierPerkTimers(self))
        self.timed_jobs.append(WinbackTimers(self))
        self.timed_jobs.append(AlertTimers(self))
        self.timed_jobs.append(NpsTimers(self))
        self.timed_jobs.append(DigestTimers(self))
        # Draws digests (charts, HTML); set by the runtime (``bot.reports.digest.render``), None where
        # nothing posts digests.
        self.renderer: DigestRenderer | None = None
        # /invite refused by the platform: when each community's moderators were last told.
        self.invite_alerts = RefusalAlerts()
        # Set by the runtime's scheduler: re-reads every source's pending rows.
        self.rearm: Callable[[], Awaitable[None]] | None = None

    async def start(self) -> None:
        """Create each configured program's ledger head and seed its config rewards (idempotent)."""
        async with self.db.unit_of_work() as session:
            for program in self.settings.programs:
                await ledger.ensure_program(session, program.id)
        await self.db.run(lambda session: reward_catalog.seed(session, self.settings.programs, utcnow()))

    def program_for(self, platform: str, community_id: str) -> Program | None:
        found = self.settings.community(platform, community_id)
        return found[0] if found else None

    async def command(self, ctx: Context, name: str, args: dict[str, Any], usage: str | None = None) -> Reply:
        """Run a declared command. ``usage`` is how the platform has members type it (Telegram's
        ``|`` between fields), quoted when an argument is missing; default ``Command.usage()``."""
        spec = BY_NAME.get(name)
        if spec is None:
            return Reply(translate("error.unknown_command", ctx.locale, command=name), ok=False)
        if spec.permission is Permission.MODERATOR and not ctx.is_moderator:
            return Reply(translate("error.not_moderator", ctx.locale, command=name), ok=False)
        for arg in spec.args:
            if arg.required and (args.get(arg.name) is None or str(args.get(arg.name)).strip() == ""):
                return Reply(translate("error.missing_argument", ctx.locale, command=name, argument=arg.name,
                                       usage=usage or spec.usage()), ok=False)
        known = {a.name: args.get(a.name) for a in spec.args}
        if spec.prepare is not None:
            try:
                known |= await spec.prepare(self, ctx, known)
            except UserError as exc:
                return Reply(translate(exc.key, ctx.locale, **exc.params), ok=False, private=spec.private)
        reply = await self._run(ctx, f"command:{name}", lambda s: spec.run(s, ctx, **known))
        if reply.ok and spec.private and not reply.private:
            reply = replace(reply, private=True)
        return await self._after(reply)

    async def action(self, ctx: Context, action: str) -> Reply:
        """A button press: run the declared action in one unit of work, like a command."""
        name, argument = actions.parse(action)
        spec = actions.BY_NAME.get(name)
        if spec is None:
            return Reply(translate("error.unknown_action", ctx.locale), ok=False, private=True)
        if spec.permission is Permission.MODERATOR and not ctx.is_moderator:
            return Reply(translate("error.not_moderator", ctx.locale, command=name), ok=False, private=True)
        reply = await self._run(ctx, f"action:{name}", lambda s: spec.run(s, ctx, argument))
        return await self._after(reply)

    def attach_outlet(self, platform: str, outlet: Outlet) -> None:
        self.outlets[platform] = outlet

    async def announce(self, program: Program, text: str, buttons: tuple[Button, ...] = ()) -> int:
        """Post in every community of the program whose platform is running; how many got it."""
        sent = 0
        for community in program.communities:
            outlet = self.outlets.get(community.platform)
            if outlet is None:
                continue
            try:
                await outlet.announce(community.id, text, buttons)
                sent += 1
            except Exception:
                log.exception("announcement failed", program=program.id, platform=community.platform,
                              community=community.id)
        return sent

    async def deliver(self, program: Program, text: str, attachments: tuple[Attachment, ...],
                      channel_of: Callable[[Community], str | None]) -> int:
        """Post a report (text, then files) in ``channel_of(community)`` of every community of the program
        whose platform is running; how many got it. A failure is logged, never raised: the other
        communities still get theirs."""
        sent = 0
        for community in program.communities:
            outlet = self.outlets.get(community.platform)
            if outlet is None:
                continue
            try:
                await outlet.deliver(community.id, channel_of(community), text, attachments)
                sent += 1
            except Exception:
                log.exception("delivery failed", program=program.id, platform=community.platform,
                              community=community.id)
        return sent

    async def notify(self, notice: Notify) -> bool:
        """Deliver a private notice on the first of the member's accounts that takes it. Buttons (and
        the program their presses run in) are passed only when the notice has some, so outlets that
        never send buttons keep the two-argument ``notify``."""
        extra = {"buttons": notice.buttons, "program_id": notice.program_id} if notice.buttons else {}
        for platform, user_id in notice.accounts:
            outlet = self.outlets.get(platform)
            try:
                if outlet is not None and await outlet.notify(user_id, notice.text, **extra):
                    return True
            except Exception:
                log.exception("notice failed", platform=platform, user=user_id)
        return False

    async def publish(self, events: Iterable[Event]) -> None:
        """Events of work no reply carries (timed jobs): notices by DM, tier changes to every platform."""
        for event in events:
            if isinstance(event, Notify):
                await self.notify(event)
            elif isinstance(event, TierChanged):
                for platform, outlet in self.outlets.items():
                    try:
                        await outlet.sync_tier(event)
                    except Exception:
                        log.exception("tier sync failed", platform=platform, member=event.member_id)
                await tier_perks.announce(self, (event,))

    async def _after(self, reply: Reply) -> Reply:
        """After the commit: deliver notices, re-arm timers; adapters see the other events."""
        await self.publish(e for e in reply.events if isinstance(e, Notify))
        await tier_perks.announce(self, reply.events)
        if any(isinstance(e, TimersChanged) for e in reply.events) and self.rearm is not None:
            await self.rearm()
        kept = tuple(e for e in reply.events if not isinstance(e, Notify | TimersChanged))
        return replace(reply, events=kept) if kept != reply.events else reply

    async def message(self, ctx: Context, message: IncomingMessage) -> MessageOutcome:
        """Points for a chat message; concurrent messages share one transaction."""
        outcome = await self.batcher.submit(ctx, message)
        await tier_perks.announce(self, outcome.events)
        return outcome

    def ugc_wanted(self, program: Program, channel_id: str, text: str) -> bool:
        """Whether a chat message is UGC to capture (a UGC channel, a UGC hashtag); adapters ask before
        downloading its files and calling ``ugc_capture``."""
        return capture.wanted(program, channel_id, text)

    async def ugc_capture(self, ctx: Context, text: str, uploads: tuple[Upload, ...],
                          permalink: str | None) -> Reply | None:
        """A captured chat message becomes a submission (``handlers.ugc.capture``); the answer, if any,
        is private (the consent request, the receipt or the refusal)."""
        reply: Reply | None = await self._run(
            ctx, "ugc:capture", lambda s: capture.capture(s, ctx, text, uploads, permalink))
        return None if reply is None else await self._after(replace(reply, private=True))

    async def reaction(self, ctx: Context, message_id: str, added: bool) -> ReactionOutcome:
        outcome: ReactionOutcome = await self.db.run(inbox.marking_done(
            lambda session: reactions.on_reaction(session, ctx, message_id, added), [ctx.inbox_id]))
        await tier_perks.announce(self, outcome.events)
        return outcome

    async def membership(self, ctx: Context, kind: str, invite: str | None = None,
                         evidence: JoinEvidence | None = None) -> int:
        """A join or leave; for a join, ``evidence`` says how the adapter attributed it to an invite. An
        exact join may have started a referral's qualification timer, so the scheduler re-arms."""
        member_id = await self.db.run(inbox.marking_done(
            lambda session: membership.record(session, ctx, kind, invite, evidence), [ctx.inbox_id]))
        if kind == "join" and evidence is not None and evidence.attribution == "exact" and self.rearm is not None:
            await self.rearm()
        return member_id

    async def invite_revoked(self, platform: str, community_id: str, invite: str, now: datetime) -> int:
        """The platform deleted an invite: if it was a member's personal link, ``/invite`` makes a new one."""
        return await self.db.run(lambda session: referral_store.revoke(session, platform, community_id, invite, now))

    async def first_notice(self, platform: str, community_id: str) -> bool:
        """True for the one caller, ever (across processes and restarts), that should tell a community
        it is not configured; the answer is kept in memory after, so a busy chat costs one write."""
        key = (platform, community_id)
        if key in self._noticed:
            return False
        first = await self.db.run(lambda session: runtime_state.claim(
            session, f"notice:unconfigured:{platform}:{community_id}", utcnow().isoformat()))
        self._noticed.add(key)
        return first

    async def flush(self) -> None:
        """Wait until every message handed in so far is committed (at shutdown)."""
        await self.batcher.flush()

    async def _run(self, ctx: Context, what: str, use_case: Any) -> Reply:
        try:
            with_media = media_store.attached(use_case, self.media)
            return await self.db.run(inbox.marking_done(with_media, [ctx.inbox_id]))
        except UserError as exc:
            return Reply(translate(exc.key, ctx.locale, **exc.params), ok=False)
        except Exception:
            log.exception("use case failed", what=what, platform=ctx.platform, community=ctx.community_id,
                          user=ctx.actor.user_id, event_id=ctx.event_id)
            return Reply(translate("error.internal", ctx.locale), ok=False)
