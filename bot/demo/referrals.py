"""The demo's referrals: personal invite links, joins as the adapters would report them, and the
scheduled qualification, with one referral ending in each outcome and each reason.

Everything goes through the real core (``/invite`` against a recording outlet
that makes invite links, ``Core.membership`` with the adapters'
``JoinEvidence``) and the real scheduler on a demo clock. The referred
members who qualify are sample members, shown as having joined through an
invite the day before the month: their own chatter in the month is what
qualifies them, so the demo adds no chat messages of its own. The other
joins are new accounts that never chat, after the month.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.demo.sample import START, Person, Sample
from bot.demo.timers import own_timers
from bot.scheduler import Scheduler
from handlers.config_model import Program
from handlers.context import Actor, Context
from handlers.core import Core
from handlers.i18n import negotiate
from handlers.membership import JoinEvidence
from handlers.replies import Attachment, Button, TierChanged

INVITERS = 3
REFERRED = 4
OLD_ACCOUNT = timedelta(days=900)
YOUNG_ACCOUNT = timedelta(days=2)
_URL = re.compile(r"https://\S+")
SOURCES = ("referrals",)


@dataclass
class LinkMaker:
    """Stands in for the adapters' outlets: makes invite links, keeps what would have been sent."""

    made: int = 0
    notified: list[str] = field(default_factory=list)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        """Nothing to post: every invite is granted in the demo."""

    async def notify(self, user_id: str, text: str, buttons: tuple[Button, ...] = (),
                     program_id: str | None = None) -> bool:
        self.notified.append(text)
        return True

    async def deliver(self, community_id: str, channel_id: str | None, text: str,
                      attachments: tuple[Attachment, ...] = ()) -> None:
        """No report channel in the demo: the digest is written to a file instead."""

    async def sync_tier(self, event: TierChanged) -> None:
        """A referral payout that lifts a tier: no roles to sync in the demo."""

    async def create_invite(self, community_id: str, name: str) -> str:
        self.made += 1
        if community_id.startswith("-"):
            return f"https://t.me/+AcmeRef{self.made:03d}"
        return f"https://discord.gg/acme{self.made:03d}"


