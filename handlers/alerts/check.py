"""One check of a program's channels: read the aggregates, decide, then open and close incidents.

A check reads first (``assess``: the baseline from the hourly rollup, the last
hour live, the open incidents, samples for what would alert), then writes in
one short unit of work together with the claim of its timed row (``apply``,
called by ``handlers.alerts.schedule``), so an incident opens or closes
together with the claim or not at all, and the transaction that writes them
counts nothing.
An incident is a row (``storage.alerts``): while it is open the channel's
spike raises nothing more, however many checks still see it, also after a
restart; the check that finds it subsided closes it and words the recovery
notice. Opening and closing are compare-and-sets, so an incident a
concurrent check opened or closed between the reads and the writes is not
announced twice. Notices are sent after the commit, each to the moderators'
channel of the one community the channel belongs to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.alerts import stats
from handlers.alerts.rollup import Window
from handlers.alerts.stats import Reading
from handlers.config_model import Community, Program
from handlers.i18n import translate
from storage import alerts
from storage.alerts import NEGATIVE, AlertIncident, Bucket, Sample

SAMPLES = 3
SAMPLE_CHARS = 200
Channel = tuple[str, str, str]  # platform, community id, channel id


@dataclass(frozen=True)
class Notice:
    """An alert or recovery notice for the moderators of one community."""

    platform: str
    community_id: str
    text: str


def community_of(program: Program, platform: str, community_id: str) -> Community | None:
    return next((c for c in program.communities if c.platform == platform and c.id == community_id), None)


def channel_label(program: Program, platform: str, community_id: str, channel_id: str) -> str:
    """How moderators recognise the channel: a Discord channel mention (a link in the client); on Telegram,
    where a message's channel is the group itself, the group's configured name."""
    if platform == "discord":
        return f"<#{channel_id}>"
    community = community_of(program, platform, community_id)
    return translate("alerts.channel", program.locale, channel=(community.name if community and community.name
                                                                 else channel_id))


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SAMPLE_CHARS else flat[:SAMPLE_CHARS - 1] + "…"


def alert_text(program: Program, channel: str, reading: Reading, samples: list[Sample]) -> str:
    locale = program.locale
    key = "alerts.negative" if reading.kind == NEGATIVE else "alerts.volume"
    lines = [translate(key, locale, channel=channel, share=reading.value, messages=reading.messages,
                       mean=reading.mean, z=reading.z)]
    if samples:
        lines.append(translate(f"alerts.samples.{reading.kind}", locale))
        lines += [translate("alerts.sample", locale, author=s.author, time=s.at.strftime("%H:%M"),
                            text=_one_line(s.text)) for s in samples]
    return "\n".join(lines)


def recovery_text(program: Program, channel: str, incident: AlertIncident, reading: Reading | None) -> str:
    """With no reading left (the channel fell silent for the whole window), the hour had nothing and the
    usual level is the one the alert quoted."""
    value, mean = (reading.value, reading.mean) if reading is not None else (0.0, incident.mean)
    return translate(f"alerts.recovered.{incident.kind}", program.locale, channel=channel, share=value,
                     messages=int(value), mean=mean)


def _by_channel(buckets: list[Bucket]) -> dict[Channel, dict[int, Bucket]]:
    channels: dict[Channel, dict[int, Bucket]] = defaultdict(dict)
    for b in buckets:
        channels[(b.platform, b.community_id, b.channel_id)][b.hours_ago] = b
    return channels


@dataclass(frozen=True)
class Raise:
    """Open an incident for a spike, with the samples to show."""

    channel: Channel
    reading: Reading
    samples: list[Sample]


@dataclass(frozen=True)
class Close:
    """Close an open incident; ``reading`` is None when nothing of the channel is left in the window."""

    incident: AlertIncident
    reading: Reading | None


Action = Raise | Close


async def buckets(session: AsyncSession, program_id: str, window: Window) -> list[Bucket]:
    """The baseline's hours from the rollup (``handlers.alerts.rollup.refresh`` brought it up to date) and the
    last hour live from the messages."""
    return [*await alerts.rolled_hours(session, program_id, window.start, window.end),
            *await alerts.last_hour(session, program_id, window.last_hour, window.now)]


async def assess(session: AsyncSession, program: Program, window: Window) -> list[Action]:
    """Test every channel of the program as of ``window.now``: what to open and close. Reads only."""
    settings = program.alerts
    channels = _by_channel(await buckets(session, program.id, window))
    open_now = {(i.platform, i.community_id, i.channel_id, i.kind): i for i in await alerts.open_incidents(
        session, program.id)}
    actions: list[Action] = []
    for channel, hours in channels.items():
        if community_of(program, channel[0], channel[1]) is None:
            continue
        for reading in stats.readings(hours, settings):
            incident = open_now.pop((*channel, reading.kind), None)
            if incident is None and stats.raises(reading, settings):
                samples = await alerts.samples(session, program.id, *channel, window.last_hour, window.now,
                                               reading.kind, SAMPLES)
                actions.append(Raise(channel, reading, samples))
            elif incident is not None and stats.subsided(reading, settings):
                actions.append(Close(incident, reading))
    # No reading any more: nothing left of the spike to test.
    actions += [Close(incident, None) for incident in open_now.values()]
    return actions


async def apply(session: AsyncSession, program: Program, now: datetime,
                actions: list[Action]) -> list[Notice]:
    """Open and close the incidents ``assess`` found; the notices to send once this commits."""
    notices: list[Notice] = []
    for action in actions:
        if isinstance(action, Raise):
            notices += await _raise(session, program, action, now)
        else:
            notices += await _close(session, program, action.incident, action.reading, now)
    return notices


async def _raise(session: AsyncSession, program: Program, action: Raise, now: datetime) -> list[Notice]:
    platform, community_id, channel_id = action.channel
    reading = action.reading
    opened = await alerts.open_incident(session, program_id=program.id, platform=platform,
                                        community_id=community_id, channel_id=channel_id, kind=reading.kind,
                                        value=reading.value, messages=reading.messages, mean=reading.mean,
                                        std=reading.std, z=reading.z, opened_at=now)
    if not opened:
        return []
    label = channel_label(program, platform, community_id, channel_id)
    return [Notice(platform, community_id, alert_text(program, label, reading, action.samples))]


async def _close(session: AsyncSession, program: Program, incident: AlertIncident, reading: Reading | None,
                 now: datetime) -> list[Notice]:
    value, z = (reading.value, reading.z) if reading is not None else (0.0, 0.0)
    if not await alerts.close_incident(session, incident.id, now, value, z):
        return []
    label = channel_label(program, incident.platform, incident.community_id, incident.channel_id)
    return [Notice(incident.platform, incident.community_id, recovery_text(program, label, incident, reading))]
