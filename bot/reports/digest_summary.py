"""The few lines posted in chat above the charts and the HTML report, in the program's language.

Volume and actives, the sentiment mix and how they moved, the NPS headline and
the number of alerts when those features put a section in the digest, and the
top terms. It stays well under chat limits (Telegram captions are 1,024
characters, messages 4,096; Discord's 2,000): ``MAX_CHARS`` is enforced.
"""

from __future__ import annotations

from bot.reports.digest_text import LABELS, Change, bounds, count_change, percent, share_change
from handlers import i18n
from handlers.digest.model import Digest, Section

MAX_CHARS = 1500
TOP_TERMS = 3
MAX_TERM_CHARS = 30
MAX_HEADLINE_CHARS = 200


def summary(digest: Digest) -> str:
    locale = digest.locale
    lines = [_title(digest), _volume(digest), _sentiment(digest)]
    nps = _section(digest, "nps")
    if nps is not None and nps.headline:
        lines.append(_clip(nps.headline, MAX_HEADLINE_CHARS))  # the NPS builder's own line
    alerts = _section(digest, "alerts")
    raised = len(alerts.rows) if alerts else 0  # one row per incident
    lines.append(i18n.translate("report.digest.summary.alerts", locale, count=raised))
    if digest.top_terms:
        separator = i18n.translate("report.digest.summary.separator", locale)
        terms = separator.join(_clip(term.term, MAX_TERM_CHARS) for term in digest.top_terms[:TOP_TERMS])
        lines.append(i18n.translate("report.digest.summary.terms", locale, terms=terms))
    lines.append(i18n.translate("report.digest.summary.attached", locale))
    return _clip("\n".join(lines), MAX_CHARS)


def _title(digest: Digest) -> str:
    start, end = bounds(digest.period)
    return "📊 " + i18n.translate("report.digest.summary.title", digest.locale, program=digest.program_name,
                                  start=start, end=end)


def _vs_previous(change: Change, locale: str) -> str:
    """" (+12% vs previous)"; nothing when the previous period had nothing to compare with."""
    if not change.comparable:
        return ""
    return i18n.translate("report.digest.summary.vs_previous", locale, change=change.text)


def _volume(digest: Digest) -> str:
    locale, now, before = digest.locale, digest.activity, digest.previous_activity
    return i18n.translate(
        "report.digest.summary.volume", locale, messages=f"{now.messages:,}",
        actives=f"{now.active_members:,}",
        messages_change=_vs_previous(count_change(now.messages, before.messages, locale), locale),
        actives_change=_vs_previous(count_change(now.active_members, before.active_members, locale), locale))


def _sentiment(digest: Digest) -> str:
    locale, mix, previous = digest.locale, digest.mix, digest.previous_mix
    if not mix.scored:
        return i18n.translate("report.digest.summary.no_sentiment", locale)

    def moved(label: str) -> str:
        return _vs_previous(share_change(mix.share(label), previous.share(label), locale), locale)

    shares = {label: percent(mix.share(label), locale, digits=0) for label in LABELS}
    return i18n.translate("report.digest.summary.sentiment", locale, **shares,
                          positive_change=moved("positive"), negative_change=moved("negative"))


def _section(digest: Digest, key: str) -> Section | None:
    return next((section for section in digest.sections if section.key == key), None)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
