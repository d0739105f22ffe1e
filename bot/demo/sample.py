"""A seeded, synthetic month in a brand's Discord and Telegram communities.

Deterministic for a given seed, so reports are comparable run to run. It
mixes English and Chinese chatter (positive, neutral and negative), spam
("gm", emoji floods), copy-pasted promos, a flooder who triggers the
cooldown, reactions, moderator awards and a freeze, and members who link
their Discord and Telegram accounts part-way through. Some members churn:
their messages fade out before the month ends and turn more negative as
they go, so the churn-risk score can be checked against who really left
(``Person.churning``). Churners are picked with their own random stream,
so the rest of the month is the same with or without them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

START = datetime(2026, 10, 1, 0, 0, 0)
DAYS = 30
# One message in REACTED_SHARE gets reactions, from 1 to MAX_REACTORS members: enough to show
# reaction points at work; each reaction is its own unit of work, so they dominate the replay time.
REACTED_SHARE = 5
MAX_REACTORS = 3
# The default month: every rule and feature shows up (tiers reached, too), and the demo runs in seconds.
MESSAGES = 1200
MEMBERS = 200

EN_OPENERS = ["Honestly", "Just saying", "Quick update", "Hey all", "Not gonna lie", "FYI", "So", "Wow"]
EN_TOPICS = ["the new release", "the latest drop", "customer support", "the mobile app", "shipping",
             "the community event", "the loyalty program", "the spring collection", "the beta", "the price change"]
EN_POSITIVE = ["is amazing, love it", "works great for me", "made my day 😍", "is the best thing this year",
               "is really well done, thanks team", "exceeded my expectations 🎉"]
EN_NEUTRAL = ["is out on Tuesday I think", "was discussed in the last call", "has a new FAQ page",
              "is listed on the website", "comes in three sizes", "starts at 9am UTC"]
EN_NEGATIVE = ["is broken again, so frustrating", "is a total disappointment 😡", "took three weeks, terrible",
               "keeps crashing on my phone", "is way too expensive now", "support never answered me"]
ZH_TOPICS = ["新版本", "这次活动", "客服", "手机应用", "物流", "会员积分", "新品", "价格调整"]
ZH_POSITIVE = ["真的很棒，太喜欢了", "体验非常好，感谢团队", "超出预期了 🎉", "质量很好，推荐大家"]
ZH_NEUTRAL = ["下周二上线", "官网上有说明", "有三种尺寸", "上午九点开始"]
ZH_NEGATIVE = ["又出问题了，太失望了", "太贵了，不值", "等了三个星期，很差", "一直闪退，没法用"]
SPAM = ["gm", "gm gm", "lol", "🔥🔥🔥", "+1", "nice", "早", "哈哈"]
PROMO = "Join my channel for FREE crypto signals!!! t.me/notascam"
EN_NAMES = ["alex", "sam", "jordan", "taylor", "casey", "riley", "morgan", "jamie", "drew", "quinn", "avery",
            "parker", "rowan", "skyler", "emery", "reese", "harper", "logan", "blake", "charlie"]
# Among the busier half of the members (enough history to judge them against it), this share churns:
# their messages thin out to none by FADE_END of the month, and their moods move from STAYING_MOOD
# (everyone else's) to CHURNING_MOOD_END as they go.
CHURN_SHARE = 0.3
FADE_END = 0.7
MOODS = ("positive", "neutral", "negative")
STAYING_MOOD = (0.35, 0.45, 0.2)
CHURNING_MOOD_END = (0.1, 0.3, 0.6)
ZH_NAMES = ["小王", "李雷", "韩梅梅", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "周杰", "吴昊"]


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    chinese: bool
    accounts: dict[str, str]
    activity: float
    churning: bool = False


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    platform: str
    user_id: str
    name: str
    payload: dict[str, str] = field(default_factory=dict)


@dataclass
class Sample:
    people: list[Person]
    events: list[Event]
    moderators: dict[str, str]


def _people(rng: random.Random, count: int, linked: int) -> list[Person]:
    people = []
    for i in range(count):
        chinese = rng.random() < 0.35
        base = rng.choice(ZH_NAMES if chinese else EN_NAMES)
        if i < linked:
            accounts = {"discord": str(900000000000000000 + i), "telegram": str(7000000 + i)}
        elif rng.random() < 0.55:
            accounts = {"discord": str(900000000000000000 + i)}
        else:
            accounts = {"telegram": str(7000000 + i)}
        people.append(Person(f"p{i}", f"{base}{i}", chinese, accounts, rng.paretovariate(1.4)))
    return people


def _churners(people: list[Person], linked: int, seed: int) -> list[Person]:
    """Mark churners among the busier half (not the linked members, nor the last one, who is frozen)."""
    rng = random.Random(f"churn:{seed}")
    busy = sorted(people[linked:-1], key=lambda p: -p.activity)[: len(people) // 2]
    chosen = {p.key for p in busy if rng.random() < CHURN_SHARE}
    return [replace(p, churning=True) if p.key in chosen else p for p in people]


def _fade(person: Person, second: int) -> tuple[int, float]:
    """(second of the month, how far the member has gone towards leaving, 0..1) of a message drawn at
    ``second``: a churner's messages are squeezed into a density falling to zero at FADE_END."""
    if not person.churning:
        return second, 0.0
    month = DAYS * 86400
    faded = FADE_END * (1.0 - math.sqrt(1.0 - second / month))
    return int(faded * month), faded / FADE_END


