"""A service's runtime for the life of its FastAPI app.

Every service's lifespan does the same around its own start-up: check tokens
against the profile service's keys, hand the app the runtime's readiness checks
and metrics, start the outbox relay and consumers, and stop them (closing the
store) when the app stops, with the service's own background work (loops,
workers) started after the runtime and stopped before it. :func:`serving` is
that part, once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import FastAPI

from mentor_shared.auth import JwksKeySet
from mentor_shared.runtime import ServiceRuntime


class BackgroundWork(Protocol):
    """A service's own work beside its requests and consumers (its context)."""

    async def start_background(self) -> None:
        """Start it; the runtime is running."""
        ...

    async def stop_background(self) -> None:
        """Stop it and release what it holds, before the runtime stops. Called
        whatever happened, also when it never started (the runtime's start
        failed), so it must allow that."""
        ...


@asynccontextmanager
async def serving(
    app: FastAPI, runtime: ServiceRuntime, background: BackgroundWork | None = None
) -> AsyncIterator[None]:
    """Run ``runtime`` while the block runs (use it inside the app's lifespan).

    Tokens are verified with the keys of the JWKS the settings name, unless
    ``app.state.key_set`` is already set: a test's own keys, or the profile
    service's, which issues the tokens itself.

    Args:
        app: The service's app.
        runtime: Its runtime (store, relay, consumers), not started yet.
        background: Its own background work, if any: started once the runtime
            runs, stopped before the runtime stops, whatever failed.
    """
    if getattr(app.state, "key_set", None) is None:
        app.state.key_set = JwksKeySet.from_settings(runtime.settings)
    runtime.install(app)
    try:
        # Inside the try: a start cut short (Ctrl-C while consumers join, a
        # consumer that cannot start) still stops everything and closes the store.
        await runtime.start()
        if background is not None:
            await background.start_background()
        yield
    finally:
        try:
            if background is not None:
                await background.stop_background()
        finally:
            await runtime.stop()
