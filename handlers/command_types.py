"""The shape of a declared command, shared by the core table and feature tables.

A command named with a space (``"ugc approve"``) is a subcommand of its first
word: Discord shows it as a slash command group, Telegram as ``/ugc approve``
with the subcommand as the first word. Feature packages (``handlers/ugc``,
``handlers/contests``) declare their commands with these types and
``handlers.commands`` gathers them into the one table adapters read.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from handlers.replies import Reply


class ArgType(enum.StrEnum):
    MEMBER = "member"
    INTEGER = "integer"
    TEXT = "text"
    # A file sent with the command: a ``handlers.media.Upload`` (Discord: the attachment option;
    # Telegram: the photo/video/document the command is the caption of, or replies to).
    ATTACHMENT = "attachment"
    # One of ``Arg.choices`` (Discord shows a picker; Telegram takes the word, the core checks it).
    CHOICE = "choice"


class Permission(enum.StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"


Runner = Callable[..., Awaitable[Reply]]
# Work a command must do outside its unit of work, before it: a platform call such as creating an
# invite link, which must not hold database locks. Gets (core, ctx, args), returns extra keyword
# arguments for ``run``; may raise ``UserError``.
Prepare = Callable[[Any, Any, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Arg:
    name: str
    type: ArgType
    help_key: str
    required: bool = True
    autocomplete: bool = False
    min_value: int | None = None
    max_value: int | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    name: str
    help_key: str
    run: Runner
    args: tuple[Arg, ...] = ()
    permission: Permission = Permission.MEMBER
    private: bool = False
    prepare: Prepare | None = None

    @property
    def group(self) -> str | None:
        """The command group (``"ugc"`` of ``"ugc approve"``), None for a top-level command."""
        head, _, rest = self.name.partition(" ")
        return head if rest else None

    @property
    def leaf(self) -> str:
        """The last word of the name: the subcommand inside a group, else the name."""
        return self.name.rpartition(" ")[2]

    def usage(self) -> str:
        parts = [f"<{a.name}>" if a.required else f"[{a.name}]" for a in self.args]
        return " ".join([f"/{self.name}", *parts])


@dataclass(frozen=True)
class Group:
    """A command group: its name and the catalog key of its one-line help."""

    name: str
    help_key: str


ActionRunner = Callable[..., Awaitable[Reply]]
# Work a command must do outside its unit of work, before it: a platform call such as creating an
# invite link, which must not hold database locks. Gets (core, ctx, args), returns extra keyword
# arguments for ``run``; may raise ``UserError``.
Prepare = Callable[[Any, Any, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Action:
    """What a button runs: ``run(session, ctx, argument)`` for ``"<name>:<argument>"``.

    Buttons are declared like commands so both platforms route a press the
    same way (Discord component custom_id, Telegram callback_data)."""

    name: str
    run: ActionRunner
    permission: Permission = Permission.MEMBER
