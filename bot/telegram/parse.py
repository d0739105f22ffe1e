"""Command text -> declared arguments, the Telegram way.

Members are named by replying to their message, by @username, or by numeric
id (ASCII digits only: '١٢' is a name, not an id). A number or a choice is
one word. A text argument takes the rest of the line (reasons have spaces),
leaving only the words that later required arguments need; an optional
argument after a text is given by name, ``contest:3`` or ``contest=3``,
anywhere in the line (``/submit my photo of the beach contest:3``). A command with several text
arguments takes its arguments as fields separated by ``|`` (``/contest create
Summer photos | Show us your summer | +1h | +7d | ugc | members``); an empty
field leaves an optional argument out. Typed without any ``|``, such a command
takes one word per argument, the last argument what is left
(``/reward add Cap 50 3``). An attachment is not typed at all: it
is the file the command came with (``bot.telegram.media``), passed in as
``upload``. Values are passed on as typed; the core validates them.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Message, User

from handlers.commands import ArgType, Command
from handlers.context import MemberRef
from handlers.media import Upload

_NUMERIC_ID = re.compile(r"-?[0-9]+", re.ASCII)
_NAMED = re.compile(r"([A-Za-z_]+)[:=](.+)", re.ASCII)
SEPARATOR = "|"


def member_ref(user: User) -> MemberRef:
    return MemberRef("telegram", str(user.id), user.username, user.full_name, verified=True)


def _named(token: str) -> MemberRef:
    if _NUMERIC_ID.fullmatch(token):
        return MemberRef("telegram", user_id=token)
    return MemberRef("telegram", username=token.lstrip("@"))


def _by_name(spec: Command, words: list[str]) -> tuple[dict[str, str], list[str]]:
    """Take ``name:value`` words naming one of the command's one-word arguments out of ``words``."""
    names = {a.name for a in spec.args if a.type in (ArgType.INTEGER, ArgType.CHOICE)}
    named: dict[str, str] = {}
    rest = []
    for word in words:
        found = _NAMED.fullmatch(word)
        key = found.group(1).lower() if found else ""
        if found and key in names and key not in named:
            named[key] = found.group(2)
        else:
            rest.append(word)
    return named, rest


def in_fields(spec: Command) -> bool:
    """Several text arguments cannot be told apart by spaces: such a command takes fields."""
    return sum(1 for arg in spec.args if arg.type is ArgType.TEXT) > 1


def usage(spec: Command) -> str:
    """How to type the command in Telegram (``Command.usage``, with ``|`` between fields)."""
    if not in_fields(spec):
        return spec.usage()
    parts = [f"<{a.name}>" if a.required else f"[{a.name}]" for a in spec.args if a.type is not ArgType.ATTACHMENT]
    return f"/{spec.name} " + f" {SEPARATOR} ".join(parts)


def _fields(spec: Command, words: list[str], upload: Upload | None) -> dict[str, Any]:
    fields = [f.strip() for f in " ".join(words).split(SEPARATOR)]
    out: dict[str, Any] = {}
    for arg in spec.args:
        if arg.type is ArgType.ATTACHMENT:
            out[arg.name] = upload
        elif fields:
            value = fields.pop(0)
            if value:
                out[arg.name] = _named(value) if arg.type is ArgType.MEMBER else value
    return out


def arguments(spec: Command, message: Message, words: list[str] | tuple[str, ...],
              upload: Upload | None = None) -> dict[str, Any]:
    if in_fields(spec) and any(SEPARATOR in word for word in words):
        return _fields(spec, list(words), upload)
    replied = message.reply_to_message.from_user if message.reply_to_message else None
    out: dict[str, Any] = {}
    named, rest = _by_name(spec, list(words))
    for index, arg in enumerate(spec.args):
        if arg.type is ArgType.ATTACHMENT:
            out[arg.name] = upload
        elif arg.name in named:
            out[arg.name] = named[arg.name]
        elif arg.type is ArgType.MEMBER:
            if replied is not None and not replied.is_bot:
                out[arg.name] = member_ref(replied)
            elif rest:
                out[arg.name] = _named(rest.pop(0))
        elif arg.type is ArgType.TEXT and rest:
            later = spec.args[index + 1:]
            if in_fields(spec) and later:
                out[arg.name] = rest.pop(0)
                continue
            needed = sum(1 for a in later if a.required and a.type is not ArgType.ATTACHMENT)
            taken = rest[: max(len(rest) - needed, 1)]
            out[arg.name], rest = " ".join(taken), rest[len(taken):]
        elif rest:
            out[arg.name] = rest.pop(0)
    return out
