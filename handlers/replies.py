"""What handlers hand back: text already in the member's language, plus events.

Events are for after the unit of work commits. ``TierChanged`` goes to the
adapter of the platform the event came from (role sync); ``Notify`` and
``TimersChanged`` are handled by the core itself (``handlers.core``): a
notice may be for an account on another platform, and a changed timed row
re-arms the scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    """A button under a reply. ``action`` is what pressing it runs (``handlers.actions``):
    ``"<name>"`` or ``"<name>:<argument>"``, at most 64 bytes (Telegram's callback_data limit)."""

    label: str
    action: str


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: a chart (``image/png``), a report (``text/html``), an export."""

    filename: str
    data: bytes
    media_type: str


@dataclass(frozen=True)
class TierChanged:
    """A member crossed a tier threshold; adapters sync roles from it."""

    program_id: str
    member_id: int
    old_tier: str
    new_tier: str
    accounts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Notify:
    """Tell a member something privately (a DM), on each of their ``(platform, user_id)`` accounts
    that the bot can reach; e.g. the author of a reviewed submission."""

    accounts: tuple[tuple[str, str], ...]
    text: str
    # Buttons under the DM (an NPS score, a win-back opt-out); their presses run in ``program_id``.
    buttons: tuple[Button, ...] = ()
    program_id: str | None = None


@dataclass(frozen=True)
class TimersChanged:
    """The use case added or moved a timed row (a contest's start or end): re-arm the scheduler."""


Event = TierChanged | Notify | TimersChanged


@dataclass(frozen=True)
class Reply:
    text: str
    ok: bool = True
    private: bool = False
    events: tuple[Event, ...] = ()
    buttons: tuple[Button, ...] = ()
    attachments: tuple[Attachment, ...] = ()
