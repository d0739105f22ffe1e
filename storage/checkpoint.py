"""Signed checkpoints of each program's ledger, kept outside the database.

Nothing inside the database can convince someone who distrusts the
database: whoever can write to it can also rewrite the chain head. A
checkpoint records where a program's chain stood (sequence, head hash, entry
count, time) in a file kept elsewhere. ``engagebot ledger verify
--checkpoint FILE`` then proves that nothing up to that sequence was removed
or rewritten (the entry at that sequence still has that hash, and the chain
from genesis verifies) and that the ledger only grew since. With
``ENGAGEBOT_LEDGER_KEY`` the checkpoint is signed (HMAC-SHA256), so a forged
or edited checkpoint file is refused as well; without a key it is as
trustworthy as the place it is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.ledger import GENESIS, KEYED_SCHEMES, chain, ledger_key, stored_fields
from storage.models import LedgerEntry, ProgramState

FORMAT = "engagebot-ledger-checkpoint/1"
_FIELDS = {"program_id": str, "seq": int, "head_hash": str, "entry_count": int, "created_at": str}


class CheckpointError(Exception):
    """A checkpoint cannot be taken or read; the message says why."""


@dataclass(frozen=True)
class Checkpoint:
    """Where one program's chain stood at ``created_at`` (ISO 8601, UTC)."""

    program_id: str
    seq: int
    head_hash: str
    entry_count: int
    created_at: str
    signature: str | None = None

    def _digest(self, key: bytes) -> str:
        payload = json.dumps([FORMAT, self.program_id, self.seq, self.head_hash, self.entry_count, self.created_at],
                             ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return hmac.new(key, payload, hashlib.sha256).hexdigest()

    def signed(self, key: bytes | None) -> Checkpoint:
        return replace(self, signature=self._digest(key)) if key else self

    def signature_ok(self, key: bytes) -> bool:
        return self.signature is not None and hmac.compare_digest(self.signature, self._digest(key))

    @classmethod
    def from_dict(cls, data: object, source: str) -> Checkpoint:
        if not isinstance(data, dict):
            raise CheckpointError(f"{source}: a checkpoint must be a JSON object")
        for name, kind in _FIELDS.items():
            if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool):
                raise CheckpointError(f"{source}: checkpoint field {name!r} is missing or not {kind.__name__}")
        signature = data.get("signature")
        if signature is not None and not isinstance(signature, str):
            raise CheckpointError(f"{source}: checkpoint field 'signature' must be a string or null")
        return cls(**{name: data[name] for name in _FIELDS}, signature=signature)


async def take(session: AsyncSession, program_id: str, now: datetime | None = None) -> Checkpoint:
    """A checkpoint of the program's chain as it stands, signed if the session has the key.

    Refuses (CheckpointError) when the head does not match its last entry, or
    when a key is set and the last entry does not verify under it: signing
    would vouch for entries that someone without the key may have written.
    """
    head = await session.get(ProgramState, program_id)
    if head is None:
        raise CheckpointError(f"program {program_id!r} has no ledger in this database (the bot creates it when "
                              f"it starts; if it existed before, verify against an earlier checkpoint)")
    key = ledger_key(session)
    problem = await _head_problem(session, head, key)
    if problem:
        raise CheckpointError(f"program {program_id!r}: {problem}; run `engagebot ledger verify`")
    stamp = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Checkpoint(program_id, head.entry_count, head.head_hash, head.entry_count, stamp).signed(key)


async def _head_problem(session: AsyncSession, head: ProgramState, key: bytes | None) -> str | None:
    if head.entry_count == 0:
        return None if head.head_hash == GENESIS else "an empty chain has a head hash"
    last = await session.scalar(select(LedgerEntry).where(LedgerEntry.program_id == head.id,
                                                          LedgerEntry.seq == head.entry_count))
    if last is None or last.hash != head.head_hash:
        return f"the chain head does not match entry seq {head.entry_count}"
    if key is None:
        return None
    if last.scheme not in KEYED_SCHEMES:
        return (f"entry seq {last.seq} is not keyed, so a signed checkpoint cannot vouch for it (if "
                f"ENGAGEBOT_LEDGER_KEY was only just set, the next append is keyed and seals the chain)")
    if chain(last.prev_hash, stored_fields(last), key) != last.hash:
        return f"entry seq {last.seq} does not verify under ENGAGEBOT_LEDGER_KEY"
    return None


def dumps(checkpoints: Sequence[Checkpoint]) -> str:
    return json.dumps({"format": FORMAT, "checkpoints": [asdict(c) for c in checkpoints]}, indent=2) + "\n"


def write(path: Path, checkpoints: Sequence[Checkpoint]) -> None:
    """Write atomically (temporary file, then rename), so a crash never leaves half a checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(dumps(checkpoints), encoding="utf-8")
    os.replace(partial, path)


def read(paths: Iterable[Path]) -> list[Checkpoint]:
    """Checkpoints from files, or from every ``*.json`` file in a folder."""
    found: list[Checkpoint] = []
    for path in paths:
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for file in files:
            found.extend(_read_file(file))
    return found


def _read_file(path: Path) -> list[Checkpoint]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint file {path} not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path} is not a readable JSON checkpoint file: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("checkpoints"), list):
        raise CheckpointError(f"{path} is not an engagebot checkpoint file (expected format {FORMAT!r})")
    return [Checkpoint.from_dict(item, str(path)) for item in data["checkpoints"]]


async def write_each(db: Database, program_ids: Sequence[str], directory: Path,
                     now: datetime | None = None) -> list[Path]:
    """One checkpoint file per program in ``directory`` (the scheduler's job).
    Files are kept, not overwritten: each is one more anchor."""
    async with db.unit_of_work() as session:
        taken = [await take(session, program_id, now) for program_id in program_ids]
    paths = []
    for checkpoint in taken:
        stamp = checkpoint.created_at.replace("-", "").replace(":", "")
        path = directory / f"{checkpoint.program_id}-{stamp}-seq{checkpoint.seq}.json"
        write(path, [checkpoint])
        paths.append(path)
    return paths
