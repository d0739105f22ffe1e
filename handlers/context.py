"""What a handler knows about the event it serves, whatever the platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from handlers.config_model import Program


@dataclass(frozen=True)
class Actor:
    """The platform account that caused the event."""

    platform: str
    user_id: str
    display_name: str
    username: str | None = None

    @property
    def tag(self) -> str:
        """How the ledger records this account as an actor."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class MemberRef:
    """A member named in a command. ``verified`` means the platform vouched that
    the account exists (a Discord member option, a Telegram reply), so the core
    may create it; a bare @username or id must already be known."""

    platform: str
    user_id: str | None = None
    username: str | None = None
    display_name: str | None = None
    verified: bool = False

    def label(self) -> str:
        if self.username:
            return "@" + self.username.lstrip("@")
        return self.display_name or self.user_id or "?"


@dataclass(frozen=True)
class Context:
    """One event in one community of one program.

    ``event_id`` is the platform's id for the event (message id, interaction
    id, update id) and feeds idempotency keys, so a redelivered event cannot
    pay twice. ``now`` is the event's time as naive UTC. ``inbox_id`` names
    the stored Telegram update the event came from; the unit of work that
    applies the event marks it done in the same transaction.
    """

    program: Program
    platform: str
    community_id: str
    actor: Actor
    locale: str
    event_id: str
    now: datetime
    is_moderator: bool = False
    channel_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    inbox_id: int | None = None