def _mood(gone: float) -> list[float]:
    return [s + (e - s) * gone for s, e in zip(STAYING_MOOD, CHURNING_MOOD_END, strict=True)]


def _text(rng: random.Random, person: Person, gone: float = 0.0) -> str:
    mood = rng.choices(MOODS, _mood(gone))[0]
    if person.chinese and rng.random() < 0.85:
        ending = {"positive": ZH_POSITIVE, "neutral": ZH_NEUTRAL, "negative": ZH_NEGATIVE}[mood]
        return f"{rng.choice(ZH_TOPICS)}{rng.choice(ending)}"
    ending = {"positive": EN_POSITIVE, "neutral": EN_NEUTRAL, "negative": EN_NEGATIVE}[mood]
    return f"{rng.choice(EN_OPENERS)}, {rng.choice(EN_TOPICS)} {rng.choice(ending)}"


def _chatter(rng: random.Random, people: list[Person], messages: int) -> list[Event]:
    weights = [p.activity for p in people]
    events = []
    for n in range(messages):
        person = rng.choices(people, weights)[0]
        platform = rng.choice(sorted(person.accounts))
        second, gone = _fade(person, rng.randrange(DAYS * 86400))
        at = START + timedelta(seconds=second)
        roll = rng.random()
        text = rng.choice(SPAM) if roll < 0.12 else (PROMO if roll < 0.15 else _text(rng, person, gone))
        events.append(Event(at, "message", platform, person.accounts[platform], person.name,
                            {"message_id": f"{platform}-{n}", "text": text}))
    return events


def _flood(people: list[Person]) -> list[Event]:
    """One member sends ten messages ten seconds apart: the cooldown's case."""
    flooder = next(p for p in people if "discord" in p.accounts)
    at = START + timedelta(days=3, hours=15)
    return [Event(at + timedelta(seconds=10 * i), "message", "discord", flooder.accounts["discord"], flooder.name,
                  {"message_id": f"flood-{i}", "text": f"buy buy buy, message number {i} of my flood"})
            for i in range(10)]


def _reactions(rng: random.Random, people: list[Person], messages: list[Event]) -> list[Event]:
    events = []
    for message in rng.sample(messages, k=len(messages) // REACTED_SHARE):
        candidates = [p for p in people if message.platform in p.accounts]
        for reactor in rng.sample(candidates, k=min(len(candidates), rng.randint(1, MAX_REACTORS))):
            events.append(Event(message.at + timedelta(minutes=rng.randint(1, 120)), "reaction", message.platform,
                                reactor.accounts[message.platform], reactor.name,
                                {"message_id": message.payload["message_id"]}))
    return events


def _moderation(rng: random.Random, people: list[Person], moderator: tuple[str, str]) -> list[Event]:
    events = []
    for n in range(15):
        target = rng.choice([p for p in people if "discord" in p.accounts])
        at = START + timedelta(days=rng.randrange(1, DAYS), hours=rng.randrange(24))
        events.append(Event(at, "command", "discord", moderator[0], moderator[1],
                            {"command": "award", "member": target.accounts["discord"], "amount": str(50 * (n % 5 + 1)),
                             "reason": rng.choice(["helpful answer", "great fan art", "event winner", "bug report"]),
                             "event_id": f"award-{n}"}))
    spammer = people[-1]
    platform = sorted(spammer.accounts)[0]
    events.append(Event(START + timedelta(days=12), "command", platform, moderator[0], moderator[1],
                        {"command": "freeze", "member": spammer.accounts[platform], "event_id": "freeze-1",
                         "member_platform": platform}))
    return events


def _links(people: list[Person], linked: int) -> list[Event]:
    events = []
    for i in range(linked):
        person = people[i]
        at = START + timedelta(days=10, minutes=5 * i)
        events.append(Event(at, "link_issue", "discord", person.accounts["discord"], person.name,
                            {"person": person.key}))
        events.append(Event(at + timedelta(minutes=2), "link_redeem", "telegram", person.accounts["telegram"],
                            person.name, {"person": person.key}))
    return events


def generate(seed: int = 7, members: int = MEMBERS, messages: int = MESSAGES, linked: int = 8) -> Sample:
    rng = random.Random(seed)
    people = _churners(_people(rng, members, linked), linked, seed)
    chatter = _chatter(rng, people, messages) + _flood(people)
    moderator = ("800000000000000001", "mod-ana")
    events = chatter + _reactions(rng, people, chatter) + _moderation(rng, people, moderator) + _links(people, linked)
    events.sort(key=lambda e: (e.at, e.kind))
    return Sample(people, events, {"discord": moderator[0]})
