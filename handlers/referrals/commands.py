"""The referral commands, declared once for both platforms (gathered by ``handlers.commands``).

``/invite`` gives a member their personal invite link (the platform call in
its ``prepare``); ``/referrals`` lists their referrals with reasons, and
``/referrals top`` the top inviters, for moderators (see ``listing``).
"""

from __future__ import annotations

from handlers.command_types import Arg, ArgType, Command
from handlers.referrals import invite, listing

REFERRAL_COMMANDS: tuple[Command, ...] = (
    Command("invite", "cmd.invite", invite.run, private=True, prepare=invite.prepare),
    Command("referrals", "cmd.referrals", listing.referrals_command,
            (Arg("view", ArgType.CHOICE, "arg.referrals_view", False, choices=listing.VIEWS),), private=True),
)
