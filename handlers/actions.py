"""Every button action, gathered from the feature packages like the command table.

A button's action string is ``"<name>"`` or ``"<name>:<argument>"``; the
core looks the name up here and runs it in one unit of work, exactly like a
command, so a press is as safe (and as idempotent) as typing the command.
"""

from __future__ import annotations

from handlers.campaigns.member_commands import MEMBER_CAMPAIGN_ACTIONS
from handlers.command_types import Action
from handlers.contests.commands import CONTEST_ACTIONS
from handlers.nps.commands import NPS_ACTIONS
from handlers.ugc.commands import UGC_ACTIONS

ACTIONS: tuple[Action, ...] = UGC_ACTIONS + CONTEST_ACTIONS + MEMBER_CAMPAIGN_ACTIONS + NPS_ACTIONS
BY_NAME = {a.name: a for a in ACTIONS}


def parse(action: str) -> tuple[str, str]:
    """``"vote:42"`` -> ``("vote", "42")``; ``"consent"`` -> ``("consent", "")``."""
    name, _, argument = action.partition(":")
    return name, argument
