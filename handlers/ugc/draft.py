"""What a member submits, checked before anything is read or written.

Duplicates are judged on the content: a file by its sha256, text by its
normalised form (``handlers.engagement.fingerprint``) with the program's
hashtags removed. A caption under a file is not its content ("my entry
#acmeugc" under two different photos is two submissions), so text is
compared only between submissions without a file.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, replace

from handlers import textnorm, validation
from handlers.config_model import UgcSettings
from handlers.engagement import fingerprint
from handlers.errors import UserError
from handlers.media import Upload
from handlers.ugc import ids

TEXT_MAX = 4000
FILENAME_MAX = 255
MIME_MAX = 100
# "image/*" in the config does not cover these: opened from disk, an SVG runs its scripts.
SCRIPTABLE = frozenset({"image/svg+xml"})
_MIME = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*", re.ASCII)


@dataclass(frozen=True)
class Media:
    sha256: str
    kind: str
    mime: str
    size: int
    filename: str
    data: bytes


@dataclass(frozen=True)
class Draft:
    text: str
    # Of the text without the program's hashtags; None when nothing is left to compare.
    text_hash: str | None
    media: Media | None
    contest_id: int | None


@functools.lru_cache(maxsize=64)
def _hashtag_pattern(tags: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(tag) for tag in tags)
    return re.compile(rf"(?<![\w#])(?:{alternatives})(?!\w)", re.IGNORECASE)


def has_hashtag(text: str, tags: tuple[str, ...]) -> bool:
    return bool(tags) and _hashtag_pattern(tags).search(text) is not None


def without_hashtags(text: str, tags: tuple[str, ...]) -> str:
    return _hashtag_pattern(tags).sub(" ", text).strip() if tags else text.strip()


def has_content(settings: UgcSettings, raw_text: object, upload: object) -> bool:
    """Text beyond the program's hashtags, or a file (a bare hashtag is not a submission)."""
    blank_upload = upload is None or (isinstance(upload, str) and not upload.strip())
    return not blank_upload or bool(without_hashtags(_text(raw_text), settings.hashtags))


def build(settings: UgcSettings, raw_text: object, upload: object, raw_contest: object) -> Draft:
    """The checked submission, or a ``UserError`` naming what is wrong with the input."""
    if not has_content(settings, raw_text, upload):
        raise UserError("error.ugc_empty")
    text = _text(raw_text)
    if len(text) > TEXT_MAX:
        raise UserError("error.ugc_text_too_long", length=len(text), maximum=TEXT_MAX)
    body = without_hashtags(text, settings.hashtags)
    text_hash = fingerprint(body)[0] if textnorm.normalise(body) else None
    contest = None if raw_contest is None or str(raw_contest).strip() == "" else \
        ids.number(raw_contest, "error.ugc_contest_id")
    return Draft(text, text_hash, _media(settings, upload), contest)


def _text(raw: object) -> str:
    return textnorm.storable("" if raw is None else str(raw)).strip()


def accepted(patterns: tuple[str, ...], mime: str) -> bool:
    major = mime.partition("/")[0]
    return mime in patterns or (f"{major}/*" in patterns and mime not in SCRIPTABLE)


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _media(settings: UgcSettings, upload: object) -> Media | None:
    if upload is None or (isinstance(upload, str) and not upload.strip()):
        return None
    if not isinstance(upload, Upload):
        raise UserError("error.ugc_media_unreadable")
    mime = upload.content_type.partition(";")[0].strip().lower()
    if len(mime) > MIME_MAX or not _MIME.fullmatch(mime) or not accepted(settings.media_types, mime):
        raise UserError("error.ugc_media_type", type=validation.shown(mime or "?"),
                        allowed=", ".join(settings.media_types))
    size = len(upload.data) if upload.data is not None else upload.size
    if size > settings.max_media_bytes:
        raise UserError("error.ugc_too_large", name=_filename(upload.filename), size=megabytes(size),
                        limit=megabytes(settings.max_media_bytes))
    if not upload.data:
        raise UserError("error.ugc_media_unreadable")
    return Media(hashlib.sha256(upload.data).hexdigest(), replace(upload, content_type=mime).kind, mime, size,
                 _filename(upload.filename), upload.data)


def _filename(raw: str) -> str:
    """The original name without any folder part, on one line, at most FILENAME_MAX characters."""
    return validation.shown(str(raw).replace("\\", "/").rpartition("/")[2], FILENAME_MAX) or "file"
