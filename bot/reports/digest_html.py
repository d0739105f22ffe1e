"""The digest as one HTML file a brand team opens from disk: every part, each against the previous period.

The page loads nothing (its content security policy says so): the charts are
``data:`` URIs of the same PNGs that are posted in chat, and the style is inline.
The fixed parts come first, then every feature section (``Digest.sections``)
drawn the same generic way: title, headline, table, note. Members' text is
escaped by the template; only http(s) permalinks become links.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.reports.digest_charts import Chart
from bot.reports.digest_text import (
    LABELS,
    Change,
    bounds,
    count_change,
    local_time,
    number,
    percent,
    share_change,
)
from bot.reports.render import data_uri, render
from handlers import i18n
from handlers.digest.model import Activity, Digest, GroupMix, Highlight, Mix, PointsByReason, Term

# Activity measures in the order shown; None: neither direction is good or bad in itself.
METRICS: tuple[tuple[str, bool | None], ...] = (
    ("messages", True), ("active_members", True), ("daily_active", True), ("weekly_active", True),
    ("monthly_active", True), ("new_members", True), ("returning_members", True), ("lapsed_members", False))
# Whether more of a sentiment label is better, for the colour of its change.
BETTER = {"positive": True, "neutral": None, "negative": False}


@dataclass(frozen=True)
class Compared:
    """A figure of this period beside the previous one."""

    label: str
    current: str
    previous: str
    change: Change
    tone: str


@dataclass(frozen=True)
class GroupRow:
    label: str
    scored: str
    shares: tuple[str, ...]  # in LABELS order
    negative_change: Change
    tone: str


@dataclass(frozen=True)
class Quote:
    highlight: Highlight
    kind: str
    meta: str
    score: str
    link: str | None


@dataclass(frozen=True)
class Image:
    name: str
    title: str
    uri: str


@dataclass(frozen=True)
class Part:
    """A fixed part of the report: its anchor and title, for the page's table of contents."""

    key: str
    title: str


def digest_html(digest: Digest, charts: Sequence[Chart]) -> str:
    """The report of ``digest`` in its locale, with ``charts`` (from ``digest_charts.charts``) embedded."""
    locale = digest.locale
    start, end = bounds(digest.period)
    previous_start, previous_end = bounds(digest.period.previous)
    return render(
        "digest.html", locale, digest=digest, start=start, end=end, previous_start=previous_start,
        previous_end=previous_end, generated=local_time(digest.generated_at, digest.period.timezone),
        parts=_parts(locale), kpis=_kpis(digest),
        activity=_activity(digest.activity, digest.previous_activity, locale),
        mix=_mix(digest.mix, digest.previous_mix, locale), labels=LABELS,
        charts=[Image(c.name, c.title, data_uri(c.png, "image/png")) for c in charts],
        days=[(day, [percent(day.mix.share(label), locale) for label in LABELS]) for day in digest.days],
        communities=[_group(group, locale) for group in digest.communities],
        languages=[_group(group, locale) for group in digest.languages],
        positive=[_quote(h, digest.period.timezone, locale) for h in digest.most_positive],
        negative=[_quote(h, digest.period.timezone, locale) for h in digest.most_negative],
        top_terms=[_term(term, locale) for term in digest.top_terms],
        rising_terms=[_term(term, locale) for term in digest.rising_terms],
        points=_points(digest, locale), reasons=[_reason(row, locale) for row in digest.points_issued],
        sections=[(_anchor(section.key), section) for section in digest.sections])


def _parts(locale: str) -> list[Part]:
    keys = ("activity", "sentiment", "charts", "days", "communities", "languages", "highlights", "terms",
            "points", "tiers", "contributors")
    return [Part(key, i18n.translate(f"report.digest.section.{key}", locale)) for key in keys]


def _compare(label: str, current: float, previous: float, locale: str, better: bool | None) -> Compared:
    change = count_change(current, previous, locale)
    return Compared(label, number(current), number(previous), change, change.tone(better))


