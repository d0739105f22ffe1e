"""Text normalisation shared by training and inference.

Training and scoring must see text in exactly the same shape, so both import
this one function. Emoji are spelled out as words (``:face_with_tears_of_joy:``
becomes ``face with tears of joy``) because the English word-piece vocabulary
has no emoji, and an emoji is often the only sentiment signal in a chat line.
"""

from __future__ import annotations

import re
import unicodedata

import emoji

_MENTION = re.compile(r"(?<!\w)@\w+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_REPEAT = re.compile(r"(.)\1{2,}")
_SPACE = re.compile(r"\s+")


def clean_unicode(text: str) -> str:
    """Drop lone surrogates and control characters that break tokenizers."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def _spell_emoji(match: str, data: dict[str, str]) -> str:
    return " " + data["en"].strip(":").replace("_", " ") + " "


def normalize(text: str) -> str:
    """Return the model's view of ``text``: mentions, links and floods tamed."""
    text = clean_unicode(text)
    text = _URL.sub(" http ", text)
    text = _MENTION.sub("@user", text)
    text = _REPEAT.sub(r"\1\1", text)
    text = emoji.replace_emoji(text, replace=_spell_emoji)
    return _SPACE.sub(" ", text).strip()


def has_words(text: str) -> bool:
    """True when ``text`` holds letters or emoji beyond links and mentions: a reply of only "🔥🔥" or
    "😡" carries sentiment (the emoji are spelled out as words), a bare link or mention does not."""
    stripped = _URL.sub(" ", _MENTION.sub(" ", clean_unicode(text)))
    return any(ch.isalpha() for ch in stripped) or emoji.emoji_count(stripped) > 0
