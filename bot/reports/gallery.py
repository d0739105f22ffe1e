"""The UGC gallery: one HTML file of a program's submissions, a section per status.

Images are embedded as thumbnails and the page loads nothing from anywhere (its
content security policy says so), so a brand team can mail it around and open it
from disk. Videos and documents get a tile naming their type, file name and
size. Times are shown in the program's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.reports.render import render, thumbnail
from bot.ugc_export import STATUSES
from handlers.config_model import Program
from handlers.ugc.media_store import MediaStore

SENTIMENTS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class Tile:
    row: dict[str, Any]
    thumbnail: str | None  # data: URI, for an image whose file could be read
    missing: bool  # media named by the row but not (readably) in the media folder
    size: str
    link: str | None  # the permalink, when it is a web address
    created: str
    sentiment: str


@dataclass(frozen=True)
class Section:
    status: str
    tiles: list[Tile]


def ugc_gallery(rows: list[dict[str, Any]], program: Program, statuses: Iterable[str],
                store: MediaStore, exported_at: datetime) -> str:
    """The page for ``rows`` (from ``bot.ugc_export.collect``) in the program's locale, with
    each submission's media read from ``store``."""
    zone = ZoneInfo(program.timezone)
    tiles = [_tile(row, store, zone) for row in rows]
    wanted = set(statuses)
    sections = [Section(status, [t for t in tiles if t.row["status"] == status])
                for status in STATUSES if status in wanted]
    return render("ugc_gallery.html", program.locale, program=program, sections=sections, total=len(tiles),
                  exported=_local(exported_at, zone), zone=program.timezone)


def _tile(row: dict[str, Any], store: MediaStore, zone: ZoneInfo) -> Tile:
    path = store.path(row["media_sha256"], row["media_mime"] or "") if row["media_sha256"] else None
    image = thumbnail(path) if path is not None and row["media_type"] == "image" else None
    missing = path is not None and (image is None if row["media_type"] == "image" else not path.is_file())
    label = row["sentiment_label"]
    created = _local(datetime.fromisoformat(row["created_at"]), zone)
    return Tile(row=row, thumbnail=image, missing=missing, size=_size(row["media_size"]),
                link=_web_link(row["permalink"]), created=created,
                sentiment=label if label in SENTIMENTS else "unscored")


def _web_link(permalink: str | None) -> str | None:
    """Only http(s) addresses become links: autoescaping does not stop a ``javascript:`` URL."""
    if permalink and urlsplit(permalink).scheme in ("http", "https"):
        return permalink
    return None


def _local(moment: datetime, zone: ZoneInfo) -> str:
    """A stored naive-UTC (or aware) time in ``zone``."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
