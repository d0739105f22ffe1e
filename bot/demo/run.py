"""Run the demo end to end: empty database, migrations, replay, scoring, verify, report.

By default the demo writes a fresh SQLite file in its output folder. Given a
database URL (``ENGAGEBOT_DATABASE_URL``, e.g. a PostgreSQL database) it runs
there instead, but only into an empty database: the demo never mixes its
sample community into real data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from bot.demo import (
    churn_report,
    contest_report,
    experiment_report,
    multiplier_report,
    referral_report,
    report,
    reward_report,
    sample,
    sentiment_mix,
)
from bot.demo import member_campaigns as member_campaign_demo
from bot.demo.contests import ContestDemo
from bot.demo.experiment import ExperimentDemo, with_experiment
from bot.demo.multipliers import CampaignDemo, with_member_day
from bot.demo.referrals import ReferralDemo
from bot.demo.replay import Replayer
from bot.demo.rewards import RewardDemo
from bot.demo.tables import Report
from bot.reports.digest import render as render_digest
from bot.sentiment_worker import SentimentWorker
from handlers.config_model import Settings
from handlers.core import Core
from handlers.digest.build import build as build_digest
from handlers.digest.model import Digest, Period
from sentiment import language, loader
from sentiment.scoring import Scorer
from storage import schema
from storage.database import Database
from storage.models import LedgerEntry, Member, Message
from storage.verify import verify

# Scoring after the replay drains a known backlog: big batches, fewer round trips.
SCORING_BATCH = 256


def _ready_scorer(settings: Settings) -> Scorer:
    """The model and the language identifier, loaded (in a thread, while the replay runs)."""
    scorer = loader.load(settings.sentiment.backend, settings.sentiment.model, settings.sentiment.batch_size)
    language.warm_up()
    return scorer


async def _score(db: Database, settings: Settings, replayed: asyncio.Event, advance: Callable[[int], None]) -> None:
    """Score messages while the replay stores them, as ``engagebot run`` does (the model
    runs in a thread, beside the replay), then the rest once the replay is done."""
    worker = SentimentWorker(db, await asyncio.to_thread(_ready_scorer, settings), SCORING_BATCH)
    while True:
        done = replayed.is_set()
        written = await worker.run_once(force=True)
        advance(written)
        if written:
            continue
        if done:
            return
        await asyncio.sleep(0.05)


class DemoError(Exception):
    """The demo cannot run here; the message says why."""


@dataclass(frozen=True)
class DemoResult:
    report: Report
    report_path: Path
    database: str
    verified: bool
    digest_path: Path


def sqlite_url(out_dir: Path) -> str:
    """A fresh SQLite file in ``out_dir`` (any previous demo database there is removed)."""
    db_path = out_dir / "engagebot-demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{db_path}"


async def _require_empty(db: Database) -> None:
    async with db.unit_of_work() as session:
        for table in (Member, Message, LedgerEntry):
            if await session.scalar(select(func.count()).select_from(table)):
                raise DemoError("the demo runs only in an empty database, and this one holds data; point "
                                "ENGAGEBOT_DATABASE_URL at an empty database (or unset it for a SQLite file)")


async def run_demo(settings: Settings, out_dir: Path, seed: int = 7, messages: int = sample.MESSAGES,
                   database_url: str | None = None, show_progress: bool = True) -> DemoResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or sqlite_url(out_dir)
    db = Database(url)
    try:
        await schema.upgrade(db)
        await _require_empty(db)
        settings = with_member_day(settings)
        settings = with_experiment(settings)
        settings = member_campaign_demo.with_birthdays(settings)
        core = Core(settings, db)
        await core.start()
        program = settings.programs[0]
        campaign_demo = CampaignDemo(core, program)
        await campaign_demo.create_window()
        data = sample.generate(seed=seed, messages=messages)
        replayer = Replayer(core, program, data)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      disable=not show_progress, transient=True) as progress:
            replaying = progress.add_task("replaying events", total=len(data.events))
            scoring = progress.add_task("sentiment", total=sum(1 for e in data.events if e.kind == "message"))
            replayed = asyncio.Event()
            scorer = asyncio.create_task(_score(db, settings, replayed, lambda n: progress.advance(scoring, n)))
            try:
                tally = await replayer.replay(lambda: progress.advance(replaying))
                birthdays = await member_campaign_demo.BirthdayDemo(core, program, data, seed).run()
                campaigned = await campaign_demo.run_timers()
                ab_test = await ExperimentDemo(core, program, data, seed).run()
                contests = await ContestDemo(core, program, data).run()
                redemptions = await RewardDemo(core, program, data).run()
                referred = await ReferralDemo(core, program, data).run()
            except BaseException:
                scorer.cancel()
                raise
            finally:
                replayed.set()
            await scorer
        async with db.unit_of_work() as session:
            zones = {p.id: p.timezone for p in settings.programs}
            verified = all(check.ok for check in await verify(session, tuple(zones), timezones=zones))
            sections = (await report.summary(session, program, tally, verified)
                        + await multiplier_report.sections(session, program, campaigned)
                        + await contest_report.sections(session, program, contests)
                        + await reward_report.sections(session, program, redemptions)
                        + await referral_report.sections(session, program, referred)
                        + await experiment_report.sections(session, program, ab_test)
                        + await member_campaign_demo.sections(session, program, data, birthdays)
                        + await sentiment_mix.build(session, program.id)
                        + churn_report.sections(await churn_report.validate(session, program, data)))
        async with db.unit_of_work() as session:
            month = Period(sample.START, sample.START + timedelta(days=sample.DAYS), program.timezone)
            digest = await build_digest(session, program, month, month.end)
    finally:
        await db.dispose()
    result = Report(f"engagebot demo report: {program.name}", sections)
    report_path = out_dir / "report.md"
    report_path.write_text(result.markdown(), encoding="utf-8")
    return DemoResult(result, report_path, db.engine.url.render_as_string(hide_password=True), verified,
                      _write_digest(digest, out_dir))


def _write_digest(digest: Digest, out_dir: Path) -> Path:
    """The month's brand-team digest as the HTML report, charts embedded, beside the text report."""
    rendered = render_digest(digest)
    path = out_dir / "digest.html"
    path.write_bytes(next(a.data for a in rendered.attachments if a.media_type == "text/html"))
    return path
