"""Helpers for the matching tests: access tokens, a real server, events on the broker."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from matching_service.api.app import create_matching_app
from matching_service.service.ports import Embedder
from matching_service.settings import MatchingSettings
from mentor_shared.testing.broker import free_port
from mentor_shared.testing.server import serve_in_thread as shared_serve_in_thread
from mentor_shared.testing.tokens import TokenMaker


def matching_settings(bootstrap: str, data_dir: Path, **overrides: Any) -> MatchingSettings:
    values: dict[str, Any] = {
        "environment": "test",
        "data_dir": data_dir,
        "kafka_bootstrap_servers": bootstrap,
        "MATCHING_PORT": free_port(),
        "MATCHING_CONSUMER_GROUP": f"matching-test-{uuid.uuid4().hex[:8]}",
        "log_level": "WARNING",
        "embedder": "hashing",
        **overrides,
    }
    return MatchingSettings(**values)


@dataclass
class RunningServer:
    """The matching app served by uvicorn in a thread of the test process."""

    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread
    base_url: str
    tokens: TokenMaker
    settings: MatchingSettings


@contextmanager
def serve_in_thread(
    settings: MatchingSettings, tokens: TokenMaker, embedder: Embedder | None = None
) -> Iterator[RunningServer]:
    """Run the app with uvicorn on its own port (and event loop) until the block ends."""
    app = create_matching_app(settings, embedder=embedder)
    app.state.key_set = tokens.key_set()
    with shared_serve_in_thread(app, settings.port, name="matching-server") as (server, thread):
        yield RunningServer(
            app, server, thread, f"http://127.0.0.1:{settings.port}", tokens, settings
        )
