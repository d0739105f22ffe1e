"""Hand-made digests for the rendering tests: every part filled in, in English or Chinese.

A week of two communities, with a member's text that would be markup if it were
not escaped, a Chinese term, a highlight whose link is not a web address, and
two feature sections (one with a headline and a note, one bare).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

from handlers.digest.model import (
    Activity,
    Contributor,
    Day,
    Digest,
    GroupMix,
    Highlight,
    Mix,
    Period,
    PointsByReason,
    Section,
    Term,
    TierMove,
)

START = datetime(2026, 11, 22, 16, 0)  # midnight in Asia/Shanghai
HOSTILE = 'Love it <img src=x onerror="document.title=\'pwned\'"> & more'
NPS = Section(key="nps", title="NPS", headline="NPS +25 from 40 responses",
              columns=("group", "responses", "share"),
              rows=(("promoters", "20", "50%"), ("passives", "10", "25%"), ("detractors", "10", "25%")),
              note="Scores 9–10 promote, 0–6 detract.")
ALERTS = Section(key="alerts", title="Alerts", columns=("channel", "kind", "at"),
                 rows=(("#general", "negative share", "2026-11-24 10:00"),
                       ("#support", "volume", "2026-11-26 21:00")))


def _day(n: int, messages: int, positive: int, neutral: int, negative: int) -> Day:
    return Day(day=date(2026, 11, 23) + timedelta(days=n), messages=messages, active_members=messages // 3,
               mix=Mix(negative=negative, neutral=neutral, positive=positive,
                       unscored=messages - positive - neutral - negative))


def sample_digest(locale: str = "en", sections: tuple[Section, ...] = (NPS, ALERTS)) -> Digest:
    days = tuple(_day(n, 60 + 10 * n, 30 + n, 15, 10 - n) for n in range(6)) + (_day(6, 0, 0, 0, 0),)
    community = "品牌中文群" if locale == "zh-CN" else "Acme Telegram"
    return Digest(
        program_id="acme", program_name="Acme <Coffee>", locale=locale,
        period=Period(START, START + timedelta(days=7), "Asia/Shanghai"),
        generated_at=START + timedelta(days=7, hours=1),
        activity=Activity(messages=sum(d.messages for d in days), active_members=120, daily_active=31.4,
                          weekly_active=120, monthly_active=300, new_members=25, returning_members=95,
                          lapsed_members=15, retention=0.8636),
        previous_activity=Activity(messages=400, active_members=110, daily_active=28.0, weekly_active=110,
                                   monthly_active=280, new_members=20, returning_members=90,
                                   lapsed_members=10, retention=0.75),
        mix=Mix(negative=45, neutral=90, positive=195, unscored=165),
        previous_mix=Mix(negative=60, neutral=80, positive=160, unscored=100),
        days=days,
        communities=(GroupMix("discord:111", "Acme Discord", Mix(30, 60, 130, 100), Mix(40, 50, 100, 60)),
                     GroupMix("telegram:-100222", community, Mix(15, 30, 65, 65), Mix(20, 30, 60, 40))),
        languages=(GroupMix("en", "en", Mix(35, 70, 150, 0), Mix(50, 60, 120, 0)),
                   GroupMix("zh", "zh", Mix(10, 20, 45, 0), Mix(10, 20, 40, 0))),
        most_positive=(Highlight("message", HOSTILE, "Alice 🌸", "Acme Discord",
                                 START + timedelta(days=1, hours=3), "positive", 0.97,
                                 "https://discord.com/channels/111/5/9001"),
                       Highlight("ugc", "新品真的很棒", "小王", community, START + timedelta(days=2), "positive",
                                 0.93, "https://t.me/c/222/45")),
        most_negative=(Highlight("message", "Shipping took three weeks, terrible", "Bob", "Acme Discord",
                                 START + timedelta(days=4), "negative", 0.91, "javascript:alert(1)"),),
        top_terms=(Term("coffee", 80, 60), Term("新品", 45, 10), Term("shipping", 30, 35),
                   Term("launch", 20, 0)),
        rising_terms=(Term("新品", 45, 10), Term("launch", 20, 0)),
        points_issued=(PointsByReason("message", 2000, 400), PointsByReason("streak_bonus", 300, 30),
                       PointsByReason("nps_completed", 50, 10)),
        points_spent=900, previous_points_issued=2100,
        tier_moves=(TierMove("Bronze", "Silver", 12), TierMove("Silver", "Gold", 3)),
        top_contributors=(Contributor("Alice 🌸", 250, 40, "Gold"), Contributor("小王", 200, 35, "Silver")),
        sections=sections,
    )


def empty_digest(locale: str = "en") -> Digest:
    """A period in which nothing happened: every chart says so, every table is empty."""
    quiet = Activity(messages=0, active_members=0, daily_active=0.0, weekly_active=0, monthly_active=0,
                     new_members=0, returning_members=0, lapsed_members=0, retention=None)
    return replace(sample_digest(locale, sections=()), activity=quiet, previous_activity=quiet, mix=Mix(),
                   previous_mix=Mix(), days=(), communities=(), languages=(), most_positive=(),
                   most_negative=(), top_terms=(), rising_terms=(), points_issued=(), points_spent=0,
                   previous_points_issued=0, tier_moves=(), top_contributors=())


class Page(HTMLParser):
    """What a reader of the report sees: ``sections`` (id -> text), their table ``rows`` (cell texts),
    headings, images, links, the title."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.sections: dict[str, str] = {}
        self.rows: dict[str, list[list[str]]] = {}
        self.headings: list[str] = []
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.title = ""
        self.lang = ""
        self._section: str | None = None
        self._in: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = named.get("lang", "")
        if tag == "section":
            self._section = named["id"]
            self.sections[self._section] = ""
            self.rows[self._section] = []
        if tag == "tr" and self._section is not None:
            self.rows[self._section].append([])
        if tag in ("td", "th") and self._section is not None:
            self.rows[self._section][-1].append("")
        if tag == "img":
            self.images.append(named)
        if tag == "a" and "original" in named.get("class", ""):
            self.links.append(named["href"])
        if tag not in ("meta", "img", "br", "link", "hr", "input"):  # void elements have no end tag
            self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._section = None
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "title":
            self.title += data
        if self._in and self._in[-1] == "h2":
            self.headings.append(data.strip())
        if self._section is not None:
            self.sections[self._section] += data
            if any(tag in ("td", "th") for tag in self._in):
                self.rows[self._section][-1][-1] += data.strip()

    def table(self, section: str) -> dict[str, list[str]]:
        """The section's body rows by their first cell."""
        return {row[0]: row[1:] for row in self.rows[section] if row}
