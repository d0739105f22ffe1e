"""``engagebot sentiment eval`` and ``engagebot sentiment rescore``."""

from __future__ import annotations

import asyncio
import csv
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot import config as config_loader
from bot.config import ConfigError, Secrets
from handlers.config_model import SentimentSettings
from sentiment import loader
from sentiment.evaluate import describe, evaluate
from sentiment.worker import SentimentWorker
from storage import schema, sentiment_store
from storage.database import Database

app = typer.Typer(help="Sentiment model commands.", no_args_is_help=True)
console = Console()
WORDS = {"negative": 0, "neutral": 1, "positive": 2}


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(2)


def _label(raw: str, binary: bool, where: str) -> int:
    value = raw.strip().lower()
    if value in WORDS:
        return WORDS[value]
    if value.isdigit() and int(value) in ((0, 1) if binary else (0, 1, 2)):
        return 2 if binary and value == "1" else int(value)
    allowed = "0/1 or negative/positive" if binary else "0/1/2 or negative/neutral/positive"
    raise _fail(f"{where}: label {raw!r} is not {allowed}")


def _read(text: Path | None, labels: Path | None, csv_file: Path | None, text_col: str, label_col: str,
          binary: bool) -> tuple[list[str], list[int]]:
    if csv_file is not None:
        with csv_file.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        if rows and (text_col not in rows[0] or label_col not in rows[0]):
            raise _fail(f"{csv_file} has columns {list(rows[0])}; --text-col/--label-col name missing ones")
        return [r[text_col] or "" for r in rows], [_label(r[label_col], binary, f"{csv_file}:{i + 2}")
                                                   for i, r in enumerate(rows)]
    if text is None or labels is None:
        raise _fail("give --text FILE and --labels FILE, or --csv FILE")
    texts = text.read_text(encoding="utf-8").splitlines()
    golds = labels.read_text(encoding="utf-8").splitlines()
    if len(texts) != len(golds):
        raise _fail(f"{text} has {len(texts)} lines but {labels} has {len(golds)}")
    return texts, [_label(g, binary, f"{labels}:{i + 1}") for i, g in enumerate(golds)]


@app.command("eval")
def eval_command(
    text: Annotated[Path | None, typer.Option(help="One text per line.")] = None,
    labels: Annotated[Path | None, typer.Option(help="One label per line (0/1/2 or words).")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="CSV with a text and a label column.")] = None,
    text_col: Annotated[str, typer.Option(help="CSV text column.")] = "text",
    label_col: Annotated[str, typer.Option(help="CSV label column.")] = "label",
    binary: Annotated[bool, typer.Option(help="Labels are negative/positive only (0/1).")] = False,
    all_languages: Annotated[bool, typer.Option(help="Score every language (no gate).")] = False,
    backend: Annotated[str, typer.Option(help="onnx or transformers.")] = "onnx",
    model: Annotated[str | None, typer.Option(help="Model dir (onnx) or HF id/path (transformers).")] = None,
) -> None:
    """Macro-recall, accuracy, macro-F1, confusion matrix and texts/s on labelled data."""
    texts, gold = _read(text, labels, csv_file, text_col, label_col, binary)
    scorer = loader.load(SentimentSettings(backend=backend, model=model))  # type: ignore[arg-type]
    scorer.gate_languages = not all_languages
    console.print(describe(scorer.version, evaluate(scorer, texts, gold, binary)), highlight=False)


@app.command("rescore")
def rescore(since: Annotated[datetime, typer.Option(help="Rescore messages from this UTC time on.")],
            config: Annotated[Path, typer.Option("--config", "-c")] = Path("config.yaml")) -> None:
    """Score messages again with the configured model (after a model change)."""
    try:
        settings = config_loader.load(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    database = Database(config_loader.database_url(settings, Secrets.from_env()))

    async def main() -> tuple[int, int]:
        try:
            await schema.ensure_current(database)
            async with database.unit_of_work() as session:
                queued = await sentiment_store.requeue(session, since.replace(tzinfo=None))
            s = settings.sentiment
            worker = SentimentWorker(database, loader.load(s), s.batch_size, s.max_wait_seconds)
            return queued, await worker.drain()
        finally:
            await database.dispose()

    try:
        queued, written = asyncio.run(main())
    except schema.SchemaOutOfDate as exc:
        raise _fail(str(exc)) from None
    console.print(f"requeued {queued} messages, scored {written}")
