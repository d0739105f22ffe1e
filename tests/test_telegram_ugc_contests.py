"""UGC and contests through python-telegram-bot against the local fake Bot API.

Command groups (``/ugc approve``), files sent with ``/submit`` (as a caption
or by replying), inline keyboards and their presses, announcements and
private notices, and chat messages captured as content.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update

from bot.scheduler import Scheduler
from bot.telegram.ordering import EXCLUSIVE, OBSERVE, SHARED, lanes
from bot.telegram.outbox import Outgoing
from handlers.clock import utcnow
from handlers.config_model import (
    Community,
    ContestSettings,
    Program,
    Rules,
    Settings,
    TelegramSettings,
    UgcSettings,
)
from handlers.replies import Button
from handlers.ugc.media_store import MediaStore
from storage.contests import ContestVote
from storage.models import LedgerEntry, Message
from storage.ugc import UgcConsent, UgcSubmission
from tests.fakes.telegram_api import FakeTelegram
from tests.test_telegram_adapter import ALICE, BOB, CAROL, CHAT, DAN, Harness, start_harness

TOPIC = 77
LIMIT = 1024 * 1024
PHOTO = b"\x89PNG full-size photo of the beach " * 20
PDF = b"%PDF-1.4 our brochure " * 10


def settings_for(api_port: int, media_dir: Path) -> Settings:
    return Settings(
        programs=(Program(
            id="acme", name="Acme",
            rules=Rules(cooldown_seconds=0, min_message_length=5, daily_cap=1000, ugc_approved_points=50),
            communities=(Community(platform="telegram", id=str(CHAT), announce_channel=str(TOPIC)),),
            ugc=UgcSettings(hashtags=("#acmeugc",), max_media_bytes=LIMIT),
            contests=ContestSettings(min_member_days_to_vote=0)),),
        telegram=TelegramSettings(base_url=f"http://127.0.0.1:{api_port}/bot", poll_timeout_seconds=1,
                                  base_file_url=f"http://127.0.0.1:{api_port}/file/bot"),
        media_dir=str(media_dir))


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    fake = FakeTelegram(CHAT)
    fake.add_user(ALICE, "alice")
    fake.add_user(BOB, "bob")
    fake.add_user(CAROL, "carol", admin=True)
    fake.add_user(DAN, "dan", started=False)
    await fake.start()
    h = await start_harness(fake, settings_for(fake.port, tmp_path / "media"), tmp_path)
    yield h
    await h.stop()
    await fake.stop()
    await h.core.db.dispose()


async def private(h: Harness, uid: int, before: int) -> dict[str, Any]:
    """The next message the bot sends ``uid`` privately after the first ``before``."""
    return (await h.fake.wait_for(lambda: h.fake.sent_to(uid)[before:]))[0]


async def answered(h: Harness, query_id: str) -> dict[str, Any]:
    """Telegram's record of how the bot answered a button press."""
    answer: dict[str, Any] = await h.fake.wait_for(lambda: h.fake.answer_to(query_id))
    return answer


async def consent(h: Harness, uid: int) -> None:
    """A first /submit gets the terms privately; press "I agree" there."""
    before = len(h.fake.sent_to(uid))
    h.fake.message(uid, "/submit a first try before the terms")
    terms = await private(h, uid, before)
    assert "content terms" in terms["text"]
    (label, data), = h.fake.buttons(terms)
    assert label == "I agree" and data == f"{CHAT}|ugc.consent"
    query = h.fake.press(uid, terms, data)
    answer = await answered(h, query)
    assert "accepted the content terms" in answer["text"] and not answer.get("show_alert")


async def submissions(h: Harness) -> list[UgcSubmission]:
    async with h.core.db.unit_of_work() as s:
        return list((await s.scalars(select(UgcSubmission).order_by(UgcSubmission.id))).all())


def stored_bytes(h: Harness, row: UgcSubmission) -> bytes:
    assert row.media_sha256 is not None and row.media_mime is not None
    return MediaStore(h.settings.media_dir).path(row.media_sha256, row.media_mime).read_bytes()


# --- infrastructure ------------------------------------------------------------

