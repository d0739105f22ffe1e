"""Text as the anti-farming rules see it: one normal form for "the same text"
and for "how long".

Why one form for both: an invisible character (zero-width space, joiner, BOM,
soft hyphen, variation selector) changes neither what a reader sees nor how
much they read, so it must make a copied message neither new (duplicate rule)
nor longer (minimum length). Fullwidth letters, case and punctuation are
folded the same way.

The normal form: invisible characters removed, Unicode NFKC, case folded;
then every run of characters that are not letters, digits or combining marks
(spaces, punctuation, symbols, emoji, anything unpaired or unassigned)
becomes one space, and the ends are trimmed. Its length counts letters,
digits and the single spaces between words; combining marks belong to the
text (they tell words apart) but are not counted, so stacked diacritics
cannot pad a short message.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

_DEFAULT_IGNORABLE = (
    (0x034F, 0x034F),    # combining grapheme joiner
    (0x115F, 0x1160),    # Hangul choseong / jungseong fillers
    (0x17B4, 0x17B5),    # Khmer inherent vowels
    (0x180B, 0x180F),    # Mongolian free variation selectors and vowel separator
    (0x3164, 0x3164),    # Hangul filler
    (0xFE00, 0xFE0F),    # variation selectors 1-16
    (0xFFA0, 0xFFA0),    # halfwidth Hangul filler
    (0xE0100, 0xE01EF),  # variation selectors 17-256
)


def storable(text: str) -> str:
    """Platform-supplied text as it can be stored and sent back: NUL and the
    other control characters except whitespace dropped (PostgreSQL refuses
    NUL in text), unpaired surrogates replaced by U+FFFD (they cannot be
    encoded as UTF-8 at all). Everything else is kept as the member wrote it."""
    return text.translate(_STORABLE)


def invisible(char: str) -> bool:
    """True for format characters (category Cf: zero-width space and joiners,
    BOM, soft hyphen, bidi marks, tags) and the other default-ignorable code
    points, which render as nothing."""
    if unicodedata.category(char) == "Cf":
        return True
    point = ord(char)
    return any(low <= point <= high for low, high in _DEFAULT_IGNORABLE)


def _kept(char: str) -> bool:
    """Letters, digits and non-enclosing combining marks make up words."""
    category = unicodedata.category(char)
    return category[0] in "LN" or category in ("Mn", "Mc")


def normalise(text: str) -> str:
    """The normal form described in the module docstring."""
    visible = text.translate(_VISIBLE)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return " ".join(folded.translate(_WORDS).split())


def length(normal: str) -> int:
    """Characters of normalised text that count toward the minimum length."""
    return len(normal.translate(_UNMARKED))


class _CharMap(dict[int, str | None]):
    """A ``str.translate`` table filled in per code point on first sight, so
    each character is classified once rather than once per message (the
    rules normalise every message on the event loop). It stops growing at
    ``_CACHED`` code points, whatever text arrives."""

    def __init__(self, rule: Callable[[str], str | None]) -> None:
        super().__init__()
        self.rule = rule

    def __missing__(self, point: int) -> str | None:
        value = self.rule(chr(point))
        if len(self) < _CACHED:
            self[point] = value
        return value


_CACHED = 1 << 14
_STORABLE = _CharMap(lambda c: None if not c.isspace() and unicodedata.category(c) == "Cc"
                     else "\ufffd" if "\ud800" <= c <= "\udfff" else c)
_VISIBLE = _CharMap(lambda c: None if invisible(c) else c)
_WORDS = _CharMap(lambda c: None if invisible(c) else c if _kept(c) else " ")
_UNMARKED = _CharMap(lambda c: None if unicodedata.category(c).startswith("M") else c)
