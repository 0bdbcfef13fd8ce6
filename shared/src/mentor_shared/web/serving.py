"""A service's runtime for the life of its FastAPI app.

Every service's lifespan does the same around its own start-up: check tokens
against the profile service's keys, hand the app the runtime's readiness checks
and metrics, start the outbox relay and consumers, and stop them (closing the
store) when the app stops. :func:`serving` is that part, once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mentor_shared.auth import JwksKeySet
from mentor_shared.runtime import ServiceRuntime


@asynccontextmanager
async def serving(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[None]:
    """Run ``runtime`` while the block runs (use it inside the app's lifespan).

    Tokens are verified with the keys of the JWKS the settings name, unless
    ``app.state.key_set`` is already set: a test's own keys, or the profile
    service's, which issues the tokens itself.

    Args:
        app: The service's app.
        runtime: Its runtime (store, relay, consumers), not started yet.
    """
    if getattr(app.state, "key_set", None) is None:
        app.state.key_set = JwksKeySet.from_settings(runtime.settings)
    runtime.install(app)
    await runtime.start()
    try:
        yield
    finally:
        await runtime.stop()
