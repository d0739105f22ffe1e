"""``engagebot sentiment``: score, eval, export and rescore."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot import config as config_loader
from bot import sentiment_export
from bot.cli_common import ConfigOption, fail, load_settings
from bot.config import Secrets
from bot.sentiment_worker import SentimentWorker
from handlers.config_model import Settings
from sentiment import loader
from sentiment.evaluate import describe, evaluate
from sentiment.scoring import Scorer
from storage import schema, sentiment_store
from storage.database import Database

app = typer.Typer(help="Sentiment model commands.", no_args_is_help=True)
console = Console()
WORDS = {"negative": 0, "neutral": 1, "positive": 2}
BackendOption = Annotated[str, typer.Option(help="onnx or transformers.")]
ModelOption = Annotated[str | None, typer.Option(help="Model dir (onnx) or HF id/path (transformers).")]

def _lines(path: Path, option: str) -> list[str]:
    if not path.is_file():
        raise fail(f"{option} {path}: no such file")
    return path.read_text(encoding="utf-8").splitlines()


def _scorer(backend: str, model: str | None) -> Scorer:
    if backend not in ("onnx", "transformers"):
        raise fail(f"--backend must be onnx or transformers, got {backend!r}")
    try:
        return loader.load(backend, model)
    except (ValueError, OSError, ImportError) as exc:
        raise fail(f"cannot load the {backend} model: {exc}") from None



def _database(settings: Settings) -> Database:
    return Database(config_loader.database_url(settings, Secrets.from_env()))


def _label(raw: str, binary: bool, where: str) -> int:
    value = raw.strip().lower()
    if value in WORDS:
        return WORDS[value]
    if value.isdigit() and int(value) in ((0, 1) if binary else (0, 1, 2)):
        return 2 if binary and value == "1" else int(value)
    allowed = "0/1 or negative/positive" if binary else "0/1/2 or negative/neutral/positive"
    raise fail(f"{where}: label {raw!r} is not {allowed}")


def _read(text: Path | None, labels: Path | None, csv_file: Path | None, text_col: str, label_col: str,
          binary: bool) -> tuple[list[str], list[int]]:
    if csv_file is not None:
        if not csv_file.is_file():
            raise fail(f"--csv {csv_file}: no such file")
        with csv_file.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        if rows and (text_col not in rows[0] or label_col not in rows[0]):
            raise fail(f"{csv_file} has columns {list(rows[0])}; --text-col/--label-col name missing ones")
        return [r[text_col] or "" for r in rows], [_label(r[label_col], binary, f"{csv_file}:{i + 2}")
                                                   for i, r in enumerate(rows)]
    if text is None or labels is None:
        raise fail("give --text FILE and --labels FILE, or --csv FILE")
    texts = _lines(text, "--text")
    golds = _lines(labels, "--labels")
    if len(texts) != len(golds):
        raise fail(f"{text} has {len(texts)} lines but {labels} has {len(golds)}")
    return texts, [_label(g, binary, f"{labels}:{i + 1}") for i, g in enumerate(golds)]


@app.command("eval")
def eval_command(
    text: Annotated[Path | None, typer.Option(help="One text per line.")] = None,
    labels: Annotated[Path | None, typer.Option(help="One label per line (0/1/2 or words).")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="CSV with a text and a label column.")] = None,
    text_col: Annotated[str, typer.Option(help="CSV text column.")] = "text",
    label_col: Annotated[str, typer.Option(help="CSV label column.")] = "label",
    binary: Annotated[bool, typer.Option(help="Labels are negative/positive only (0/1); a three-class model "
                                              "decides by P(positive) against P(negative).")] = False,
    all_languages: Annotated[bool, typer.Option(help="Score every language (no gate).")] = False,
    backend: BackendOption = "onnx",
    model: ModelOption = None,
) -> None:
    """Macro-recall, accuracy, macro-F1, confusion matrix and texts/s on labelled data."""
    texts, gold = _read(text, labels, csv_file, text_col, label_col, binary)
    scorer = _scorer(backend, model)
    scorer.gate_languages = not all_languages
    console.print(describe(scorer.version, evaluate(scorer, texts, gold, binary)), highlight=False, soft_wrap=True)


@app.command("rescore")
def rescore(since: Annotated[datetime, typer.Option(help="Rescore messages from this UTC time on.")],
            config: ConfigOption = Path("config.yaml")) -> None:
    """Score messages again with the configured model (after a model change)."""
    settings = load_settings(config)
    database = _database(settings)

    async def main() -> tuple[int, int]:
        try:
            await schema.ensure_current(database)
            async with database.unit_of_work() as session:
                queued = await sentiment_store.requeue(session, since.replace(tzinfo=None))
            s = settings.sentiment
            worker = SentimentWorker(database, loader.load(s.backend, s.model, s.batch_size), s.batch_size,
                                     s.max_wait_seconds)
            return queued, await worker.drain()
        finally:
            await database.dispose()

    try:
        queued, written = asyncio.run(main())
    except schema.SchemaOutOfDate as exc:
        raise fail(str(exc)) from None
    console.print(f"requeued {queued} messages, scored {written}")


@app.command("score")
def score(
    text: Annotated[list[str] | None, typer.Argument(help="Text(s) to score.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Score each line of this file.")] = None,
    backend: BackendOption = "onnx",
    model: ModelOption = None,
) -> None:
    """Print the label and the class probabilities of each text."""
    texts = list(text or []) + (_lines(file, "--file") if file is not None else [])
    if not texts:
        raise fail("give a TEXT to score, or --file FILE with one text per line")
    scorer = _scorer(backend, model)
    table = Table("text", "label", "P(negative)", "P(neutral)", "P(positive)", "language")
    for item, result in zip(texts, scorer.score(texts), strict=True):
        probabilities = [("-" if p is None else f"{p:.3f}") for p in (result.p_negative, result.p_neutral,
                                                                       result.p_positive)]
        table.add_row(escape(item if len(item) <= 60 else item[:59] + "…"), result.label, *probabilities,
                      result.language)
    console.print(table)
    console.print(f"model: {scorer.version}", highlight=False)


@app.command("export")
def export(
    program: Annotated[str, typer.Option(help="Program id from config.yaml.")],
    since: Annotated[datetime | None, typer.Option(help="From this UTC time on (inclusive).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Before this UTC time (exclusive).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out: Annotated[Path | None, typer.Option(help="File to write (default: PROGRAM-sentiment.csv|json).")] = None,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Write every message's sentiment scores (label, probabilities, language) for a program."""
    settings = load_settings(config)
    if fmt not in ("csv", "json"):
        raise fail(f"--format must be csv or json, got {fmt!r}")
    if program not in {p.id for p in settings.programs}:
        raise fail(f"unknown program {program!r}; configured programs: {[p.id for p in settings.programs]}")
    if since is not None and until is not None and since >= until:
        raise fail(f"--since {since} must be before --until {until}")
    target = out or Path(f"{program}-sentiment.{fmt}")
    if not target.parent.is_dir():
        raise fail(f"--out {target}: folder {target.parent} does not exist")
    database = _database(settings)

    async def main() -> list[dict[str, object]]:
        try:
            await schema.ensure_current(database)
            async with database.unit_of_work(read_only=True) as session:
                return await sentiment_export.collect(session, program, _naive(since), _naive(until))
        finally:
            await database.dispose()

    try:
        rows = asyncio.run(main())
    except schema.SchemaOutOfDate as exc:
        raise fail(str(exc)) from None
    sentiment_export.write(rows, fmt, target)
    console.print(f"wrote {len(rows)} messages to {target}", highlight=False)


def _naive(moment: datetime | None) -> datetime | None:
    """Stored times are naive UTC: an aware option is converted, a naive one is taken as UTC."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
