"""Command text -> declared arguments, the Telegram way.

Members are named by replying to their message, by @username, or by numeric
id (ASCII digits only: '١٢' is a name, not an id); the last text argument
takes the rest of the line (reasons have spaces). Values are passed on as
typed; the core validates them.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Message, User

from handlers.commands import ArgType, Command
from handlers.context import MemberRef

_NUMERIC_ID = re.compile(r"-?[0-9]+", re.ASCII)


def member_ref(user: User) -> MemberRef:
    return MemberRef("telegram", str(user.id), user.username, user.full_name, verified=True)


def _named(token: str) -> MemberRef:
    if _NUMERIC_ID.fullmatch(token):
        return MemberRef("telegram", user_id=token)
    return MemberRef("telegram", username=token.lstrip("@"))


def arguments(spec: Command, message: Message, words: list[str]) -> dict[str, Any]:
    replied = message.reply_to_message.from_user if message.reply_to_message else None
    out: dict[str, Any] = {}
    rest = list(words)
    for index, arg in enumerate(spec.args):
        if arg.type is ArgType.MEMBER:
            if replied is not None and not replied.is_bot:
                out[arg.name] = member_ref(replied)
            elif rest:
                out[arg.name] = _named(rest.pop(0))
            continue
        last = index == len(spec.args) - 1
        if rest:
            out[arg.name] = " ".join(rest) if last and arg.type is ArgType.TEXT else rest.pop(0)
            if last and arg.type is ArgType.TEXT:
                rest = []
    return out
