"""Keeping the garbage collector's full passes short in a process with a large index.

CPython's cyclic collector walks every tracked object it has not been told to skip
on each full pass, and a full pass runs whenever the survivors have grown by a
quarter. At 50,000 indexed profiles the matching service holds about 200,000
such objects (one ``PersonProfile`` and its role set each, plus the framework's
modules), and one full pass took 130 ms on this kind of machine: a request that
happens to trigger it waits that long.

Objects that live as long as the index need no cycle checks. Settling moves every
object to the permanent generation (:func:`gc.freeze`), which the automatic passes
skip, after collecting the garbage among the objects not settled yet
(:func:`settle_new`, a few milliseconds for a thousand profiles' objects). A settled
object that later becomes garbage in a cycle stays until a full settling
(:func:`settle_long_lived`: everything unfrozen and collected first, as long as a
full pass), which runs after a start-up and after an index rebuild (the old matcher),
and after every :data:`FULL_EVERY` settlings of new objects. A service that only
settles at start-up keeps what was in flight then and became cyclic garbage later
(a few start-up temporaries): bounded, not growing.
"""

from __future__ import annotations

import gc
import time

import structlog

log = structlog.get_logger(__name__)

SETTLE_EVERY = 1_000
"""Settle after this many index changes (a settling of new objects walks only them)."""

FULL_EVERY = 10
"""Every this many settlings is a full one, so cyclic garbage among settled objects is
freed within ten thousand index changes at most."""


def settle_new() -> float:
    """Collect garbage among the objects not settled yet, then settle the survivors.

    Returns:
        The seconds it took (the collection holds the interpreter lock).
    """
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started


def settle_long_lived() -> float:
    """Collect garbage among every object, settled ones included, then settle them all.

    Returns:
        The seconds it took: one full collection over the whole heap.
    """
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started


class HeapSettler:
    """Settles new objects after every ``every`` changes, fully every ``full_every``."""

    def __init__(self, every: int = SETTLE_EVERY, full_every: int = FULL_EVERY) -> None:
        """Settle after ``every`` changes counted by :meth:`changed`."""
        self._every = every
        self._full_every = full_every
        self._pending = 0
        self._since_full = 0

    def changed(self, count: int) -> bool:
        """Count ``count`` new long-lived objects; settle when enough were made.

        Returns:
            Whether the heap was settled now.
        """
        self._pending += count
        if self._pending < self._every:
            return False
        self._since_full += 1
        if self._since_full >= self._full_every:
            self.settle()
        else:
            self._log("new", settle_new())
        return True

    def settle(self) -> None:
        """Settle everything now (after a load or a rebuild, whatever the count)."""
        self._since_full = 0
        self._log("full", settle_long_lived())

    def _log(self, kind: str, seconds: float) -> None:
        log.info(
            "heap_settled",
            kind=kind,
            changes=self._pending,
            frozen=gc.get_freeze_count(),
            seconds=round(seconds, 4),
        )
        self._pending = 0
