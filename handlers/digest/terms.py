"""Top terms of a period and the terms that rose most against the period before.

English (and any other alphabetic script) is split into lower-case words;
Chinese has no spaces, so runs of Han characters are segmented by jieba.
Stop words of both languages come from stopwords-iso (``stopwordsiso``), a
maintained list, and single characters are dropped: in Chinese they are
mostly particles, in English noise. A term counts once per message, so one
member repeating a word does not make it a trend.

Counting is Python work, so it runs on a bounded sample rather than every
message: the latest ``SAMPLE`` chat messages of each period (all of them in a
smaller period). Counts are therefore counts within the sample, and "rising"
compares each term's share of sampled messages, which keeps a busier period
from making every term look like it rose.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache

import jieba
import stopwordsiso

from handlers.digest.model import Term

SAMPLE = 10_000
TOP = 15
RISING = 10
HAN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")
WORD = re.compile(r"[^\W\d_](?:[\w']*[^\W_])?")
# Links, Discord mentions (<@123>, <#456>, <:emoji:789>) and @usernames are not words of the conversation.
NOISE = re.compile(r"https?://\S+|www\.\S+|<[@#:!&a-zA-Z_0-9]*\d+>|@\w+")


@cache
def _stop_words() -> frozenset[str]:
    return frozenset(stopwordsiso.stopwords("en") | stopwordsiso.stopwords("zh"))


@cache
def _segmenter() -> jieba.Tokenizer:
    """jieba's dictionary takes about a second to load: once per process, on first use, with jieba's
    own log lines kept out of ours."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def terms_of(text: str) -> set[str]:
    """The distinct terms of one message."""
    found: set[str] = set()
    stop = _stop_words()
    for i, part in enumerate(HAN.split(NOISE.sub(" ", text.replace("\u2019", "'")).lower())):
        words: Iterable[str] = _segmenter().lcut(part) if i % 2 else WORD.findall(part)
        found.update(w for w in words if len(w) > 1 and w not in stop)
    return found


def count(texts: Iterable[str]) -> Counter[str]:
    """In how many of ``texts`` each term occurs."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(terms_of(text))
    return counts


def compare(current: Sequence[str], previous: Sequence[str]) -> tuple[tuple[Term, ...], tuple[Term, ...]]:
    """(top terms, rising terms) of the ``current`` sample against the ``previous`` one. Top: most
    messages; rising: the largest gain in the share of messages holding the term (only terms that gained)."""
    now, before = count(current), count(previous)
    top = sorted(now, key=lambda t: (-now[t], t))[:TOP]
    size, earlier = max(len(current), 1), max(len(previous), 1)
    gain = {t: now[t] / size - before[t] / earlier for t in now}
    rising = sorted((t for t in now if gain[t] > 0), key=lambda t: (-gain[t], -now[t], t))[:RISING]
    return (tuple(Term(t, now[t], before[t]) for t in top), tuple(Term(t, now[t], before[t]) for t in rising))
