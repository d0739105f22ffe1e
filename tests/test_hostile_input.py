"""Property-based: hostile arguments to every declared command, through the
core's one command entry point (``Core.command``), as moderator and member.

Whatever comes in (numbers thousands of digits long, digits of other
scripts, NUL, unpaired surrogates, zero-width characters, emoji, very long
strings, signs and whitespace, member references that name nobody), the
reply is a success or a specific refusal - never the catch-all apology - is
deliverable (valid UTF-8, no NUL, within Discord's 2,000 characters), and a
refusal writes nothing. ``bench/fuzz_commands.py`` runs the same strategies
10,000 times per backend and prints the refusals by kind.
"""

from __future__ import annotations

import itertools
import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from discord import app_commands
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from telegram import Chat, Message

from bot.discord import slash
from bot.telegram import parse
from handlers.commands import BY_NAME, COMMANDS, ArgType, Command
from handlers.config_model import Rules
from handlers.context import Actor, Context, MemberRef
from handlers.core import Core
from handlers.engagement import IncomingMessage
from handlers.i18n import CATALOG, LOCALES, translate
from handlers.validation import AMOUNT_LIMIT, PAGE_MAX
from storage.database import Database
from tests.conftest import T0

PIECES = ("\x00", "\ud800", "\udfff", "\udbff", "\u200b", "\u200c", "\u200d", "\ufeff", "\ufe0f", "\u00ad", "\u2066",
          "\U000e0001", "\U0001f600", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\u0661\u0662", "\uff11\uff12",
          "\u06f3", "\u0969", "-", "+", " ", "\t", "\n", "\r", "\u3000", "\u00a0", ",", "_", ".", "0", "7", "1", "99",
          "e9", ".5", "@", "{}", "{0}", "{name}", "%s", "'", '"', "\\", "\u00e9", "e\u0301", "\u00df", "\u0130",
          "\ufb01", "name1", "name7", "Ｎａｍｅ１", "\u202e", "\x7f", "\x1b[31m")
KNOWN = ("1", "7", "99")
SUCCESS_KEYS = ("points", "points.none", "leaderboard.title", "leaderboard.empty", "profile", "link.code", "link.done",
                "award.done", "deduct.done", "freeze.done", "unfreeze.done", "help.header", "duplicate_event",
                "ugc.queue_empty", "ugc.queue_header", "ugc.received", "ugc.received_contest", "ugc.approved",
                "ugc.rejected", "ugc.featured", "ugc.featured_paid", "contest.created", "contest.list_empty",
                "contest.list_head", "contest.show_head", "contest.entered", "contest.voted", "contest.cancelled_done",
                "contest.closing", "contest.picked", "contest.rerolled")
SUCCESS_KEYS += ("referral.invite", "referrals.none", "referrals.header", "referrals.top_header",
                 "referrals.top_empty")
SUCCESS_KEYS += ("reward.list_empty", "reward.list_head", "reward.redeemed", "reward.added", "reward.edited",
                 "reward.retired_done", "redemption.list_empty", "redemption.list_head", "redemption.fulfilled",
                 "redemption.rejected")
SUCCESS_KEYS += ("campaign.created", "campaign.ending", "campaign.list_empty", "campaign.list_head",
                 "campaign.stats_head", "campaigns.none", "campaigns.head")
# Contest refusals are named contest.* like its successes: every contest key that is not a success.
REFUSAL_KEYS = tuple(k for k in CATALOG if (k.startswith("error.") and k != "error.internal")
                     or k in ("link.bad_code", "link.same_platform", "link.already", "link.conflict",
                              "link.other_program")
                     or (k.startswith("contest.") and k not in SUCCESS_KEYS))
SUCCESS_KEYS += ("nps.question", "nps.recent", "nps.why_thanks")
REFUSAL_KEYS += ("nps.why_nothing", "nps.why_already", "nps.why_too_long", "nps.why_invalid")
INTERNAL = frozenset(translate("error.internal", locale) for locale in LOCALES)
TABLES = ("ledger_entries", "balances", "identities", "members", "engagement_state", "link_codes", "messages",
          "membership_events", "reactions", "score_counts", "ugc_submissions", "ugc_consents", "contests",
          "contest_entries", "contest_votes")
TABLES += ("referral_links", "referral_joins")
TABLES += ("rewards", "reward_redemptions", "points_expiry_warnings")
TABLES += ("campaigns", "member_day_runs")
TABLES += ("nps_surveys", "nps_responses")


