"""How winners are ordered: by votes, or by a random draw anyone can check afterwards.

The draw is commit-then-reveal. At creation the bot makes a secret seed of
32 random bytes; at the start it publishes ``sha256(seed)``, before any
entry exists; at the end it reveals the seed. Each entry's ticket is
``HMAC-SHA256(key=seed, message=str(entry_id).encode("ascii"))`` (the entry
id in decimal ASCII, no sign, no leading zeros); entries are ranked by
ticket, smallest first (the 32 digest bytes compared as unsigned bytes,
which is the same as comparing the lowercase hex), and the first ``winners``
win; a reroll takes the next one. Anyone holding the seed and the entry ids
can recompute this with hashlib and hmac alone (README: "Verify a contest
draw"); the seed cannot be changed after the commitment without the hash
showing it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from storage.contests import Candidate

SEED_BYTES = 32


def new_seed() -> str:
    """A fresh secret seed, as the hex stored in the contest row and revealed at the end."""
    return secrets.token_hex(SEED_BYTES)


def commitment(seed_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def ticket(seed_hex: str, entry_id: int) -> bytes:
    return hmac.new(bytes.fromhex(seed_hex), str(entry_id).encode("ascii"), hashlib.sha256).digest()


def draw_order(seed_hex: str, candidates: Sequence[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (ticket(seed_hex, c.entry_id), c.entry_id))


def vote_order(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Most votes first; a tie goes to the earlier entry."""
    return sorted(candidates, key=lambda c: (-c.votes, c.created_at, c.entry_id))
