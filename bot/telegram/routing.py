"""Command text -> the declared command, command groups included.

Telegram has no subcommands: ``/ugc approve 7`` is the bot command ``/ugc``
with the words ``approve 7``. So each group is registered as one bot command
and its first word picks the subcommand (``Command.leaf``); a missing or
unknown subcommand is answered with the group's subcommands and their usage.
Everything is derived from the core's table, so a feature that declares a
new group or subcommand needs nothing here.

A command may also be the caption of a photo, video or document (``/submit``
with the picture); only captions naming a declared command count, so a
caption that merely starts with a slash is an ordinary message.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message
from telegram.ext import filters

from bot.telegram import parse
from handlers.commands import BY_NAME, COMMANDS, GROUPS, Command, Permission, subcommands
from handlers.i18n import translate


@dataclass(frozen=True)
class Invocation:
    """A declared command and the words after its name (and subcommand)."""

    spec: Command
    words: tuple[str, ...]


@dataclass(frozen=True)
class GroupUsage:
    """A group named without a known subcommand; ``word`` is the unknown one, if any."""

    group: str
    word: str | None


def group_names() -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.group for c in COMMANDS if c.group is not None))


def bot_commands() -> tuple[str, ...]:
    """Every name Telegram sees as a bot command: top-level commands and groups, once each."""
    return tuple(dict.fromkeys(c.group or c.name for c in COMMANDS))


def split(text: str | None) -> tuple[str, str | None, tuple[str, ...]] | None:
    """``/ugc@engage_bot approve 7`` -> ``("ugc", "engage_bot", ("approve", "7"))``; None if not a command."""
    if not text or not text.startswith("/") or len(text) < 2:
        return None
    head, *words = text.split()
    name, _, target = head[1:].partition("@")
    return name.lower(), target or None, tuple(words)


def resolve(name: str, words: tuple[str, ...]) -> Invocation | GroupUsage | None:
    """The command ``name`` (with ``words``) means; None for a name the core does not declare."""
    spec = BY_NAME.get(name)
    if spec is not None and spec.group is None:
        return Invocation(spec, words)
    if name not in group_names():
        return None
    leaf = words[0].lower() if words else None
    for sub in subcommands(name):
        if sub.leaf == leaf:
            return Invocation(sub, words[1:])
    return GroupUsage(name, words[0] if words else None)


def for_bot(target: str | None, username: str | None) -> bool:
    """A command addressed ``/cmd@other_bot`` is for another bot in the group."""
    return target is None or (username is not None and target.lower() == username.lower())


def caption_command(message: Message) -> tuple[str, tuple[str, ...]] | None:
    """The declared command a media caption carries, addressed to this bot; else None."""
    parts = split(message.caption)
    if parts is None:
        return None
    name, target, words = parts
    if resolve(name, words) is None or not for_bot(target, message.get_bot().username):
        return None
    return name, words


class _CaptionCommand(filters.MessageFilter):
    __slots__ = ()

    def filter(self, message: Message) -> bool:
        return caption_command(message) is not None


CAPTION_COMMAND = _CaptionCommand(name="routing.CAPTION_COMMAND")


def command_text(message: Message) -> str | None:
    """The text a message's command is in: its text, or its caption when that names a declared
    command; None for an ordinary message."""
    if split(message.text) is not None:
        return message.text
    parts = split(message.caption)
    if parts is not None and resolve(parts[0], parts[2]) is not None:
        return message.caption
    return None


def usage(found: GroupUsage, locale: str) -> str:
    """The answer to a bare or mistyped group command: its subcommands, with usage and help."""
    if found.word is None:
        header = translate("group.subcommands", locale, group=found.group)
    else:
        header = translate("error.unknown_subcommand", locale, group=found.group, word=found.word)
    lines = [header]
    for sub in subcommands(found.group):
        suffix = translate("help.moderator", locale) if sub.permission is Permission.MODERATOR else ""
        lines.append(f"{parse.usage(sub)} - {translate(sub.help_key, locale)}{suffix}")
    return "\n".join(lines)


def menu(locale: str, moderator: bool) -> list[tuple[str, str]]:
    """``(command, description)`` for setMyCommands: each group once, described by its own help."""
    helps = {g.name: g.help_key for g in GROUPS}
    shown = [c for c in COMMANDS if moderator or c.permission is Permission.MEMBER]
    names = dict.fromkeys(c.group or c.name for c in shown)
    return [(name, translate(helps.get(name) or BY_NAME[name].help_key, locale)) for name in names]