async def test_menu_lists_each_group_once_with_its_help(harness: Harness) -> None:
    menus = {(c.get("language_code"), c["scope"]["type"]): {x["command"]: x["description"] for x in c["commands"]}
             for c in harness.fake.commands}
    members, admins = menus[(None, "default")], menus[(None, "all_chat_administrators")]
    assert "submit" in members and "ugc" not in members
    assert admins["ugc"] == "Review user-generated content" and "ugc approve" not in admins
    assert menus[("zh", "all_chat_administrators")]["ugc"] == "审核用户投稿"


async def test_group_without_or_with_unknown_subcommand_lists_the_subcommands(harness: Harness) -> None:
    bare = await harness.command(CAROL, "/ugc")
    assert bare.startswith("/ugc needs a subcommand") and "/ugc approve <submission> - " in bare
    assert "/ugc reject <submission> <reason>" in bare and "(moderators)" in bare
    unknown = await harness.command(CAROL, "/ugc@engage_bot aprove 3")
    assert unknown.startswith("/ugc has no subcommand 'aprove'") and "/ugc queue" in unknown


async def test_member_running_a_moderator_subcommand_is_refused(harness: Harness) -> None:
    assert "Only moderators can use /ugc approve" in await harness.command(ALICE, "/ugc approve 1")
    assert await harness.count(LedgerEntry) == 0


def test_lanes_know_groups_captions_and_presses() -> None:
    fake = FakeTelegram(CHAT)
    fake.add_user(ALICE, "alice")
    fake.add_user(CAROL, "carol", admin=True)

    def update(kind: str, payload: dict[str, Any]) -> Update:
        return Update.de_json({"update_id": 1, kind: payload}, None)

    approve = update("message", fake.message(CAROL, "/ugc approve 3"))
    usage = update("message", fake.message(CAROL, "/ugc"))
    caption = update("message", fake.message(ALICE, None, caption="/submit look", **fake.photo(PHOTO)))
    ordinary = update("message", fake.message(ALICE, None, caption="/notacommand look", **fake.photo(PHOTO)))
    sent = {"message": {"message_id": 9, "date": 0, "chat": fake.chat(), "text": "vote", "from": fake.users[CAROL]}}
    press = update("callback_query", {"id": "q", "from": fake.users[ALICE], "chat_instance": "c",
                                      "message": sent["message"], "data": "ugc.consent"})
    assert (("chat", CHAT), EXCLUSIVE) in lanes(approve)
    assert lanes(usage) == [(("user", CAROL), OBSERVE)]
    assert (("user", ALICE), EXCLUSIVE) in lanes(caption) and (("chat", CHAT), SHARED) in lanes(caption)
    assert (("user", ALICE), SHARED) in lanes(ordinary)
    assert lanes(press) == [(("user", ALICE), EXCLUSIVE), (("chat", CHAT), SHARED)]


async def test_buttons_are_part_of_what_a_coalesced_reply_says(harness: Harness) -> None:
    assert harness.runtime is not None
    outbox = harness.runtime.outbox
    assert outbox.post(Outgoing(CHAT, "same text", coalesce=True, buttons=(("A", "x:1"),)))
    assert outbox.post(Outgoing(CHAT, "same text", coalesce=True, buttons=(("B", "x:2"),)))
    assert not outbox.post(Outgoing(CHAT, "same text", coalesce=True, buttons=(("A", "x:1"),)))
    sent = await harness.fake.wait_for(lambda: len(harness.fake.sent_to(CHAT)) >= 2 and harness.fake.sent_to(CHAT))
    assert [harness.fake.buttons(m) for m in sent] == [[("A", "x:1")], [("B", "x:2")]]


async def test_outlet_announces_in_the_topic_and_reports_private_delivery_truthfully(harness: Harness) -> None:
    outlet = harness.core.outlets["telegram"]
    await outlet.announce(str(CHAT), "Contest starts", (Button("Vote for #1", "contest.vote:1"),))
    posted = (await harness.fake.wait_for(lambda: harness.fake.sent_to(CHAT)))[0]
    assert posted["text"] == "Contest starts" and int(posted["message_thread_id"]) == TOPIC
    assert harness.fake.buttons(posted) == [("Vote for #1", "contest.vote:1")]
    assert await outlet.notify(str(ALICE), "your submission was approved") is True
    assert harness.fake.replies_to(ALICE) == ["your submission was approved"]
    assert await outlet.notify(str(DAN), "never started the bot") is False
    assert harness.fake.replies_to(DAN) == []


