"""The Discord side of UGC and contests, end to end: discord.py against the local fake Discord.

The first tests pin the adapter's generic machinery with a probe command
table (a command group, an attachment option, a choice, a button action), so
they hold whatever commands the features declare: slash groups and options,
downloads before the core runs, buttons that still work after a restart,
announcements, DMs and automatic capture. The flow tests after them run the
real UGC and contest commands.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import handlers.core
from bot.discord import slash
from bot.discord.client import EngageBot
from bot.discord.outlet import DiscordOutlet
from bot.scheduler import Scheduler
from handlers import actions
from handlers.command_types import Action, Arg, ArgType, Command, Group
from handlers.config_model import Community, Program, Rules, Settings, UgcSettings
from handlers.context import Context
from handlers.core import Core
from handlers.media import Upload
from handlers.replies import Button, Notify, Reply
from storage.database import Database
from storage.models import LedgerEntry, Message, Reason
from storage.ugc import UgcSubmission
from tests.conftest import reset_schema
from tests.fakes.discord_api import FakeDiscord
from tests.probe import DbProbe

GUILD, CHANNEL = "100000000000000001", "100000000000000010"
ALICE, BOB, CAROL = "1001", "1002", "1003"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
LIMIT = 1024 * 1024


async def _probe_file(session: AsyncSession, ctx: Context, file: Upload, mode: str | None) -> Reply:
    """Echoes what the core got: the file's name, kind and sha256 (or "none"), the choice, the permalink."""
    digest = hashlib.sha256(file.data).hexdigest() if file.data is not None else "none"
    text = f"{file.filename} {file.kind} {digest} {mode} {ctx.extra.get('permalink')}"
    return Reply(text, buttons=(Button("Press me", f"probe:{ctx.event_id}"),))


async def _probe_press(session: AsyncSession, ctx: Context, argument: str) -> Reply:
    return Reply(f"pressed {argument} by {ctx.actor.user_id} in {ctx.community_id}")


PROBE_GROUP = Group("probe", "cmd.help")
PROBE_FILE = Command("probe file", "cmd.help", _probe_file, (
    Arg("mode", ArgType.CHOICE, "arg.reason", required=False, choices=("fast", "slow")),
    Arg("file", ArgType.ATTACHMENT, "arg.reason")))
PROBE_ACTION = Action("probe", _probe_press)


@dataclass
class Harness(DbProbe):
    fake: FakeDiscord
    core: Core
    settings: Settings
    gallery: str
    bot: EngageBot | None = None
    task: asyncio.Task[None] | None = None

    async def start(self) -> EngageBot:
        self.bot = EngageBot(self.core, self.settings, guild_ready_timeout=0.05)
        self.task = asyncio.create_task(self.bot.start("fake-token"))
        bot = self.bot
        await self.fake.wait_for(lambda: bot.is_ready() and GUILD in self.fake.synced)
        return bot

    async def stop(self) -> None:
        assert self.bot is not None and self.task is not None
        await self.bot.close()
        await self.task

    @property
    def program(self) -> Program:
        return self.settings.programs[0]


@pytest.fixture
async def harness(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    monkeypatch.setattr(slash, "COMMANDS", slash.COMMANDS + (PROBE_FILE,))
    monkeypatch.setattr(slash, "GROUPS", slash.GROUPS + (PROBE_GROUP,))
    monkeypatch.setitem(handlers.core.BY_NAME, PROBE_FILE.name, PROBE_FILE)
    monkeypatch.setitem(actions.BY_NAME, PROBE_ACTION.name, PROBE_ACTION)
    fake = FakeDiscord(GUILD, CHANNEL)
    fake.add_role("Moderator")
    fake.add_member(ALICE, "alice")
    fake.add_member(BOB, "bob")
    fake.add_member(CAROL, "carol", (fake.role_id("Moderator"),))
    announcements = fake.add_channel("announcements")
    gallery = fake.add_channel("gallery")
    base = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))
    settings = Settings(media_dir=str(tmp_path / "media"), programs=(Program(
        id="acme", name="Acme", rules=Rules(cooldown_seconds=0, min_message_length=5, ugc_approved_points=50),
        communities=(Community(platform="discord", id=GUILD, announce_channel=announcements),),
        moderator_roles=("Moderator",),
        ugc=UgcSettings(channels=(gallery,), hashtags=("#acmeugc",), max_media_bytes=LIMIT)),))
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/discord.db")
    await reset_schema(db)
    core = Core(settings, db)
    await core.start()
    harness = Harness(fake, core, settings, gallery)
    await harness.start()
    yield harness
    await harness.stop()
    await fake.stop()
    await db.dispose()


