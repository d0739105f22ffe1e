"""The texts people see about a contest: its start and end announcements and ``/contest show``.

Announcements go to every community of the program in the program's
language; a draw's start carries the commitment and its end the seed and
the entries drawn from, which is all anyone needs to check the result.
"""

from __future__ import annotations

from handlers.config_model import Program
from handlers.contests import inputs
from handlers.contests.entries import vote_button
from handlers.contests.winners import Closing
from handlers.i18n import translate
from handlers.replies import Button
from storage.contests import MEMBERS, MODERATOR, NO_VOTING, OPEN, PLAIN, RANDOM, Contest

ENTRIES_SHOWN = 100
# Buttons under one reply: Discord takes 25 (5 rows of 5); a dozen keeps either platform readable.
BUTTONS_MAX = 12


def enter_button(locale: str, contest: Contest) -> Button:
    return Button(translate("contest.button.enter", locale, id=contest.id), f"contest.enter:{contest.id}")


def rules(locale: str, program: Program, contest: Contest) -> list[str]:
    """How to enter, how winners are decided and what they get."""
    lines = [translate(f"contest.how_enter.{contest.entry_type}", locale, id=contest.id),
             translate(f"contest.how_win.{contest.voting}", locale, id=contest.id,
                       days=program.contests.min_member_days_to_vote, commitment=contest.commitment or "")]
    if contest.voting != NO_VOTING and contest.prize:
        lines.append(translate("contest.prize", locale, winners=contest.winners, prize=contest.prize))
    return lines


def start(program: Program, contest: Contest) -> tuple[str, tuple[Button, ...]]:
    locale = program.locale
    head = translate("contest.started", locale, id=contest.id, title=contest.title,
                     end=inputs.shown_time(contest.end_at, program.timezone))
    buttons = (enter_button(locale, contest),) if contest.entry_type == PLAIN else ()
    return "\n".join([head, contest.description, *rules(locale, program, contest)]), buttons


def entry_ids(ids: list[int]) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:ENTRIES_SHOWN])
    return shown + (f" (+{len(ids) - ENTRIES_SHOWN})" if len(ids) > ENTRIES_SHOWN else "")


def end(program: Program, closing: Closing) -> str:
    locale, contest = program.locale, closing.contest
    lines = [translate("contest.ended_head", locale, id=contest.id, title=contest.title,
                       count=len(closing.ranked))]
    if closing.wins:
        lines.append(translate("contest.winners", locale))
        lines += [translate("contest.winner_line", locale, place=w.place, name=w.name, entry=w.entry_id)
                  + (translate("contest.votes", locale, votes=w.votes) if contest.voting == MEMBERS else "")
                  for w in closing.wins]
        if contest.prize:
            lines.append(translate("contest.prizes_paid", locale, prize=contest.prize))
    elif contest.voting in (MEMBERS, RANDOM):
        lines.append(translate("contest.no_winners", locale))
    elif contest.voting == MODERATOR:
        lines.append(translate("contest.to_pick", locale, id=contest.id))
    else:
        lines.append(translate("contest.thanks", locale))
    if contest.voting == RANDOM:
        lines.append(translate("contest.reveal", locale, id=contest.id, seed=contest.seed or "",
                               commitment=contest.commitment or "",
                               entries=entry_ids([c.entry_id for c in closing.ranked]) or "-"))
    return "\n".join(lines)


def summary(locale: str, program: Program, contest: Contest) -> str:
    """One line per contest in ``/contest list``."""
    return translate("contest.list_line", locale, id=contest.id, title=contest.title,
                     status=translate(f"contest.status.{contest.status}", locale),
                     start=inputs.shown_time(contest.start_at, program.timezone),
                     end=inputs.shown_time(contest.end_at, program.timezone))


def show_buttons(locale: str, contest: Contest, votable: list[int],
                 taking_entries: bool) -> tuple[Button, ...]:
    """While the contest runs: Enter (plain contests) and a Vote button per eligible entry (member votes)."""
    if contest.status != OPEN or not taking_entries:
        return ()
    enter = [enter_button(locale, contest)] if contest.entry_type == PLAIN else []
    votes = [vote_button(locale, entry_id) for entry_id in votable] if contest.voting == MEMBERS else []
    return tuple(enter + votes)[:BUTTONS_MAX]
