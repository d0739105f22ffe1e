"""User-generated content through the core: consent, /submit and its refusals, auto-capture, review."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from handlers.config_model import Community, Program, Settings, UgcSettings
from handlers.context import Actor, Context
from handlers.core import Core
from handlers.media import Upload
from handlers.replies import Button, TierChanged
from handlers.ugc import media_store
from storage.contests import Contest, ContestEntry
from storage.database import Database
from storage.models import Balance, Identity, LedgerEntry, Member, Message, Reason
from storage.ugc import UgcConsent, UgcSubmission
from tests.conftest import T0, ctx, settings_for_tests

PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 100
OTHER_PNG = b"\x89PNG\r\n\x1a\n" + b"other pixels" * 100
UGC_CHANNEL = "555"


class Outlet:
    """Records the private notices the core sends."""

    def __init__(self) -> None:
        self.notices: list[tuple[str, str]] = []

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        raise AssertionError("UGC announces nothing")

    async def notify(self, user_id: str, text: str) -> bool:
        self.notices.append((user_id, text))
        return True


def ugc_settings(media_dir: Path, **ugc: Any) -> Settings:
    base = settings_for_tests()
    chosen = {"channels": (UGC_CHANNEL,), "hashtags": ("#AcmeUGC",), "daily_limit": 3, **ugc}
    acme = base.programs[0].model_copy(update={"ugc": UgcSettings(**chosen)})
    globex = Program(id="globex", name="Globex", communities=(Community(platform="discord", id="333"),))
    return base.model_copy(update={"programs": (acme, globex), "media_dir": str(media_dir)})


async def make_core(db: Database, media_dir: Path, **ugc: Any) -> Core:
    engine = Core(ugc_settings(media_dir, **ugc), db)
    await engine.start()
    engine.attach_outlet("discord", Outlet())
    engine.attach_outlet("telegram", Outlet())
    return engine


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
async def core(db: Database, media_dir: Path) -> Core:
    return await make_core(db, media_dir)


def notices(core: Core, platform: str = "discord") -> list[tuple[str, str]]:
    outlet = core.outlets[platform]
    assert isinstance(outlet, Outlet)
    return outlet.notices


def member(core: Core, user: str = "1", *, event: str = "s1", channel: str = "700", **kw: Any) -> Context:
    return replace(ctx(core, user, event=event, **kw), channel_id=channel,
                   extra={"permalink": f"https://discord.com/channels/111/{channel}/{event}"})


def mod(core: Core, event: str = "m1", **kw: Any) -> Context:
    return ctx(core, "99", moderator=True, event=event, **kw)


def png(data: bytes = PNG, name: str = "photo.png", mime: str = "image/png") -> Upload:
    return Upload(name, mime, len(data), data)


def media_files(media_dir: Path) -> list[Path]:
    return sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.exists() else []


async def footprint(core: Core) -> tuple[int, ...]:
    """Rows of every table a submission could write."""
    async with core.db.unit_of_work() as s:
        counts = [await s.scalar(select(func.count()).select_from(t)) for t in
                  (UgcSubmission, UgcConsent, Message, Member, Identity, LedgerEntry, ContestEntry)]
    return (*counts, len(media_files(Path(core.settings.media_dir))))


async def consent(core: Core, user: str = "1", platform: str = "discord") -> None:
    reply = await core.action(ctx(core, user, platform=platform, event=f"c{user}"), "ugc.consent")
    assert reply.ok and reply.private and "/submit again" in reply.text


async def submit(core: Core, user: str = "1", event: str = "s1", **args: Any) -> Any:
    return await core.command(member(core, user, event=event, now=args.pop("now", T0)), "submit", args)


async def test_submit_before_consent_shows_terms_and_writes_nothing(core: Core) -> None:
    before = await footprint(core)
    reply = await submit(core, text="my best photo", media=png())
    assert not reply.ok and reply.private and "read the content terms" in reply.text
    assert core.settings.programs[0].ugc.terms in reply.text
    assert reply.buttons == (Button("I agree", "ugc.consent"),)
    assert await footprint(core) == before == (0, 0, 0, 0, 0, 0, 0, 0)


async def test_consent_then_submit_stores_pending_submission_message_and_file(core: Core,
                                                                             media_dir: Path) -> None:
    await consent(core)
    async with core.db.unit_of_work() as s:
        terms_hash = await s.scalar(select(UgcConsent.terms_hash))
    assert terms_hash == hashlib.sha256(core.settings.programs[0].ugc.terms.encode()).hexdigest()
    reply = await submit(core, text="My best photo #acmeugc", media=png(name="C:\\pics\\photo.png"))
    assert reply.ok and reply.text == "Submission #1 received, pending review."
    async with core.db.unit_of_work() as s:
        row = await s.scalar(select(UgcSubmission))
        message = await s.get(Message, row.message_id)
        paid = await s.scalar(select(func.count()).select_from(LedgerEntry))
    sha = hashlib.sha256(PNG).hexdigest()
    assert (row.status, row.text, row.media_sha256, row.media_type, row.media_mime, row.media_size,
            row.media_filename) == ("pending", "My best photo #acmeugc", sha, "image", "image/png", len(PNG),
                                    "photo.png")
    assert (row.channel_id, row.platform_message_id, row.permalink) == \
        ("700", "s1", "https://discord.com/channels/111/700/s1")
    assert (message.text, message.points, message.refusal, message.sentiment_status) == \
        ("My best photo #acmeugc", 0, "ugc", "pending")
    assert paid == 0
    assert media_files(media_dir) == [media_dir / sha[:2] / f"{sha}.png"]
    assert (media_dir / sha[:2] / f"{sha}.png").read_bytes() == PNG


async def test_redelivered_submit_answers_the_same_and_stores_once(core: Core) -> None:
    await consent(core)
    first = await submit(core, text="a lovely view from the hill")
    again = await submit(core, text="a lovely view from the hill")
    assert first.text == again.text == "Submission #1 received, pending review."
    assert (await footprint(core))[:3] == (1, 1, 1)


@pytest.mark.parametrize(("args", "expected"), [
    ({}, "Nothing to submit"),
    ({"text": "  #acmeugc  "}, "Nothing to submit"),
    ({"media": Upload("huge.mp4", "video/mp4", 11 * 1024 * 1024, None)}, "is 11 MB, over the 10 MB limit"),
    ({"media": Upload("huge.png", "image/png", 10 * 1024 * 1024 + 1, b"x" * (10 * 1024 * 1024 + 1))},
     "over the 10 MB limit"),
    ({"media": png(name="page.html", mime="text/html")}, "type text/html are not accepted"),
    ({"media": png(name="x.svg", mime="image/svg+xml")}, "type image/svg+xml are not accepted"),
    ({"media": Upload("lost.png", "image/png", 100, None)}, "could not be read"),
    ({"media": "not a file"}, "could not be read"),
    ({"text": "x" * 4001}, "4,001 characters; the limit is 4,000"),
    ({"text": "hello", "contest": "abc"}, "contest number is a whole number from 1 up, got 'abc'"),
    ({"text": "hello", "contest": "7"}, "There is no contest #7 here"),
])
async def test_bad_submissions_are_refused_and_write_nothing(core: Core, args: dict[str, Any],
                                                             expected: str) -> None:
    await consent(core)
    before = await footprint(core)
    reply = await submit(core, **args)
    assert not reply.ok and expected in reply.text
    assert await footprint(core) == before


async def test_duplicate_text_is_refused_but_a_caption_is_not_content(core: Core, media_dir: Path) -> None:
    for user in ("1", "2"):
        await consent(core, user)
    assert (await submit(core, "1", "a", text="Sunset over the harbour #acmeugc")).ok
    before = await footprint(core)
    copy = await submit(core, "2", "b", text="  sunset OVER the harbour!! ")
    assert not copy.ok and "same text was already submitted (#1)" in copy.text
    assert await footprint(core) == before
    assert (await submit(core, "2", "c", text="my entry", media=png())).ok
    assert (await submit(core, "1", "d", text="my entry", media=png(OTHER_PNG))).ok
    assert len(media_files(media_dir)) == 2


async def test_duplicate_media_is_refused_whatever_its_name(core: Core, media_dir: Path) -> None:
    for user in ("1", "2"):
        await consent(core, user)
    assert (await submit(core, "1", "a", media=png())).ok
    before = await footprint(core)
    copy = await submit(core, "2", "b", text="totally new", media=png(name="renamed.png"))
    assert not copy.ok and "file was already submitted (#1)" in copy.text
    assert await footprint(core) == before and len(media_files(media_dir)) == 1


async def test_daily_limit_counts_the_program_day(db: Database, media_dir: Path) -> None:
    core = await make_core(db, media_dir)
    core.settings = core.settings.model_copy(update={"programs": (
        core.settings.programs[0].model_copy(update={"timezone": "Asia/Shanghai"}),)})
    await consent(core)
    for i in range(3):  # T0 is 20:00 in Shanghai
        assert (await submit(core, event=f"e{i}", text=f"photo number {i}", now=T0 + timedelta(minutes=i))).ok
    before = await footprint(core)
    over = await submit(core, event="e3", text="photo number 3", now=T0 + timedelta(hours=3, minutes=59))
    assert not over.ok and "today's limit of 3 submissions" in over.text
    assert await footprint(core) == before
    assert (await submit(core, event="e4", text="photo number 4", now=T0 + timedelta(hours=4))).ok


async def test_approve_pays_once_tells_the_author_and_is_final(core: Core) -> None:
    await consent(core)
    await submit(core, text="a lovely view from the hill")
    reply = await core.command(mod(core), "ugc approve", {"submission": "#1"})
    assert reply.ok and reply.private and reply.text == "Submission #1 by user1 approved (+50 points)."
    assert notices(core) == [("1", "Your submission #1 to Acme was approved: +50 points.")]
    again = await core.command(mod(core, "m2"), "ugc approve", {"submission": "1"})
    assert not again.ok and "already reviewed: it is approved" in again.text
    featured = await core.command(mod(core, "m3"), "ugc feature", {"submission": "1"})
    assert featured.text == "Submission #1 by user1 is now featured."
    async with core.db.unit_of_work() as s:
        approved = select(LedgerEntry).where(LedgerEntry.reason == Reason.UGC_APPROVED)
        entries = (await s.scalars(approved)).all()
        row = await s.scalar(select(UgcSubmission))
    assert [(e.delta, e.idempotency_key, e.actor) for e in entries] == [(50, "ugc:acme:1", "discord:99")]
    assert (row.status, row.reviewer) == ("featured", "discord:99")
    assert notices(core)[-1] == ("1", "Your submission #1 to Acme is now featured!")


async def test_concurrent_approvals_pay_exactly_once(core: Core) -> None:
    await consent(core)
    await submit(core, text="a lovely view from the hill")
    replies = await asyncio.gather(*(core.command(mod(core, f"m{i}"), "ugc approve", {"submission": "1"})
                                     for i in range(4)))
    assert sorted(r.ok for r in replies) == [False, False, False, True]
    async with core.db.unit_of_work() as s:
        assert await s.scalar(select(func.sum(Balance.balance))) == 50
        assert await s.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    assert len(notices(core)) == 1


async def test_featuring_a_pending_submission_pays_under_the_approval_key(core: Core) -> None:
    await consent(core)
    await submit(core, text="a lovely view from the hill")
    reply = await core.command(mod(core), "ugc feature", {"submission": "1"})
    assert reply.text == "Submission #1 by user1 is now featured (+50 points)."
    assert notices(core) == [("1", "Your submission #1 to Acme is now featured: +50 points!")]
    again = await core.command(mod(core, "m2"), "ugc feature", {"submission": "1"})
    assert "already reviewed: it is featured" in again.text
    async with core.db.unit_of_work() as s:
        assert (await s.scalars(select(LedgerEntry.idempotency_key))).all() == ["ugc:acme:1"]


async def test_reject_records_the_reason_and_tells_the_author_in_the_program_language(db: Database,
                                                                                     media_dir: Path) -> None:
    core = await make_core(db, media_dir)
    core.settings = core.settings.model_copy(update={"programs": (
        core.settings.programs[0].model_copy(update={"locale": "zh-CN"}),)})
    await consent(core)
    await submit(core, text="a lovely view from the hill")
    bad = await core.command(mod(core), "ugc reject", {"submission": "1", "reason": "\x00\x00"})
    assert not bad.ok and "Give a reason" in bad.text
    reply = await core.command(mod(core, "m2"), "ugc reject", {"submission": "1", "reason": "off topic"})
    assert reply.ok and reply.text == "Submission #1 by user1 rejected: off topic"
    assert notices(core) == [("1", "你在 Acme 的投稿 #1 未被采纳：off topic")]
    late = await core.command(mod(core, "m3"), "ugc approve", {"submission": "1"})
    assert "already reviewed: it is rejected" in late.text
    async with core.db.unit_of_work() as s:
        row = await s.scalar(select(UgcSubmission))
        assert await s.scalar(select(func.count()).select_from(LedgerEntry)) == 0
    assert (row.status, row.reject_reason, row.reviewed_at) == ("rejected", "off topic", T0)


async def test_unknown_and_foreign_ids_and_members_are_refused(core: Core) -> None:
    globex = core.settings.programs[1]
    foreign = Context(program=globex, platform="discord", community_id="333",
                      actor=Actor("discord", "5", "five"),
                      locale="en", event_id="g1", now=T0)
    assert (await core.action(foreign, "ugc.consent")).ok
    assert (await core.command(foreign, "submit", {"text": "globex content here"})).ok
    for raw in ("1", "2"):
        reply = await core.command(mod(core, f"m{raw}"), "ugc approve", {"submission": raw})
        assert not reply.ok and f"no submission #{raw} in this program" in reply.text
    for raw in ("0", "-1", "1.5", "\u0661", "9" * 30):
        reply = await core.command(mod(core), "ugc feature", {"submission": raw})
        assert not reply.ok and "submission number is a whole number from 1 up" in reply.text
    refused = await core.command(ctx(core, "1"), "ugc approve", {"submission": "1"})
    assert not refused.ok and "Only moderators" in refused.text
    async with core.db.unit_of_work() as s:
        assert await s.scalar(select(UgcSubmission.status)) == "pending"


async def test_queue_lists_oldest_pending_first_with_sentiment_preview_and_media(core: Core) -> None:
    assert (await core.command(mod(core), "ugc queue", {})).text == "No submissions are waiting for review."
    for user in ("1", "2"):
        await consent(core, user)
    long_text = "word " * 40
    await submit(core, "1", "a", text=long_text, media=png())
    await submit(core, "2", "b", text="second one")
    await submit(core, "2", "c", media=png(OTHER_PNG, "pdf.pdf", "application/pdf"))
    async with core.db.unit_of_work() as s:
        await s.execute(update(Message).where(Message.text == "second one").values(sentiment_label="positive",
                                                                                   sentiment_status="scored"))
    await core.command(mod(core, "m2"), "ugc approve", {"submission": "1"})
    reply = await core.command(mod(core, "m3"), "ugc queue", {})
    lines = reply.text.splitlines()
    assert reply.private and lines[0] == "Submissions waiting for review, oldest first (2 in all):"
    assert lines[1:] == ["#2 · user2 · positive · \u201csecond one\u201d", "#3 · user2 · document pdf.pdf"]
    await core.command(mod(core, "m4"), "ugc reject", {"submission": "2", "reason": "meh"})
    for i in range(12):
        await consent(core, f"u{i}")
        await submit(core, f"u{i}", f"q{i}", text=f"entry number {i} " + long_text)
    lines = (await core.command(mod(core, "m5"), "ugc queue", {})).text.splitlines()
    assert lines[0].endswith("(13 in all):") and lines[-1] == "... and 3 more." and len(lines) == 12
    assert lines[1].startswith("#3 ") and lines[2].startswith("#4 ")
    preview = lines[2].split("\u201c")[1].rstrip("\u201d")
    assert len(preview) == 80 and preview.endswith("\u2026")


async def test_approval_crossing_a_tier_reports_the_tier_change(core: Core) -> None:
    core.settings = core.settings.model_copy(update={"programs": (core.settings.programs[0].model_copy(
        update={"rules": core.settings.programs[0].rules.model_copy(update={"ugc_approved_points": 500})}),)})
    await consent(core)
    await submit(core, text="a lovely view from the hill")
    reply = await core.command(mod(core), "ugc approve", {"submission": "1"})
    assert reply.events == (TierChanged("acme", 1, "Bronze", "Silver", (("discord", "1"),)),)


async def test_new_terms_ask_for_consent_again(db: Database, media_dir: Path) -> None:
    core = await make_core(db, media_dir)
    await consent(core)
    assert (await submit(core, text="first under the old terms")).ok
    changed = await make_core(db, media_dir, terms="New terms: everything is ours.")
    reply = await submit(changed, event="s2", text="second under the new terms")
    assert not reply.ok and "New terms: everything is ours." in reply.text
    await consent(changed)
    assert (await submit(changed, event="s3", text="second under the new terms")).ok


async def test_capture_by_channel_and_by_hashtag(core: Core, media_dir: Path) -> None:
    program = core.settings.programs[0]
    assert core.ugc_wanted(program, UGC_CHANNEL, "anything at all")
    assert core.ugc_wanted(program, "700", "look at this #ACMEugc!")
    assert not core.ugc_wanted(program, "700", "no tag #acmeugcx or acme#acmeugc here")
    await consent(core)
    in_channel = await core.ugc_capture(member(core, event="c1", channel=UGC_CHANNEL), "", (png(),), "https://x/1")
    assert in_channel is not None and in_channel.private and in_channel.text == \
        "Submission #1 received, pending review."
    tagged = await core.ugc_capture(member(core, event="c2"), "my morning run #acmeugc", (), None)
    assert tagged is not None and tagged.private and "#2" in tagged.text
    assert await core.ugc_capture(member(core, event="c3"), "#acmeugc", (), None) is None
    assert await core.ugc_capture(member(core, event="c4"), "plain chat", (png(OTHER_PNG),), None) is None
    copy = await core.ugc_capture(member(core, event="c5"), "My morning run! #AcmeUGC", (), None)
    assert copy is not None and copy.private and not copy.ok
    assert "same text was already submitted (#2)" in copy.text
    async with core.db.unit_of_work() as s:
        rows = (await s.execute(select(UgcSubmission.id, UgcSubmission.channel_id, UgcSubmission.permalink,
                                       UgcSubmission.message_id).order_by(UgcSubmission.id))).all()
    assert [tuple(r[:3]) for r in rows] == [(1, UGC_CHANNEL, "https://x/1"), (2, "700", None)]
    assert rows[0].message_id is None and rows[1].message_id is not None
    assert len(media_files(media_dir)) == 1


async def test_capture_without_consent_asks_privately_and_stores_nothing(core: Core) -> None:
    before = await footprint(core)
    for event in ("c1", "c2"):
        in_channel = member(core, event=event, channel=UGC_CHANNEL)
        reply = await core.ugc_capture(in_channel, "my photo", (png(),), None)
        assert reply is not None and reply.private and not reply.ok
        assert reply.buttons == (Button("I agree", "ugc.consent"),)
    assert await footprint(core) == before


async def test_chinese_submission_replies(core: Core) -> None:
    reply = await core.command(member(core, locale="zh-CN"), "submit", {"text": "你好"})
    assert "首次投稿前" in reply.text and reply.buttons == (Button("我同意", "ugc.consent"),)
    assert "谢谢" in (await core.action(ctx(core, "1", locale="zh-CN"), "ugc.consent")).text
    assert (await core.command(member(core, locale="zh-CN"), "submit", {"text": "你好"})).text == \
        "投稿 #1 已收到，等待审核。"


@pytest.mark.parametrize("issuer", ["discord", "telegram"])
async def test_linked_accounts_share_consent_and_notices(core: Core, issuer: str) -> None:
    """Consent given on either account holds after /link, whichever account the merge keeps."""
    await consent(core, "1")
    accounts = {"discord": ctx(core, "1", event="l1"),
                "telegram": ctx(core, "7", platform="telegram", event="l2")}
    redeemer = accounts.pop("telegram" if issuer == "discord" else "discord")
    code = (await core.command(accounts[issuer], "link", {})).text.split("is ")[1][:8]
    assert (await core.command(redeemer, "link", {"code": code})).ok
    tg = replace(ctx(core, "7", platform="telegram", event="t1"), channel_id="-100222")
    assert (await core.command(tg, "submit", {"text": "from telegram after linking"})).ok
    await core.command(mod(core), "ugc approve", {"submission": "1"})
    assert notices(core) == [("1", "Your submission #1 to Acme was approved: +50 points.")]


async def add_contest(core: Core, *, entry_type: str = "ugc", start: timedelta = -timedelta(hours=1),
                      end: timedelta = timedelta(days=1)) -> int:
    async with core.db.unit_of_work() as s:
        contest = Contest(program_id="acme", title="Best view", description="Show us", entry_type=entry_type,
                          voting="none", winners=1, prize=0, start_at=T0 + start, end_at=T0 + end,
                          status="open", created_by="discord:99", source_event=f"create-{entry_type}-{start}",
                          created_at=T0)
        s.add(contest)
        await s.flush()
        return contest.id


async def test_submission_for_an_open_contest_becomes_its_entry(core: Core, media_dir: Path) -> None:
    contest = await add_contest(core)
    await consent(core)
    reply = await submit(core, event="a", text="my view", media=png(), contest=str(contest))
    assert reply.ok and reply.text == f"Submission #1 received for contest #{contest}, pending review."
    async with core.db.unit_of_work() as s:
        entry = await s.scalar(select(ContestEntry))
        assert (await s.scalar(select(UgcSubmission.contest_id))) == contest
    assert (entry.contest_id, entry.submission_id, entry.member_id) == (contest, 1, 1)
    before = await footprint(core)
    second = await submit(core, event="b", text="another view", media=png(OTHER_PNG), contest=str(contest))
    assert not second.ok and f"already have 1 entr(y/ies) in contest #{contest}" in second.text
    assert await footprint(core) == before and len(media_files(media_dir)) == 1


@pytest.mark.parametrize(("kind", "start", "end", "expected"), [
    ("ugc", -timedelta(days=2), -timedelta(days=1), "has ended"),
    ("ugc", timedelta(hours=1), timedelta(days=1), "opens"),
    ("plain", -timedelta(hours=1), timedelta(days=1), "takes no content"),
])
async def test_submission_for_a_closed_or_plain_contest_is_refused(core: Core, kind: str, start: timedelta,
                                                                  end: timedelta, expected: str) -> None:
    contest = await add_contest(core, entry_type=kind, start=start, end=end)
    await consent(core)
    before = await footprint(core)
    reply = await submit(core, text="my view", media=png(), contest=str(contest))
    assert not reply.ok and expected in reply.text
    assert await footprint(core) == before


async def test_a_failed_file_write_leaves_neither_a_row_nor_a_partial_file(
        core: Core, media_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(*_: object) -> None:
        raise OSError("No space left on device")

    await consent(core)
    before = await footprint(core)
    monkeypatch.setattr(media_store.os, "replace", disk_full)
    reply = await submit(core, text="my view", media=png())
    assert not reply.ok and "nothing was changed" in reply.text
    assert await footprint(core) == before and media_files(media_dir) == []
    monkeypatch.undo()
    assert (await submit(core, text="my view", media=png())).ok
    assert [p.name for p in media_files(media_dir)] == [hashlib.sha256(PNG).hexdigest() + ".png"]
