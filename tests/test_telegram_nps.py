"""An NPS round through python-telegram-bot against the local fake Bot API: the scheduled DM carries
the 0-10 inline keyboard, and pressing a score in the private chat records it once and pays once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.clock import utcnow
from handlers.config_model import Community, NpsSettings, Program, Rules, Settings, TelegramSettings
from handlers.context import Actor, Context
from handlers.engagement import IncomingMessage
from storage.models import LedgerEntry, Reason
from storage.nps import NpsResponse
from tests.test_telegram_adapter import ALICE, CHAT, Harness, alice_harness
from tests.test_telegram_ugc_contests import Clock, answered, private, scheduler_of


def settings_for(api_port: int) -> Settings:
    return Settings(
        programs=(Program(
            id="acme", name="Acme", rules=Rules(cooldown_seconds=0, min_message_length=5, daily_cap=1000),
            communities=(Community(platform="telegram", id=str(CHAT)),),
            nps=NpsSettings(enabled=True, every_days=1, time="00:00", points=15)),),
        telegram=TelegramSettings(base_url=f"http://127.0.0.1:{api_port}/bot", poll_timeout_seconds=1,
                                  base_file_url=f"http://127.0.0.1:{api_port}/file/bot"))


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with alice_harness(settings_for, tmp_path) as h:
        yield h


async def test_survey_dm_has_a_score_keyboard_whose_press_is_recorded_once(harness: Harness) -> None:
    h = harness
    program = h.settings.programs[0]
    at = utcnow() - timedelta(hours=1)
    ctx = Context(program, "telegram", str(CHAT), Actor("telegram", str(ALICE), "alice", "alice"), "en",
                  "chat-1", at, channel_id=str(CHAT))
    await h.core.message(ctx, IncomingMessage("chat-1", "hello everyone, lovely day"))
    await h.core.flush()
    clock = Clock()
    scheduler = scheduler_of(h, clock)
    await scheduler.run_due()  # first sight: the first round is due at the next midnight
    before = len(h.fake.sent_to(ALICE))
    clock.now += timedelta(days=1)
    assert await scheduler.run_due() == 1
    survey = await private(h, ALICE, before)
    assert survey["text"].startswith("How likely are you to recommend Acme to a friend?")
    keys = h.fake.buttons(survey)
    assert [label for label, _ in keys] == [str(n) for n in range(11)]
    assert all(data.startswith(f"{CHAT}|nps:") for _, data in keys)
    assert [len(row) for row in survey["reply_markup"]["inline_keyboard"]] == [6, 5]  # packed, not 11 rows
    query = h.fake.press(ALICE, survey, keys[8][1])
    assert (await answered(h, query))["text"].startswith("Thanks for your answer: 8.")
    again = h.fake.press(ALICE, survey, keys[2][1])
    assert "already answered" in (await answered(h, again))["text"]
    async with h.core.db.unit_of_work() as s:
        scores = list(await s.scalars(select(NpsResponse.score)))
        paid = list(await s.scalars(select(LedgerEntry.delta).where(LedgerEntry.reason == Reason.NPS_COMPLETED)))
    assert scores == [8] and paid == [15]