def _file_option(attachment: dict[str, Any]) -> dict[str, Any]:
    return {"name": "file", "type": 11, "value": attachment["id"]}


async def test_groups_attachments_and_choices_become_slash_options(harness: Harness) -> None:
    synced = {c["name"]: c for c in harness.fake.synced[GUILD]}
    assert "probe file" not in synced and synced["probe"]["description"] == "List the commands"
    (sub,) = synced["probe"]["options"]
    assert (sub["type"], sub["name"]) == (1, "file")
    options = [(o["name"], o["type"], o["required"]) for o in sub["options"]]
    assert options == [("file", 11, True), ("mode", 3, False)]
    assert [c["value"] for c in sub["options"][1]["choices"]] == ["fast", "slow"]


async def test_attachment_is_downloaded_before_the_core_runs(harness: Harness) -> None:
    png = harness.fake.attachment("meetup.png", PNG)
    iid = await harness.fake.command(ALICE, "probe file", [_file_option(png),
                                                           {"name": "mode", "type": 3, "value": "slow"}])
    answer = await harness.fake.answer(iid)
    assert harness.fake.interaction_replies[iid]["type"] == 5  # deferred while downloading
    permalink = f"https://discord.com/channels/{GUILD}/{CHANNEL}"
    assert answer["content"] == f"meetup.png image {hashlib.sha256(PNG).hexdigest()} slow {permalink}"
    assert harness.fake.cdn_hits == [png["id"]]


@pytest.mark.parametrize(("name", "mime", "extra", "kind"), [("film.mp4", "video/mp4", 1, "video"),
                                                             ("tool.zip", "application/zip", 0, "document")])
async def test_attachment_the_core_refuses_is_never_downloaded(harness: Harness, name: str, mime: str,
                                                               extra: int, kind: str) -> None:
    """Over the limit, or of a type the program does not keep: the core gets no data."""
    big = harness.fake.attachment(name, b"x" * 10, mime, size=harness.program.ugc.max_media_bytes + extra)
    iid = await harness.fake.command(ALICE, "probe file", [_file_option(big)])
    answer = await harness.fake.answer(iid)
    assert answer["content"].startswith(f"{name} {kind} none None")
    assert harness.fake.cdn_hits == [] and harness.fake.interaction_replies[iid]["type"] == 4


async def test_attachment_that_cannot_be_fetched_is_answered_not_passed_on(harness: Harness) -> None:
    """A signed URL that expired (the CDN answers 404): a private apology, the core never runs."""
    gone = harness.fake.attachment("old.png", PNG)
    harness.fake.expired.add(gone["id"])
    answer = await harness.fake.answer(await harness.fake.command(ALICE, "probe file", [_file_option(gone)]))
    assert answer["content"].startswith("Something went wrong on our side") and answer["flags"] & 64


async def test_buttons_are_components_and_presses_survive_a_restart(harness: Harness) -> None:
    png = harness.fake.attachment("a.png", PNG)
    iid = await harness.fake.command(ALICE, "probe file", [_file_option(png)])
    message = await harness.fake.answer_message(iid)
    assert harness.fake.buttons(message) == {"Press me": f"probe:{iid}"}
    await harness.stop()
    await harness.start()
    pressed = await harness.fake.answer(await harness.fake.press(BOB, message, f"probe:{iid}"))
    assert pressed["content"] == f"pressed {iid} by {BOB} in {GUILD}" and pressed["flags"] & 64


