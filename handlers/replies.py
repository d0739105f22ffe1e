"""What handlers hand back: text already in the member's language, plus events."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TierChanged:
    """A member crossed a tier threshold; adapters sync roles from it."""

    program_id: str
    member_id: int
    old_tier: str
    new_tier: str
    accounts: tuple[tuple[str, str], ...]


Event = TierChanged


@dataclass(frozen=True)
class Reply:
    text: str
    ok: bool = True
    private: bool = False
    events: tuple[Event, ...] = ()
