"""A win-back nudge through python-telegram-bot against the local fake Bot API: the DM carries the
"stop these messages" button, and pressing it in the private chat opts the member out in the program."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from handlers.clock import utcnow
from handlers.config_model import Community, Program, Rules, Settings, TelegramSettings, WinbackSettings
from handlers.context import Actor, Context
from handlers.engagement import IncomingMessage
from storage.member_campaigns import WinbackNudge, WinbackOptOut
from tests.test_telegram_adapter import ALICE, CHAT, Harness, alice_harness
from tests.test_telegram_ugc_contests import Clock, answered, private, scheduler_of


def settings_for(api_port: int) -> Settings:
    return Settings(
        programs=(
            Program(
                id="acme",
                name="Acme",
                rules=Rules(cooldown_seconds=0, min_message_length=5, daily_cap=1000),
                communities=(Community(platform="telegram", id=str(CHAT)),),
                winback=WinbackSettings(enabled=True, factor=2, min_history_messages=4, churn_threshold=None),
            ),
        ),
        telegram=TelegramSettings(
            base_url=f"http://127.0.0.1:{api_port}/bot",
            poll_timeout_seconds=1,
            base_file_url=f"http://127.0.0.1:{api_port}/file/bot",
        ),
    )


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with alice_harness(settings_for, tmp_path) as h:
        yield h


async def test_nudge_dm_has_a_stop_button_whose_press_opts_out(harness: Harness) -> None:
    h = harness
    program = h.settings.programs[0]
    start = utcnow() - timedelta(days=20)
    for day in range(6):  # daily for six days, then twelve quiet days: more than 2 usual gaps
        at = start + timedelta(days=day)
        ctx = Context(
            program,
            "telegram",
            str(CHAT),
            Actor("telegram", str(ALICE), "alice", "alice"),
            "en",
            f"history-{day}",
            at,
            channel_id=str(CHAT),
        )
        await h.core.message(ctx, IncomingMessage(f"history-{day}", f"hello from day {day}"))
    await h.core.flush()
    before = len(h.fake.sent_to(ALICE))
    assert await scheduler_of(h, Clock()).run_due() >= 1
    nudge = await private(h, ALICE, before)
    assert nudge["text"].startswith("Hi alice, we miss you at Acme!")
    ((label, data),) = h.fake.buttons(nudge)
    assert label == "Stop these messages" and data.endswith("winback_off")
    query = h.fake.press(ALICE, nudge, data)
    assert (await answered(h, query))["text"].startswith(
        "You will get no more we-miss-you messages from Acme"
    )
    assert await h.count(WinbackOptOut) == 1 and await h.count(WinbackNudge) == 1