async def test_unknown_button_is_refused_privately(harness: Harness) -> None:
    message = harness.fake._message(CHANNEL, {"content": "old", "components": [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": "Gone", "custom_id": "retired:1"}]}]})
    answer = await harness.fake.answer(await harness.fake.press(ALICE, message, "retired:1"))
    assert "no longer valid" in answer["content"] and answer["flags"] & 64


async def test_announcements_go_to_the_announce_channel_with_buttons(harness: Harness) -> None:
    (announce_channel,) = [c for c, name in harness.fake.channels.items() if name == "announcements"]
    text = "Contest @everyone starts"
    sent = await harness.core.announce(harness.program, text, (Button("Vote", "probe:9"),))
    assert sent == 1
    (message,) = [m for m in harness.fake.sent if m["channel_id"] == announce_channel]
    body = next(b for kind, b in harness.fake.posted if kind == "channel" and b["content"] == text)
    assert body["allowed_mentions"]["parse"] == [] and harness.fake.buttons(message) == {"Vote": "probe:9"}
    pressed = await harness.fake.answer(await harness.fake.press(ALICE, message, "probe:9"))
    assert pressed["content"] == f"pressed 9 by {ALICE} in {GUILD}"


async def test_announcement_without_a_configured_channel_uses_the_system_channel(harness: Harness) -> None:
    assert harness.bot is not None
    plain = harness.settings.model_copy(update={"programs": (harness.program.model_copy(update={
        "communities": (Community(platform="discord", id=GUILD),)}),)})
    await DiscordOutlet(harness.bot, plain).announce(GUILD, "Contest ended")
    assert [m["channel_id"] for m in harness.fake.sent if m["content"] == "Contest ended"] == [CHANNEL]


async def test_notices_are_dms_and_closed_dms_report_undelivered(harness: Harness) -> None:
    assert await harness.core.notify(Notify((("discord", ALICE),), "Your submission was approved"))
    assert [m["content"] for m in harness.fake.dms[ALICE]] == ["Your submission was approved"]
    harness.fake.closed_dms.add(BOB)
    assert not await harness.core.notify(Notify((("discord", BOB),), "Your submission was rejected"))
    assert BOB not in harness.fake.dms


# --- UGC ---------------------------------------------------------------------------------------------

async def _consent_by_button(harness: Harness, uid: str) -> None:
    """A text /submit before consent is refused with the terms and the button; pressing it agrees."""
    iid = await harness.fake.command(uid, "submit", [{"name": "text", "type": 3, "value": "hello"}])
    message = await harness.fake.answer_message(iid)
    (custom_id,) = harness.fake.buttons(message).values()
    agreed = await harness.fake.answer(await harness.fake.press(uid, message, custom_id))
    assert "accepted the content terms" in agreed["content"]


async def _submission(harness: Harness) -> UgcSubmission:
    async with harness.core.db.unit_of_work() as session:
        (row,) = (await session.scalars(select(UgcSubmission))).all()
        return row


async def test_submit_with_attachment_after_consent_stores_the_served_bytes(harness: Harness) -> None:
    art = harness.fake.attachment("fan art.png", PNG)
    options = [{"name": "text", "type": 3, "value": "my fan art"}, _file_option(art) | {"name": "media"}]
    refused = await harness.fake.answer_message(await harness.fake.command(ALICE, "submit", options))
    assert "press “I agree”" in refused["content"] and refused["flags"] & 64
    assert harness.fake.buttons(refused) == {"I agree": "ugc.consent"}
    assert await harness.count(UgcSubmission) == 0
    agreed = await harness.fake.answer(await harness.fake.press(ALICE, refused, "ugc.consent"))
    assert "accepted the content terms" in agreed["content"] and agreed["flags"] & 64
    received = await harness.fake.answer(await harness.fake.command(ALICE, "submit", options))
    assert received["content"] == "Submission #1 received, pending review."
    row = await _submission(harness)
    assert (row.media_sha256, row.media_filename, row.media_size) == (hashlib.sha256(PNG).hexdigest(),
                                                                      "fan art.png", len(PNG))
    assert row.permalink == f"https://discord.com/channels/{GUILD}/{CHANNEL}"
    assert harness.core.media.path(row.media_sha256, "image/png").read_bytes() == PNG


async def test_submit_over_the_limit_is_refused_naming_it_and_nothing_is_fetched(harness: Harness) -> None:
    await _consent_by_button(harness, ALICE)
    huge = harness.fake.attachment("film.mp4", b"\0" * 16, "video/mp4", size=3 * LIMIT)
    answer = await harness.fake.answer(await harness.fake.command(
        ALICE, "submit", [_file_option(huge) | {"name": "media"}]))
    assert answer["content"] == "The file film.mp4 is 3 MB, over the 1 MB limit; nothing was stored."
    assert answer["flags"] & 64 and harness.fake.cdn_hits == []
    assert await harness.count(UgcSubmission) == 0 and not (Path(harness.settings.media_dir)).exists()


async def test_moderator_approves_once_author_gets_a_dm_and_members_are_refused(harness: Harness) -> None:
    await _consent_by_button(harness, ALICE)
    await harness.fake.answer(await harness.fake.command(
        ALICE, "submit", [{"name": "text", "type": 3, "value": "a poem about our community"}]))
    denied = await harness.fake.answer(await harness.fake.command(
        BOB, "ugc approve", [{"name": "submission", "type": 4, "value": 1}]))
    assert "Only moderators can use /ugc approve" in denied["content"] and denied["flags"] & 64
    approved = await harness.fake.answer(await harness.fake.command(
        CAROL, "ugc approve", [{"name": "submission", "type": 4, "value": 1}]))
    assert approved["content"] == "Submission #1 by alice approved (+50 points)."
    again = await harness.fake.answer(await harness.fake.command(
        CAROL, "ugc approve", [{"name": "submission", "type": 4, "value": 1}]))
    assert again["content"] == "Submission #1 was already reviewed: it is approved."
    dms = await harness.fake.wait_for(lambda: harness.fake.dms.get(ALICE))
    assert [m["content"] for m in dms] == ["Your submission #1 to Acme was approved: +50 points."]
    assert await harness.count(LedgerEntry, LedgerEntry.reason == Reason.UGC_APPROVED) == 1
    assert (await _submission(harness)).reviewer == f"discord:{CAROL}"


async def test_auto_capture_in_a_ugc_channel_asks_consent_by_dm_then_stores(harness: Harness) -> None:
    chat = harness.fake.attachment("cat.png", PNG)
    await harness.fake.say(ALICE, "just chatting with a picture", attachments=[chat])
    first = harness.fake.attachment("art.png", PNG)
    await harness.fake.say(ALICE, "my fan art", channel=harness.gallery, attachments=[first])
    (asked,) = await harness.fake.wait_for(lambda: harness.fake.dms.get(ALICE))
    assert "press “I agree”" in asked["content"]
    assert harness.fake.buttons(asked) == {"I agree": f"{GUILD}#ugc.consent"}
    assert await harness.count(UgcSubmission) == 0 and harness.fake.cdn_hits == [first["id"]]
    agreed = await harness.fake.answer(await harness.fake.press(ALICE, asked, f"{GUILD}#ugc.consent"))
    assert "accepted the content terms" in agreed["content"]
    again = harness.fake.attachment("art.png", PNG)
    mid = await harness.fake.say(ALICE, "my fan art, again", channel=harness.gallery, attachments=[again])
    await harness.settle(UgcSubmission, 1)
    row = await _submission(harness)
    assert row.permalink == f"https://discord.com/channels/{GUILD}/{harness.gallery}/{mid}"
    assert harness.core.media.path(row.media_sha256 or "", "image/png").read_bytes() == PNG
    receipt = await harness.fake.wait_for(lambda: harness.fake.dms[ALICE][1:])
    assert receipt[0]["content"] == "Submission #1 received, pending review."
    redelivered = next(e["d"] for e in harness.fake.log if e["t"] == "MESSAGE_CREATE" and e["d"]["id"] == mid)
    await harness.fake.dispatch("MESSAGE_CREATE", redelivered)  # a replay is not captured again
    await harness.fake.say(BOB, "our meetup was great #acmeugc")
    (bob_asked,) = await harness.fake.wait_for(lambda: harness.fake.dms.get(BOB))
    assert "press “I agree”" in bob_asked["content"] and chat["id"] not in harness.fake.cdn_hits
    assert len(harness.fake.dms[ALICE]) == 2 and await harness.count(UgcSubmission) == 1


async def test_a_post_in_a_thread_of_a_ugc_channel_is_captured_for_that_channel(harness: Harness) -> None:
    await _consent_by_button(harness, ALICE)
    post = await harness.fake.open_thread(harness.gallery, "my cosplay")
    await harness.fake.wait_for(lambda: harness.bot and harness.bot.get_channel(int(post)))
    mid = await harness.fake.say(ALICE, "finished my cosplay at last", channel=post)
    await harness.settle(UgcSubmission, 1)
    row = await _submission(harness)
    assert row.channel_id == harness.gallery
    assert row.permalink == f"https://discord.com/channels/{GUILD}/{post}/{mid}"


# --- contests ----------------------------------------------------------------------------------------

def _text_options(**values: str) -> list[dict[str, Any]]:
    return [{"name": name, "type": 3, "value": value} for name, value in values.items()]


async def test_contest_runs_on_schedule_with_button_entries_votes_and_winners(harness: Harness) -> None:
    """Create, start (announcement with its Enter button), enter and vote by buttons, end (winners,
    prize paid once). Time moves by dating interactions and by ``Scheduler.run_due``; nothing sleeps."""
    scheduler = Scheduler()
    for source in harness.core.timed_jobs:
        scheduler.add_source(source)
    (announce_channel,) = [c for c, name in harness.fake.channels.items() if name == "announcements"]
    for uid in (BOB, CAROL):  # voters must have been around for a day before they vote
        await harness.fake.say(uid, f"hello from {uid}, glad to be here")
    await harness.settle(Message, 2)
    now = datetime.now(UTC)
    options = _text_options(title="Best meetup photo", description="Show us your meetup", start="+2d", end="+3d",
                            entry_type="plain", voting="members")
    options += [{"name": "winners", "type": 4, "value": 1}, {"name": "prize", "type": 4, "value": 100}]
    created = await harness.fake.answer(await harness.fake.command(CAROL, "contest create", options, at=now))
    assert created["content"].startswith("Contest #1 “Best meetup photo” created")
    start, end = now + timedelta(days=2), now + timedelta(days=3)
    assert await scheduler.run_due(_naive(start - timedelta(minutes=1))) == 0
    assert await scheduler.run_due(_naive(start + timedelta(seconds=1))) == 1
    (opened,) = [m for m in harness.fake.sent if m["channel_id"] == announce_channel]
    assert opened["content"].startswith("Contest #1 “Best meetup photo” is open until")
    assert harness.fake.buttons(opened) == {"Enter contest #1": "contest.enter:1"}

    during = start + timedelta(hours=1)
    entered = await harness.fake.answer_message(
        await harness.fake.press(ALICE, opened, "contest.enter:1", at=during))
    assert entered["content"] == "alice entered contest #1 “Best meetup photo” as entry #1."
    assert entered["flags"] & 64
    assert harness.fake.buttons(entered) == {"Vote for entry #1": "contest.vote:1"}
    own = await harness.fake.answer(await harness.fake.press(ALICE, entered, "contest.vote:1", at=during))
    assert own["content"] == "You cannot vote for your own entry #1." and own["flags"] & 64
    await harness.fake.answer(await harness.fake.press(BOB, opened, "contest.enter:1", at=during))
    shown = await harness.fake.answer_message(await harness.fake.command(
        CAROL, "contest show", [{"name": "contest", "type": 4, "value": 1}], at=during))
    assert {"Vote for entry #1": "contest.vote:1", "Vote for entry #2": "contest.vote:2"}.items() <= \
        harness.fake.buttons(shown).items()
    for voter in (BOB, CAROL):
        voted = await harness.fake.answer(await harness.fake.press(voter, shown, "contest.vote:1", at=during))
        assert voted["content"] == "Your vote for entry #1 in contest #1 “Best meetup photo” is counted."
    twice = await harness.fake.answer(await harness.fake.press(BOB, shown, "contest.vote:1", at=during))
    assert twice["content"] == "You already voted for entry #1."

    assert await scheduler.run_due(_naive(end + timedelta(seconds=1))) == 1
    assert await scheduler.run_due(_naive(end + timedelta(minutes=5))) == 0
    late = await harness.fake.answer(await harness.fake.press(
        BOB, shown, "contest.vote:2", at=end + timedelta(minutes=1)))
    assert late["content"] == "Voting in contest #1 is over."
    _, closed = [m for m in harness.fake.sent if m["channel_id"] == announce_channel]
    assert closed["content"].splitlines()[:3] == ["Contest #1 “Best meetup photo” has ended: 2 entries took part.",
                                                  "Winners:", "1. alice, entry #1 (2 votes)"]
    assert "100 points paid to each winner." in closed["content"] and harness.fake.buttons(closed) == {}
    (won,) = await harness.fake.wait_for(lambda: harness.fake.dms.get(ALICE))
    assert won["content"].startswith("You won place 1 in contest #1")
    assert await harness.count(LedgerEntry, LedgerEntry.reason == Reason.CONTEST_WIN) == 1


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


async def test_every_declared_command_is_accepted_by_discord(harness: Harness) -> None:
    """The fake refuses a sync breaking Discord's rules (names, lengths, option order), as Discord does."""
    synced = {c["name"]: c for c in harness.fake.synced[GUILD]}
    assert {"ugc", "contest", "submit", "enter", "vote"} <= set(synced)
    create = next(o for o in synced["contest"]["options"] if o["name"] == "create")
    kinds = {o["name"]: (o["type"], [c["value"] for c in o.get("choices", [])]) for o in create["options"]}
    assert kinds["voting"] == (3, ["none", "members", "moderator", "random"]) and kinds["winners"][0] == 4
    media = next(o for o in synced["submit"]["options"] if o["name"] == "media")
    assert (media["type"], media["required"]) == (11, False)


async def test_long_announcement_is_split_between_lines_with_buttons_last(harness: Harness) -> None:
    lines = [f"{place}. winner number {place}, entry #{place} ({place} votes)" for place in range(1, 101)]
    await harness.core.announce(harness.program, "\n".join(lines), (Button("Show", "probe:1"),))
    sent = [m for m in harness.fake.sent if m["channel_id"] != CHANNEL]
    assert len(sent) > 1 and all(len(m["content"]) <= 2000 for m in sent)
    assert "".join(m["content"] for m in sent).splitlines() == lines
    assert harness.fake.buttons(sent[-1]) == {"Show": "probe:1"} and not harness.fake.buttons(sent[0])