def _compare_share(label: str, current: float | None, previous: float | None, locale: str,
                   better: bool | None) -> Compared:
    change = share_change(current, previous, locale)
    return Compared(label, percent(current, locale), percent(previous, locale), change, change.tone(better))


def _kpis(digest: Digest) -> list[Compared]:
    """The four figures at the top of the page."""
    locale, t = digest.locale, i18n.translate
    return [_compare(t("report.digest.metric.messages", locale), digest.activity.messages,
                     digest.previous_activity.messages, locale, True),
            _compare(t("report.digest.metric.active_members", locale), digest.activity.active_members,
                     digest.previous_activity.active_members, locale, True),
            *(_compare_share(t(f"report.digest.kpi.{label}", locale), digest.mix.share(label),
                             digest.previous_mix.share(label), locale, BETTER[label])
              for label in ("positive", "negative"))]


def _activity(current: Activity, previous: Activity, locale: str) -> list[Compared]:
    rows = [_compare(i18n.translate(f"report.digest.metric.{key}", locale), getattr(current, key),
                     getattr(previous, key), locale, better) for key, better in METRICS]
    rows.append(_compare_share(i18n.translate("report.digest.metric.retention", locale), current.retention,
                               previous.retention, locale, True))
    return rows


def _mix(current: Mix, previous: Mix, locale: str) -> list[tuple[str, Compared]]:
    """Per label: its count, and its share of scored messages against the previous share."""
    rows = []
    for label in LABELS:
        row = _compare_share(i18n.translate(f"report.digest.sentiment.{label}", locale), current.share(label),
                             previous.share(label), locale, BETTER[label])
        rows.append((number(getattr(current, label)), row))
    unscored = Compared(i18n.translate("report.digest.sentiment.unscored", locale), "", "",
                        Change("", "none"), "neutral")
    rows.append((number(current.unscored), unscored))
    return rows


def _group(group: GroupMix, locale: str) -> GroupRow:
    change = share_change(group.mix.share("negative"), group.previous.share("negative"), locale)
    return GroupRow(group.label, number(group.mix.scored),
                    tuple(percent(group.mix.share(label), locale) for label in LABELS), change,
                    change.tone(BETTER["negative"]))


def _quote(highlight: Highlight, timezone: str, locale: str) -> Quote:
    t = i18n.translate
    meta = t("report.digest.highlight.meta", locale, author=highlight.author, community=highlight.community,
             at=local_time(highlight.at, timezone))
    score = f"{_sentiment(highlight.label, locale)} {highlight.score:.0%}"  # "Negative 91%", "消极 91%"
    kind = _known(f"report.digest.kind.{highlight.kind}", highlight.kind, locale)
    return Quote(highlight, kind, meta, score, _web_link(highlight.link))


def _term(term: Term, locale: str) -> Compared:
    return _compare(term.term, term.count, term.previous, locale, None)


def _points(digest: Digest, locale: str) -> list[Compared]:
    issued = sum(row.points for row in digest.points_issued)
    return [_compare(i18n.translate("report.digest.points.issued", locale), issued,
                     digest.previous_points_issued, locale, None),
            Compared(i18n.translate("report.digest.points.spent", locale), number(digest.points_spent), "",
                     Change("", "none"), "neutral")]


def _reason(row: PointsByReason, locale: str) -> tuple[str, str, str]:
    reason = _known(f"report.digest.reason.{row.reason}", row.reason, locale)
    return reason, number(row.points), number(row.entries)


def _sentiment(label: str, locale: str) -> str:
    return _known(f"report.digest.sentiment.{label}", label, locale)


def _known(key: str, fallback: str, locale: str) -> str:
    """The catalog's text for ``key``, or ``fallback`` as stored (a reason or kind added later)."""
    return i18n.translate(key, locale) if key in i18n.CATALOG else fallback


def _web_link(link: str | None) -> str | None:
    """Only http(s) addresses become links: autoescaping does not stop a ``javascript:`` URL."""
    return link if link and urlsplit(link).scheme in ("http", "https") else None


def _anchor(key: str) -> str:
    return "section-" + (re.sub(r"[^a-z0-9_-]+", "-", key.lower()).strip("-") or "feature")