def hostile_text() -> st.SearchStrategy[str]:
    """Strings an attacker or a confused member might type as an argument."""
    return st.one_of(
        st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
        st.text(alphabet=st.characters(exclude_categories=()), max_size=30),
        st.builds(lambda sign, digit, n: sign + digit * n, st.sampled_from(("", "-", "+", "0", " ")),
                  st.sampled_from("1234567890\u0661\uff19"), st.integers(1, 6000)),
        st.integers(-(10**30), 10**30).map(str),
        st.builds(lambda piece, n: piece * n, st.sampled_from(PIECES), st.integers(50, 3000)),
        st.sampled_from(("", "10", "1", "1000", "1001", "  5  ", "1,000", "+7", "great answer", "ABCDEFGH")),
    )


def member_argument() -> st.SearchStrategy[object]:
    """Member references as adapters build them (hostile fields included),
    plus values no adapter would pass."""
    field = st.one_of(st.none(), st.sampled_from(KNOWN + ("name1", "@name7")), hostile_text())
    refs = st.builds(MemberRef, platform=st.sampled_from(("discord", "telegram")), user_id=field, username=field,
                     display_name=st.one_of(st.none(), hostile_text()), verified=st.booleans())
    return st.one_of(refs, hostile_text())


def sometimes_absent(values: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Mostly a value, one time in ten nothing (an argument left out)."""
    return st.builds(lambda absent, value: None if absent else value, st.sampled_from((False,) * 9 + (True,)), values)


def arguments(spec: Command) -> st.SearchStrategy[dict[str, Any]]:
    values = {a.name: sometimes_absent(member_argument() if a.type is ArgType.MEMBER else hostile_text())
              for a in spec.args}
    return st.fixed_dictionaries(values)


@dataclass(frozen=True)
class Case:
    command: str
    args: dict[str, Any]
    moderator: bool
    platform: str
    locale: str


def cases(commands: tuple[Command, ...] = COMMANDS) -> st.SearchStrategy[Case]:
    """A command with generated arguments, by a moderator three times in four."""
    moderator = st.sampled_from((True, True, True, False))
    return st.one_of(*[st.builds(Case, st.just(c.name), arguments(c), moderator,
                                 st.sampled_from(("discord", "telegram")), st.sampled_from(LOCALES))
                       for c in commands])


def _pattern(template: str) -> tuple[re.Pattern[str], int]:
    parts = list(string.Formatter().parse(template))
    regex = "".join(re.escape(literal) + ("(.*?)" if name is not None else "") for literal, name, _, _ in parts)
    return re.compile(regex, re.DOTALL), sum(len(literal) for literal, *_ in parts)


_PATTERNS = [(key, *_pattern(template)) for key, entry in CATALOG.items() for template in entry.values()]


def kind_of(reply_text: str) -> str:
    """The catalog key a reply was rendered from (its first line for
    multi-line answers), the most specific when several templates fit."""
    first = reply_text.split("\n")[0]
    fits = [(literal, key) for key, pattern, literal in _PATTERNS if pattern.fullmatch(first)]
    return max(fits)[1] if fits else "?"


_events = itertools.count(1)


def context(core: Core, case: Case) -> Context:
    community = {c.platform: c.id for c in core.settings.programs[0].communities}[case.platform]
    user = "99" if case.moderator else "1"
    return Context(program=core.settings.programs[0], platform=case.platform, community_id=community,
                   actor=Actor(case.platform, user, f"user{user}", f"name{user}"), locale=case.locale,
                   event_id=f"fuzz{next(_events)}", now=T0, is_moderator=case.moderator)


async def seed(core: Core) -> None:
    """Members the fuzzer can name: discord 1 and telegram 7 have points."""
    for platform, user in (("discord", "1"), ("telegram", "7")):
        community = {c.platform: c.id for c in core.settings.programs[0].communities}[platform]
        await core.message(Context(program=core.settings.programs[0], platform=platform, community_id=community,
                                   actor=Actor(platform, user, f"user{user}", f"name{user}"), locale="en",
                                   event_id=f"seed{user}", now=T0), IncomingMessage(f"seed{user}", "a fine seed message"))


async def footprint(db: Database) -> tuple[int, ...]:
    """Row counts of every table a command could write, and the points held."""
    counts = ", ".join(f"(SELECT count(*) FROM {t})" for t in TABLES)
    sums = "(SELECT coalesce(sum(balance), 0) FROM balances), (SELECT coalesce(sum(lifetime), 0) FROM balances)"
    frozen = "(SELECT count(*) FROM engagement_state WHERE frozen)"
    async with db.unit_of_work() as session:
        return tuple((await session.execute(text(f"SELECT {counts}, {sums}, {frozen}"))).one())


def check_deliverable(reply_text: str) -> None:
    assert reply_text not in INTERNAL, "the catch-all apology came back"
    reply_text.encode("utf-8")
    assert "\x00" not in reply_text and 0 < len(reply_text) <= 2000


async def run_case(core: Core, case: Case) -> tuple[bool, str]:
    """Run one case and check it; (ok, reply kind)."""
    before = await footprint(core.db)
    reply = await core.command(context(core, case), case.command, case.args)
    check_deliverable(reply.text)
    kind = kind_of(reply.text)
    if reply.ok:
        assert kind in SUCCESS_KEYS, (kind, reply.text)
    else:
        assert kind in REFUSAL_KEYS, (kind, reply.text)
        assert await footprint(core.db) == before, f"refusal {kind} wrote something"
    return reply.ok, kind


@pytest.fixture
async def seeded(core: Core) -> Core:
    await seed(core)
    return core


@pytest.mark.parametrize("command", [c.name for c in COMMANDS])
@settings(max_examples=25, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(data=st.data())
async def test_hostile_arguments_get_specific_refusals_and_write_nothing(seeded: Core, command: str,
                                                                         data: st.DataObject) -> None:
    case = data.draw(cases((BY_NAME[command],)))
    await run_case(seeded, case)


async def test_the_inputs_that_once_reached_the_catch_all(seeded: Core) -> None:
    """The kinds measured in issue 9: 5,000-digit numbers, Unicode digits,
    NUL and unpaired surrogates, in amounts, pages and reasons."""
    hostile = ["\u0661\u0662", "9" * 5000, "-" + "9" * 5000, "\x00", "\ud800", "1\u200b0"]
    seen = set()
    for value in hostile:
        for command, args in (("award", {"member": MemberRef("discord", "1"), "amount": value, "reason": "fuzz"}),
                              ("deduct", {"member": MemberRef("discord", "1"), "amount": "1", "reason": value}),
                              ("leaderboard", {"page": value})):
            ok, kind = await run_case(seeded, Case(command, args, True, "discord", "en"))
            assert ok == (command == "deduct" and value in ("\u0661\u0662", "1\u200b0"))
            seen.add(kind)
    assert {"error.number_too_long", "error.amount_not_integer", "error.amount_not_positive", "error.page",
            "error.reason_invalid", "error.reason_missing"} <= seen


def test_classifier_recognises_every_refusal() -> None:
    assert kind_of(translate("error.number_too_long", "en", value="99…", digits=5000, maximum=10)) == \
        "error.number_too_long"
    assert kind_of(translate("error.unknown_member", "zh-CN", name="@x")) == "error.unknown_member"
    assert kind_of("not a catalog text") == "?"


def test_discord_integer_options_carry_the_declared_bounds() -> None:
    built = slash.build(lambda *_: None)  # type: ignore[arg-type]
    leaves = [c for c in built if isinstance(c, app_commands.Command)] + \
        [s for g in built if isinstance(g, app_commands.Group) for s in g.commands]
    options = {(c.name, p.name): p for c in leaves for p in c.parameters}  # type: ignore[union-attr]
    amount, page = options[("award", "amount")], options[("leaderboard", "page")]
    assert (amount.type.name, amount.min_value, amount.max_value) == ("integer", 1, AMOUNT_LIMIT)
    assert (page.type.name, page.min_value, page.max_value, page.required) == ("integer", 1, PAGE_MAX, False)
    assert options[("award", "reason")].type.name == "string"
    Rules(max_adjustment=AMOUNT_LIMIT)
    with pytest.raises(ValueError):
        Rules(max_adjustment=AMOUNT_LIMIT + 1)


def test_telegram_ids_are_ascii_digits_only() -> None:
    message = Message(1, datetime.now(UTC), Chat(-100222, "supergroup"))
    named = parse.arguments(BY_NAME["award"], message, ["\u0661\u0662", "\u0665", "a", "reason"])
    assert named == {"member": MemberRef("telegram", username="\u0661\u0662"), "amount": "\u0665",
                     "reason": "a reason"}
    assert parse.arguments(BY_NAME["freeze"], message, ["-12"])["member"] == MemberRef("telegram", user_id="-12")
