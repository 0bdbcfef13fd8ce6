"""Keeping the garbage collector's full passes short in a process with a large index.

CPython's cyclic collector walks every tracked object it has not been told to skip
on each full pass, and a full pass runs whenever the survivors have grown by a
quarter. At 50,000 indexed profiles the matching service holds about 200,000
such objects (one ``PersonProfile`` and its role set each, plus the framework's
modules), and one full pass took 130 ms on this kind of machine: a request that
happens to trigger it waits that long.

Objects that live as long as the index need no cycle checks. :func:`settle_long_lived`
moves every object to the permanent generation (:func:`gc.freeze`), which the
automatic passes skip, after one full collection over everything, the objects
settled before included: a settled object that has since become garbage in a cycle
(an old matcher after a rebuild) is freed then, so nothing is kept for good.
:class:`HeapSettler` settles after every so many long-lived objects were made, so
the passes between settlings walk only what was made since the last.
"""

from __future__ import annotations

import gc
import time

import structlog

log = structlog.get_logger(__name__)

SETTLE_EVERY = 1_000
"""Settle after this many index changes. A settling is one full collection (130 ms
at 50,000 profiles), so a bulk import of 50,000 spends a few seconds in 50 of them;
one profile edited at a time settles after a thousand edits."""


def settle_long_lived() -> float:
    """Collect garbage among every object, then exempt the survivors from later passes.

    Returns:
        The seconds it took (the collection holds the interpreter lock).
    """
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started


class HeapSettler:
    """Settles the heap (:func:`settle_long_lived`) after every ``every`` changes."""

    def __init__(self, every: int = SETTLE_EVERY) -> None:
        """Settle after ``every`` changes counted by :meth:`changed`."""
        self._every = every
        self._pending = 0

    def changed(self, count: int) -> bool:
        """Count ``count`` new long-lived objects; settle when enough were made.

        Returns:
            Whether the heap was settled now.
        """
        self._pending += count
        if self._pending < self._every:
            return False
        self.settle()
        return True

    def settle(self) -> None:
        """Settle now (after a load or a rebuild, whatever the count)."""
        seconds = settle_long_lived()
        log.info(
            "heap_settled",
            changes=self._pending,
            frozen=gc.get_freeze_count(),
            seconds=round(seconds, 4),
        )
        self._pending = 0
