"""Cheap language identification, good enough to gate unsupported languages.

The shipped model is trained on English and Chinese only. Script decides first:
any Han character makes a message Chinese (unless kana make it Japanese), or ``mixed``
when Latin letters outnumber the Han ones ("I love this 产品 so much"), and
both are scored, because community chat mixes the two freely; other non-Latin
scripts are unsupported. Latin text is English unless langid is confident it
is another language, because short English chat lines are often misread as
something else.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

SUPPORTED = frozenset({"en", "zh", "mixed"})
_LATIN_OTHERS = ["en", "es", "fr", "de", "it", "pt", "nl", "id", "tr", "pl", "sv"]
_CONFIDENT = 0.995
_MIN_OTHER_LATIN = 40


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from langid.langid import LanguageIdentifier, model

    ident = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    ident.set_languages(_LATIN_OTHERS)
    return ident


def warm_up() -> None:
    """Load langid's model now (a few seconds, mostly bz2 outside the GIL), e.g. in a
    thread while other work runs, instead of at the first long Latin-script text."""
    _identifier()


def _script(ch: str) -> str:
    if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
        return "han"
    name = unicodedata.name(ch, "")
    return name.split(" ")[0].lower() if name else "other"


def detect(text: str) -> str:
    """Return an ISO 639-1 code (or a script name) for ``text``."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            script = _script(ch)
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return "und"
    script = max(counts, key=lambda s: counts[s])
    han = counts.get("han", 0)
    # Japanese writes plenty of kana between its kanji; Chinese chat borrows the odd "の".
    if han and (counts.get("hiragana", 0) + counts.get("katakana", 0)) * 5 < han:
        return "mixed" if counts.get("latin", 0) > han else "zh"
    if script != "latin":
        return {"arabic": "ar", "devanagari": "hi", "cyrillic": "ru", "hangul": "ko",
                "hiragana": "ja", "katakana": "ja"}.get(script, script)
    if len(text) < _MIN_OTHER_LATIN:
        return "en"  # too short for langid to be trusted: no need to ask it (it costs ~1 ms a text)
    lang, prob = _identifier().classify(text)
    return lang if lang != "en" and prob >= _CONFIDENT else "en"
