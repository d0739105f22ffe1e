"""Run the demo end to end: fresh SQLite file, migrations, replay, verify, report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.demo import report, sample, sentiment_mix
from bot.demo.replay import Replayer
from handlers.config_model import Settings
from handlers.core import Core
from sentiment import loader
from sentiment.worker import SentimentWorker
from storage import schema
from storage.database import Database
from storage.verify import verify


@dataclass(frozen=True)
class DemoResult:
    report: str
    report_path: Path
    database_path: Path
    verified: bool


async def run_demo(settings: Settings, out_dir: Path, seed: int = 7, messages: int = 2400,
                   show_progress: bool = True) -> DemoResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "engagebot-demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    try:
        await schema.upgrade(db)
        core = Core(settings, db)
        await core.start()
        program = settings.programs[0]
        data = sample.generate(seed=seed, messages=messages)
        replayer = Replayer(core, program, data)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      disable=not show_progress) as progress:
            task = progress.add_task("replaying events", total=len(data.events))
            tally = await replayer.replay(lambda: progress.advance(task))
            scoring = progress.add_task("sentiment", total=tally.messages)
            worker = SentimentWorker(db, loader.load(settings.sentiment), settings.sentiment.batch_size)
            while written := await worker.run_once(force=True):
                progress.advance(scoring, written)
        async with db.unit_of_work() as session:
            verified = all(check.ok for check in await verify(session))
            text = await report.build(session, program, tally, verified) + "\n" + await sentiment_mix.build(session)
    finally:
        await db.dispose()
    report_path = out_dir / "report.md"
    report_path.write_text(text, encoding="utf-8")
    return DemoResult(text, report_path, db_path, verified)
