"""The demo's A/B test: two texts of the win-back nudge, one of which really brings more members back.

After the sample month the win-back job (``handlers.campaigns.winback``, the
real timed job) nudges the members who went quiet; the experiment
``DEMO_EXPERIMENT`` gives each of them the plain text or the one with a
personal touch, by the deterministic assignment. The simulation then lets
each nudged member come back (a chat message through the core, inside the
conversion window) with the probability built in for their variant,
``RETURN_RATES``: the personal text truly works better, and the report
(``bot.demo.experiment_report``) shows whether the statistics see it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.demo.sample import Sample
from handlers.config_model import Program, Settings
from handlers.context import Actor, Context
from handlers.core import Core
from handlers.engagement import IncomingMessage
from handlers.replies import Attachment, Button, TierChanged
from handlers.experiments.variants import WINBACK_NUDGE, Experiment, running_for
from storage import experiments as store
from storage import members

DEMO_EXPERIMENT = Experiment.model_validate({
    "id": "winback-wording", "message": WINBACK_NUDGE, "conversion": "return", "window_hours": 72,
    "min_sample_per_variant": 30,
    "variants": [
        {"name": "plain", "weight": 50, "text": "Hi {name}, we have not seen you in {program} for {days} days.",
         "text_zh": "{name}，你已经 {days} 天没有来 {program} 了。"},
        {"name": "personal", "weight": 50,
         "text": "Hi {name}, the {program} community misses you! Tell us what you have been up to.",
         "text_zh": "{name}，{program} 社区想你了！来和大家聊聊你的近况吧。"}]})
# Win-back nudges are off by default; the demo turns them on, judging members by a shorter history (the
# sample month is short) and calling quiet sooner, so enough members are nudged for the test to decide.
DEMO_WINBACK = {"enabled": True, "factor": 2.0, "min_history_messages": 5}
# The effect built into the simulation: the share of each variant's nudged members who come back.
RETURN_RATES = {"plain": 0.15, "personal": 0.45}
# After the month the win-back job runs this many times, this many days apart (as if the daily job had
# found the same members on those days): members go quiet at their own pace.
NUDGE_RUNS = 5
NUDGE_EVERY = timedelta(days=3)
BACK = ["I'm back, what did I miss?", "Hey all, been busy but missed this place", "回来了，最近有什么新消息？",
        "Good to be back, the new release looks great"]


def with_experiment(settings: Settings) -> Settings:
    """The demo's settings: the first program tests ``DEMO_EXPERIMENT`` unless its config already tests the
    win-back nudge, and has win-back nudges on (``DEMO_WINBACK``) unless its config turns them on."""
    first = settings.programs[0]
    changes: dict[str, object] = {}
    if not any(e.message == WINBACK_NUDGE for e in first.experiments):
        changes["experiments"] = (*first.experiments, DEMO_EXPERIMENT)
    if not first.winback.enabled:
        changes["winback"] = first.winback.model_copy(update=DEMO_WINBACK)
    if not changes:
        return settings
    return settings.model_copy(update={"programs": (first.model_copy(update=changes), *settings.programs[1:])})


@dataclass
class Recorder:
    """Stands in for the adapters' outlets while the win-back job runs: keeps the DMs it sends."""

    sent: list[str] = field(default_factory=list)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        return None

    async def notify(self, user_id: str, text: str, buttons: tuple[Button, ...] = (),
                     program_id: str | None = None) -> bool:
        self.sent.append(text)
        return True

    async def deliver(self, community_id: str, channel_id: str | None, text: str,
                      attachments: tuple[Attachment, ...] = ()) -> None:
        return None

    async def sync_tier(self, event: TierChanged) -> None:
        return None


@dataclass(frozen=True)
class Outcome:
    """The experiment the demo ran, its first day of nudges, and when its results are read (every window
    closed by then)."""

    experiment: Experiment
    nudged_from: datetime
    read_at: datetime
    dms: int


class ExperimentDemo:
    def __init__(self, core: Core, program: Program, sample: Sample, seed: int) -> None:
        self.core, self.program, self.sample = core, program, sample
        self.rng = random.Random(f"experiment:{seed}")
        self.communities = {c.platform: c.id for c in program.communities}
        self.first_day = max(e.at for e in sample.events) + timedelta(days=1)
        self.returns = 0

    async def _nudge(self, now: datetime) -> None:
        """The win-back job of the day, as the scheduler runs it (nothing new if it already ran that day)."""
        for source in self.core.timed_jobs:
            if source.name == "winback":
                await source.fire(self.program.id, now)

    async def _come_back(self, member_id: int, at: datetime) -> None:
        """A chat message from the member, through the core, on their first account in the program."""
        async with self.core.db.unit_of_work() as session:
            accounts = [a for a in await members.identities(session, member_id)
                        if a.platform in self.communities]
        if not accounts:
            return
        account, self.returns = accounts[0], self.returns + 1
        event = f"ab-back-{self.returns}"
        actor = Actor(account.platform, account.platform_user_id, account.display_name, account.username)
        ctx = Context(program=self.program, platform=account.platform,
                      community_id=self.communities[account.platform], actor=actor, locale="en", event_id=event,
                      now=at, channel_id="general")
        await self.core.message(ctx, IncomingMessage(event, self.rng.choice(BACK)))

    async def run(self) -> Outcome | None:
        """Nudge every few days after the month (members go quiet at their own pace); those nudged come
        back with their variant's probability, within the conversion window. None when the config's own
        win-back experiment does not run then."""
        experiment = running_for(self.program.experiments, WINBACK_NUDGE, self.first_day)
        if experiment is None:
            return None
        recorder = Recorder()
        outlets, self.core.outlets = self.core.outlets, {c.platform: recorder for c in self.program.communities}
        try:
            await self._days(experiment)
        finally:
            self.core.outlets = outlets
        async with self.core.db.unit_of_work() as session:
            exposed = await store.exposed_members(session, self.program.id, experiment.id)
        last = max((at for _, _, at in exposed), default=self.first_day)
        return Outcome(experiment, self.first_day, last + timedelta(hours=experiment.window_hours + 1),
                       len(recorder.sent))

    async def _days(self, experiment: Experiment) -> None:
        """Each run's newly nudged members come back, or not, by their variant's rate."""
        seen: set[int] = set()
        for run in range(NUDGE_RUNS):
            now = self.first_day + run * NUDGE_EVERY
            await self._nudge(now)
            async with self.core.db.unit_of_work() as session:
                exposed = await store.exposed_members(session, self.program.id, experiment.id)
            for member_id, variant, at in exposed:
                if member_id in seen:
                    continue
                seen.add(member_id)
                if self.rng.random() < RETURN_RATES.get(variant, 0.0):
                    back = at + timedelta(hours=self.rng.uniform(1, experiment.window_hours - 1))
                    await self._come_back(member_id, back)
        await self.core.flush()
