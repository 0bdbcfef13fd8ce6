"""Re-running a unit of work whose MongoDB transaction lost a write conflict.

Two transactions touching the same document (two people posting in one
conversation take the same sequence counter; two accepts of one mentor touch
the same capacity guard) make MongoDB abort one of them with the
``TransientTransactionError`` label: the whole transaction may simply be run
again. SQLite serialises writers, so there the first attempt always stands.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from pymongo.errors import PyMongoError

log = structlog.get_logger(__name__)

T = TypeVar("T")

TRANSIENT = "TransientTransactionError"


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a transaction abort that running again can cure."""
    return isinstance(exc, PyMongoError) and exc.has_error_label(TRANSIENT)


async def retry_on_conflict(
    operation: Callable[[], Awaitable[T]], *, attempts: int = 5, backoff_s: float = 0.01
) -> T:
    """Run ``operation`` (which opens its own unit of work) until it commits.

    Args:
        operation: Builds a fresh unit of work and runs the handler in it; it is
            called again from the start after a transient abort.
        attempts: Tries in all; the last transient error propagates.
        backoff_s: First wait, doubled each time, with jitter so the rivals part.
    """
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except PyMongoError as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            log.info("transaction_retried_after_conflict", attempt=attempt)
            await asyncio.sleep(backoff_s * 2 ** (attempt - 1) * (0.5 + random.random()))
    raise AssertionError("unreachable")