@dataclass
class Outcome:
    """What the demo's referrals did, for the report."""

    links: int
    notices: list[str]


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class ReferralDemo:
    def __init__(self, core: Core, program: Program, sample: Sample) -> None:
        self.core, self.program, self.sample = core, program, sample
        self.communities = {c.platform: c.id for c in program.communities}
        self.clock = _Clock(max(e.at for e in sample.events) + timedelta(days=5))
        self.events = 0

    def _ctx(self, platform: str, user_id: str, name: str, now: datetime) -> Context:
        self.events += 1
        chinese = any(ord(ch) > 0x4E00 for ch in name)
        return Context(program=self.program, platform=platform, community_id=self.communities[platform],
                       actor=Actor(platform, user_id, name, name.lower()),
                       locale=negotiate("zh" if chinese else "en"), event_id=f"referral-demo-{self.events}",
                       now=now, channel_id="general")

    def _active(self) -> list[Person]:
        """People who chatted in the month, most active first."""
        spoke = Counter(e.user_id for e in self.sample.events if e.kind == "message")
        people = [p for p in self.sample.people if any(spoke[u] for u in p.accounts.values())]
        return sorted(people, key=lambda p: -sum(spoke[u] for u in p.accounts.values()))

    async def _invite(self, person: Person, platform: str) -> str:
        reply = await self.core.command(self._ctx(platform, person.accounts[platform], person.name, self.clock.now),
                                        "invite", {})
        found = _URL.search(reply.text)
        if not reply.ok or found is None:
            raise RuntimeError(f"the demo could not get an invite link: {reply.text}")
        return found.group(0)

    async def _join(self, platform: str, user_id: str, name: str, at: datetime, evidence: JoinEvidence) -> None:
        await self.core.membership(self._ctx(platform, user_id, name, at), "join", invite=evidence.invite,
                                   evidence=evidence)

    async def _leave(self, platform: str, user_id: str, name: str, at: datetime) -> None:
        await self.core.membership(self._ctx(platform, user_id, name, at), "leave")

    @staticmethod
    def _exact(url: str, at: datetime, age: timedelta = OLD_ACCOUNT) -> JoinEvidence:
        code = url.rsplit("/", 1)[1]
        if "t.me" in url:
            return JoinEvidence("exact", f"chat_member invite_link {url}", invite=url)
        return JoinEvidence("exact", f"invite {code} rose by one ({code} 0->1)", invite=code,
                            account_created_at=at - age)

    async def run(self) -> Outcome:
        """The referrals' own timers only (``bot.demo.timers``): the other timed jobs have their sections."""
        with own_timers(self.core, self.clock, SOURCES) as scheduler:
            return await self._run(scheduler)

    async def _run(self, scheduler: Scheduler) -> Outcome:
        maker = LinkMaker()
        for platform in self.communities:
            self.core.attach_outlet(platform, maker)
        active = self._active()
        inviters = [p for p in active if "discord" in p.accounts][:INVITERS]
        if not inviters:
            return Outcome(0, [])
        before_month = START - timedelta(days=1)
        self.clock.now = before_month - timedelta(hours=1)
        links = [await self._invite(p, "discord") for p in inviters]
        referred = [p for p in active if "discord" in p.accounts and p not in inviters][:REFERRED]
        for n, person in enumerate(referred):
            url = links[n % len(links)]
            await self._join("discord", person.accounts["discord"], person.name, before_month,
                             self._exact(url, before_month))
        self.clock.now = max(e.at for e in self.sample.events) + timedelta(days=5)
        await scheduler.run_due()  # the month is over: the sample members qualified, or not, by their chatter
        await self._newcomers(links, inviters, [p for p in active if p not in referred])
        self.clock.now += timedelta(days=1)
        if referred:
            await self._leave("discord", referred[0].accounts["discord"], referred[0].name, self.clock.now)
        self.clock.now += timedelta(days=self.program.referrals.qualify_within_days + 1)
        await scheduler.run_due()
        return Outcome(maker.made, maker.notified)

    async def _newcomers(self, links: list[str], inviters: list[Person], others: list[Person]) -> None:
        """Joins after the month that are never credited, one for each reason, and one that stays pending
        until it is rejected as inactive. ``others``: active members who were not referred."""
        now, discord = self.clock.now, "discord"
        first = inviters[0]
        await self._join(discord, first.accounts[discord], first.name, now, self._exact(links[0], now))
        regular = next((p for p in others if discord in p.accounts and p not in inviters), None)
        if regular is not None:
            await self._join(discord, regular.accounts[discord], regular.name, now,
                             self._exact(links[-1], now))
        telegram_link = await self._invite(first, "telegram") if "telegram" in first.accounts else None
        codes = ", ".join(sorted({url.rsplit("/", 1)[1] for url in links[:2]}))
        newcomers = [
            ("950000000000000001", "newbie-young", self._exact(links[-1], now, YOUNG_ACCOUNT)),
            ("950000000000000002", "newbie-quiet", self._exact(links[-1], now)),
            ("950000000000000003", "newbie-leaver", self._exact(links[0], now)),
            ("950000000000000004", "newbie-crowd", JoinEvidence(
                "ambiguous", f"2 uses could be this join's, candidates: {codes}")),
            ("950000000000000005", "newbie-vanity", JoinEvidence(
                "unattributed", "only the vanity URL's use count rose (vanity URL 40->41)")),
            ("950000000000000006", "newbie-event", JoinEvidence(
                "exact", "invite launch rose by one (launch 12->13)", invite="launch")),
        ]
        for user_id, name, evidence in newcomers:
            await self._join(discord, user_id, name, now, evidence)
        await self._leave(discord, "950000000000000003", "newbie-leaver", now + timedelta(hours=5))
        if telegram_link is not None:
            await self._join("telegram", "8000001", "newbie-telegram", now, self._exact(telegram_link, now))
