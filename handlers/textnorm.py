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
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text
                   if c.isspace() or unicodedata.category(c) != "Cc")


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
    visible = "".join(c for c in text if not invisible(c))
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    spaced = "".join(c if _kept(c) else " " for c in folded if not invisible(c))
    return " ".join(spaced.split())


def length(normal: str) -> int:
    """Characters of normalised text that count toward the minimum length."""
    return sum(1 for c in normal if not unicodedata.category(c).startswith("M"))
