"""A scorer in a process of its own, so scoring never holds the event loop's GIL.

Scoring in a thread keeps the model's own work off the loop (ONNX Runtime
releases the GIL), but cleaning text, spelling out emoji and telling the
language are pure Python: about half of each batch's CPU, all of it holding
the GIL the loop that serves the platforms needs. In a child process that work
runs beside the loop on another core. The child is spawned (forking a process
that runs an event loop and database threads is unsafe), loads the model once,
and runs at a lower priority, so when both want the CPU the platforms win and
scoring drains the backlog with what is left. It ignores SIGINT: Ctrl-C reaches
the whole process group, and the parent stops it in order.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from sentiment import loader
from sentiment.scoring import Score, Scorer, score_safely

NICENESS = 5
_scorer: Scorer | None = None


def _load(backend: str, model: str | None, batch_size: int, niceness: int) -> None:
    global _scorer
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(niceness)
    _scorer = loader.load(backend, model, batch_size)


def _version() -> str:
    assert _scorer is not None
    return _scorer.version


def _score(texts: list[str]) -> list[Score]:
    assert _scorer is not None
    return score_safely(_scorer, texts)


class ScoringProcess:
    """``loader.load(backend, model, batch_size)`` in a child process; ``start`` before use."""

    def __init__(self, backend: str, model: str | None = None, batch_size: int = 64,
                 niceness: int = NICENESS) -> None:
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_load,
                                         initargs=(backend, model, batch_size, niceness))
        self.version = ""

    async def start(self) -> None:
        """Load the model in the child (seconds); a model that cannot load fails here."""
        self.version = await asyncio.get_running_loop().run_in_executor(self._pool, _version)

    async def score(self, texts: Sequence[str]) -> list[Score]:
        """Like ``score_safely``: one score per text, never raising for a bad text."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, _score, list(texts))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