async def test_a_button_this_bot_did_not_route_is_answered_with_an_alert(harness: Harness) -> None:
    sent = {"message": {"message_id": 5, "date": 0, "chat": harness.fake.chat(ALICE), "text": "old",
                        "from": harness.fake.users[CAROL]},
            "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "no community"}]]}}
    query = harness.fake.press(ALICE, sent, "no community")
    answer = await answered(harness, query)
    assert answer["show_alert"] and "no longer valid" in answer["text"]


# --- UGC -------------------------------------------------------------------------

async def test_submit_as_photo_caption_after_consent_stores_the_largest_photo(harness: Harness) -> None:
    h = harness
    before = len(h.fake.sent_to(ALICE))
    h.fake.message(ALICE, None, caption="/submit my beach photo", **h.fake.photo(PHOTO))
    terms = await private(h, ALICE, before)
    assert "nothing was stored" in terms["text"] and h.fake.buttons(terms) == [("I agree", f"{CHAT}|ugc.consent")]
    assert await h.count(UgcSubmission) == 0 and h.fake.downloads == ["f2"]
    query = h.fake.press(ALICE, terms, f"{CHAT}|ugc.consent")
    await answered(h, query)
    assert await h.count(UgcConsent) == 1
    photo = h.fake.photo(PHOTO)
    before_group = len(h.fake.replies_to(CHAT))
    sent = h.fake.message(ALICE, None, caption="/submit my beach photo", **photo)
    assert (await h.answer(CHAT, before_group)).startswith("Submission #1 received")
    row, = await submissions(h)
    assert row.text == "my beach photo" and row.media_type == "image" and row.media_mime == "image/jpeg"
    assert row.media_sha256 == hashlib.sha256(PHOTO).hexdigest() and stored_bytes(h, row) == PHOTO
    assert row.permalink == f"https://t.me/c/222/{sent['message_id']}"
    assert photo["photo"][0]["file_id"] not in h.fake.downloads


async def test_submit_replying_to_own_document_in_a_public_group(harness: Harness) -> None:
    h = harness
    h.fake.group_username = "acmefans"
    await consent(h, ALICE)
    document = h.fake.message(ALICE, None, caption="our brochure", **h.fake.document(PDF, "brochure.pdf",
                                                                                         "application/pdf"))
    answer = await h.command(ALICE, "/submit the spring brochure", reply_to=document)
    assert answer.startswith("Submission #1 received")
    row, = await submissions(h)
    assert (row.media_filename, row.media_mime, row.media_type) == ("brochure.pdf", "application/pdf", "document")
    assert stored_bytes(h, row) == PDF and row.text == "the spring brochure"
    assert row.permalink == f"https://t.me/acmefans/{document['message_id']}"


async def test_file_of_an_unsupported_type_is_refused(harness: Harness) -> None:
    h = harness
    await consent(h, ALICE)
    before = len(h.fake.replies_to(CHAT))
    h.fake.message(ALICE, None, caption="/submit", **h.fake.document(b"PK zip bytes", "stuff.zip", "application/zip"))
    refusal = await h.answer(CHAT, before)
    assert "Files of type application/zip are not accepted" in refusal and await h.count(UgcSubmission) == 0


async def test_submit_replying_to_someone_elses_file_does_not_take_it(harness: Harness) -> None:
    h = harness
    await consent(h, BOB)
    photo = h.fake.message(ALICE, None, caption="alice's own photo", **h.fake.photo(PHOTO))
    answer = await h.command(BOB, "/submit", reply_to=photo)
    assert "Nothing to submit" in answer and await h.count(UgcSubmission) == 0


async def test_file_over_the_limit_is_refused_naming_it_and_never_downloaded(harness: Harness) -> None:
    h = harness
    await consent(h, ALICE)
    downloads = list(h.fake.downloads)
    big = h.fake.video(b"tiny bytes, huge claim", size=25 * 1024 * 1024)
    before = len(h.fake.replies_to(CHAT))
    h.fake.message(ALICE, None, caption="/submit my video", **big)
    refusal = await h.answer(CHAT, before)
    assert "is 25 MB, over the 1 MB limit; nothing was stored" in refusal
    assert h.fake.downloads == downloads and "getFile" not in h.fake.calls
    assert await h.count(UgcSubmission) == 0


async def test_moderator_approves_once_and_the_author_hears_privately(harness: Harness) -> None:
    h = harness
    await consent(h, ALICE)
    assert (await h.command(ALICE, "/submit a long story about our meetup")).startswith("Submission #1")
    before = len(h.fake.sent_to(ALICE))
    approved = await h.command(CAROL, "/ugc approve 1", dm=True)
    assert "approved (+50 points)" in approved
    notice = await private(h, ALICE, before)
    assert notice["text"] == "Your submission #1 to Acme was approved: +50 points."
    again = await h.command(CAROL, "/ugc approve 1")
    assert "already reviewed" in again
    assert await h.count(LedgerEntry, LedgerEntry.reason == "ugc_approved") == 1
    assert await h.balance(ALICE) == 50


async def test_hashtag_message_is_captured_and_still_earns(harness: Harness) -> None:
    h = harness
    before = len(h.fake.sent_to(BOB))
    h.fake.message(BOB, None, caption="first try #acmeugc", **h.fake.photo(PHOTO))
    asked = await private(h, BOB, before)
    assert "content terms" in asked["text"] and h.fake.buttons(asked)
    assert "Leaderboard" in await h.command(CAROL, "/leaderboard")
    assert len(h.fake.replies_to(CHAT)) == 1, "a captured message is answered privately only"
    await h.settle(Message, 1)
    assert await h.count(UgcSubmission) == 0
    await consent(h, ALICE)
    before = len(h.fake.sent_to(ALICE))
    sent = h.fake.message(ALICE, None, caption="sunset at the pier #AcmeUGC", **h.fake.photo(PHOTO))
    receipt = await private(h, ALICE, before)
    assert receipt["text"].startswith("Submission #1 received")
    row, = await submissions(h)
    assert row.text == "sunset at the pier #AcmeUGC" and stored_bytes(h, row) == PHOTO
    assert row.permalink == f"https://t.me/c/222/{sent['message_id']}"
    assert await h.count(LedgerEntry, LedgerEntry.reason == "message") == 2


async def test_consent_button_pressed_after_a_restart_still_works(harness: Harness) -> None:
    h = harness
    before = len(h.fake.sent_to(ALICE))
    h.fake.message(ALICE, "/submit hello there")
    terms = await private(h, ALICE, before)
    await h.stop()
    await h.start()
    query = h.fake.press(ALICE, terms, f"{CHAT}|ugc.consent")
    assert "accepted" in (await answered(h, query))["text"]
    assert (await h.command(ALICE, "/submit hello there")).startswith("Submission #1")


# --- contests ----------------------------------------------------------------------

class Clock:
    """The scheduler's "now", moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def scheduler_of(h: Harness, clock: Clock) -> Scheduler:
    scheduler = Scheduler(clock)
    for source in h.core.timed_jobs:
        scheduler.add_source(source)
    return scheduler


def in_topic(h: Harness) -> list[dict[str, Any]]:
    return [m for m in h.fake.sent_to(CHAT) if str(m.get("message_thread_id")) == str(TOPIC)]


async def test_contest_usage_shows_fields_and_bad_input_is_refused(harness: Harness) -> None:
    usage = await harness.command(CAROL, "/contest")
    assert "/contest create <title> | <description> | <start> | <end> | <entry_type> | <voting> | [winners] | " \
           "[prize] - Create a contest (moderators)" in usage
    zero = await harness.command(CAROL, "/contest create Quiz | A quiz night | +1h | +2h | plain | members | 0")
    assert "at least 1 winner, got 0" in zero
    backwards = await harness.command(CAROL, "/contest create Quiz | A quiz night | +2h | +1h | plain | members")
    assert "must be after the start" in backwards
    past = await harness.command(CAROL, "/contest create Quiz | A quiz night | 2020-01-01 10:00 | +1h | plain | none")
    assert "The start 2020-01-01 10:00 UTC is in the past" in past
    assert "There is no contest #9 here" in await harness.command(ALICE, "/contest show 9")
    assert "Only moderators can use /contest create" in await harness.command(
        ALICE, "/contest create Quiz | A quiz night | +1h | +2h | plain | members")
    assert await harness.command(ALICE, "/contest list") == "No contests yet."


async def test_contest_runs_on_the_scheduler_with_buttons_and_ends_with_winners(harness: Harness) -> None:
    h, clock = harness, Clock()
    scheduler = scheduler_of(h, clock)
    two_hours_ago = int(time.time()) - 7200
    created = await h.command(CAROL, "/contest create Best meetup story | Tell us about your best meetup | +1h | "
                                     "+3h | plain | members | 1 | 100", date=two_hours_ago)
    assert created.startswith("Contest #1 \u201cBest meetup story\u201d created")
    assert await scheduler.run_due() == 1 and await scheduler.run_due() == 0

    start, = await h.fake.wait_for(lambda: in_topic(h))
    assert "Contest #1 \u201cBest meetup story\u201d is open until" in start["text"]
    assert "Tell us about your best meetup" in start["text"]
    assert h.fake.buttons(start) == [("Enter contest #1", "contest.enter:1")]

    before = len(h.fake.sent_to(CHAT))
    entered = h.fake.press(ALICE, start, "contest.enter:1")
    assert "alice entered contest #1" in (await answered(h, entered))["text"]
    with_vote = (await h.fake.wait_for(lambda: h.fake.sent_to(CHAT)[before:]))[0]
    assert h.fake.buttons(with_vote) == [("Vote for entry #1", "contest.vote:1")]
    assert "as entry #2" in await h.command(BOB, "/enter 1")
    assert "You already have 1 entr(y/ies) in contest #1" in await h.command(BOB, "/enter 1")
    assert "There is no entry #99" in await h.command(BOB, "/vote 99")

    own = h.fake.press(ALICE, with_vote, "contest.vote:1")
    refused = await answered(h, own)
    assert refused["show_alert"] and refused["text"] == "You cannot vote for your own entry #1."
    for voter in (BOB, CAROL):
        query = h.fake.press(voter, with_vote, "contest.vote:1")
        counted = await answered(h, query)
        assert "Your vote for entry #1" in counted["text"] and not counted["show_alert"]
    again = h.fake.press(BOB, with_vote, "contest.vote:1")
    assert (await answered(h, again)) == {"callback_query_id": again, "show_alert": True,
                                           "text": "You already voted for entry #1."}
    assert await h.count(ContestVote) == 2

    before_dm = len(h.fake.sent_to(ALICE))
    clock.now = utcnow() + timedelta(hours=2)
    assert await scheduler.run_due() == 1
    end = (await h.fake.wait_for(lambda: in_topic(h)[1:]))[0]
    assert "has ended: 2 entries took part" in end["text"] and "1. alice, entry #1 (2 votes)" in end["text"]
    assert "100 points paid to each winner" in end["text"]
    won = await private(h, ALICE, before_dm)
    assert "You won place 1 in contest #1" in won["text"]
    assert await scheduler.run_due() == 0
    assert await h.count(LedgerEntry, LedgerEntry.reason == "contest_win") == 1
    late = h.fake.press(DAN, with_vote, "contest.vote:1")
    assert (await answered(h, late))["text"] == "Voting in contest #1 is over."
    assert await h.count(ContestVote) == 2


async def test_photo_submitted_for_a_ugc_contest_by_caption(harness: Harness) -> None:
    h, clock = harness, Clock()
    scheduler = scheduler_of(h, clock)
    created = await h.command(CAROL, "/contest create Summer photos | Your best summer photo | +1h | +3h | ugc | "
                                     "moderator", date=int(time.time()) - 7200)
    assert created.startswith("Contest #1")
    assert await scheduler.run_due() == 1
    start, = await h.fake.wait_for(lambda: in_topic(h))
    assert "/submit and contest:1" in start["text"] and h.fake.buttons(start) == []
    await consent(h, ALICE)
    before = len(h.fake.replies_to(CHAT))
    h.fake.message(ALICE, None, caption="/submit sunset over the bay contest:1", **h.fake.photo(PHOTO))
    assert await h.answer(CHAT, before) == "Submission #1 received for contest #1, pending review."
    row, = await submissions(h)
    assert row.contest_id == 1 and row.text == "sunset over the bay" and stored_bytes(h, row) == PHOTO
