"""The demo's rewards, after the sample month and its contests: a moderator adds a limited reward,
the members with the most points redeem (two units for four takers: two are told it is out of stock),
try rewards they cannot have yet, and one interaction is delivered twice; the moderator fulfils one
redemption with a coupon code and rejects another, whose points come back and whose unit a waiting
member then takes.

Everything goes through the real core (``/reward add``, ``/redeem``, ``/redemptions``,
``/redemption fulfil|reject``); the DMs the core would send are kept by a recording outlet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from bot.demo.sample import Sample
from handlers.config_model import Program
from handlers.context import Actor, Context
from handlers.core import Core
from handlers.i18n import negotiate
from handlers.replies import Attachment, Button, Reply, TierChanged
from storage import members, ranking

MUG = "Launch mug"
COUPON = "ACME-MUG-7Q2X"
TAKERS = 4
_REDEMPTION = re.compile(r"redemption #(\d+)")


@dataclass(frozen=True)
class Step:
    """One command of the demo: who ran it, what they asked for, whether it was done, the answer."""

    who: str
    what: str
    ok: bool
    answer: str


@dataclass
class Recorder:
    """Stands in for the adapters' outlets: keeps the DMs members would get."""

    notified: list[str] = field(default_factory=list)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        return None

    async def notify(self, user_id: str, text: str, buttons: tuple[Button, ...] = (),
                     program_id: str | None = None) -> bool:
        self.notified.append(text)
        return True

    async def deliver(self, community_id: str, channel_id: str | None, text: str,
                      attachments: tuple[Attachment, ...] = ()) -> None:
        """No report channel in the demo: the digest is written to a file instead."""

    async def sync_tier(self, event: TierChanged) -> None:
        """No roles to sync in the demo."""


@dataclass
class Outcome:
    """What the demo's rewards did, for the report."""

    steps: list[Step] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


class RewardDemo:
    def __init__(self, core: Core, program: Program, sample: Sample) -> None:
        self.core, self.program, self.sample = core, program, sample
        self.communities = {c.platform: c.id for c in program.communities}
        self.now = max(e.at for e in sample.events) + timedelta(days=3)
        self.events = 0
        self.outcome = Outcome()

    def _ctx(self, platform: str, user_id: str, name: str, *, moderator: bool = False,
             event: str | None = None) -> Context:
        self.events += 1
        self.now += timedelta(minutes=7)
        chinese = any(ord(ch) > 0x4E00 for ch in name)
        return Context(program=self.program, platform=platform, community_id=self.communities[platform],
                       actor=Actor(platform, user_id, name, name.lower()),
                       locale=negotiate("zh" if chinese else "en"),
                       event_id=event or f"reward-demo-{self.events}", now=self.now, is_moderator=moderator)

    async def _moderate(self, name: str, args: dict[str, object]) -> Reply:
        ctx = self._ctx("discord", self.sample.moderators["discord"], "mod-ana", moderator=True)
        reply = await self.core.command(ctx, name, args)
        typed = " ".join(str(v) for v in args.values())
        self.outcome.steps.append(Step("mod-ana (moderator)", f"/{name} {typed}".strip(), reply.ok,
                                       reply.text.splitlines()[0]))
        return reply

    async def _richest(self, count: int) -> list[tuple[str, str, str]]:
        """(platform, user id, name) of the members with the most points to spend, richest first."""
        async with self.core.db.unit_of_work() as session:
            rows = await ranking.top(session, self.program.id, count)
            people = []
            for row in rows:
                accounts = await members.identities(session, row.member_id)
                if accounts:
                    people.append((accounts[0].platform, accounts[0].platform_user_id, accounts[0].display_name))
            return people

    async def _redeem(self, who: tuple[str, str, str], reward: str, shown: str, event: str | None = None) -> Reply:
        platform, user_id, name = who
        reply = await self.core.command(self._ctx(platform, user_id, name, event=event), "redeem", {"reward": reward})
        self.outcome.steps.append(Step(name, f"/redeem {shown}", reply.ok, reply.text))
        return reply

    async def run(self) -> Outcome:
        recorder = Recorder()
        for platform in self.communities:
            self.core.attach_outlet(platform, recorder)
        await self._moderate("reward add", {"name": MUG, "cost": "25", "stock": "2", "limit": "1",
                                            "description": "Limited edition, two made"})
        people = await self._richest(TAKERS + 2)
        made = []
        for n, person in enumerate(people[:TAKERS]):
            reply = await self._redeem(person, MUG, MUG, event=f"reward-demo-mug-{n}")
            found = _REDEMPTION.search(reply.text)
            if reply.ok and found:
                made.append(int(found.group(1)))
        if people:
            await self._redeem(people[0], MUG, f"{MUG} (the same interaction, delivered again)",
                               event="reward-demo-mug-0")
        for person in people[:2]:
            await self._redeem(person, "sticker-pack", "Sticker pack")
        for person in people[TAKERS:TAKERS + 2]:
            await self._redeem(person, "t-shirt", "Acme T-shirt")
        await self._moderate("redemptions", {})
        if made:
            await self._moderate("redemption fulfil", {"redemption": str(made[0]), "note": f"Your code: {COUPON}"})
            await self._moderate("redemption fulfil", {"redemption": str(made[0])})
        if len(made) > 1:
            await self._moderate("redemption reject", {"redemption": str(made[1]),
                                                       "reason": "shipping address missing"})
            if len(people) > 2:
                await self._redeem(people[2], MUG, f"{MUG} (after the refund put a unit back)")
        self.outcome.notices = recorder.notified
        return self.outcome
