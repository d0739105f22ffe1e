"""The core's clock for adapters: an event without a platform time gets ``now``
in the form ``Context.now`` takes, the one the ledger stores and hashes.
It is re-exported from the ledger so there is a single definition, and so
adapters reach it through the core rather than importing storage."""

from __future__ import annotations

from storage.ledger import utcnow

__all__ = ["utcnow"]
