"""Helpers for the messaging tests: access tokens, a real server, events on the broker.

A test module that serves the app defines its own ``running`` fixture (settings
differ); the ``client`` fixture here talks to whichever server that is.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from mentor_shared.events import EventData
from mentor_shared.events.schemas import MatchAccepted, MatchRequested
from mentor_shared.testing.broker import free_port
from mentor_shared.testing.events import publish, wait_for
from mentor_shared.testing.server import serve_in_thread as shared_serve_in_thread
from mentor_shared.testing.tokens import TokenMaker
from messaging_service.api.app import create_messaging_app
from messaging_service.settings import MessagingSettings


def person_id() -> str:
    return f"person-{uuid.uuid4()}"


def messaging_settings(bootstrap: str, data_dir: Path, **overrides: Any) -> MessagingSettings:
    values: dict[str, Any] = {
        "environment": "test",
        "data_dir": data_dir,
        "kafka_bootstrap_servers": bootstrap,
        "MESSAGING_PORT": free_port(),
        "log_level": "WARNING",
        **overrides,
    }
    return MessagingSettings(**values)


@dataclass
class RunningServer:
    """The messaging app served by uvicorn in a thread of the test process."""

    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread
    base_url: str
    tokens: TokenMaker
    settings: MessagingSettings


@contextmanager
def serve_in_thread(settings: MessagingSettings, tokens: TokenMaker) -> Iterator[RunningServer]:
    """Run the app with uvicorn on its own port (and event loop) until the block ends."""
    app = create_messaging_app(settings)
    app.state.key_set = tokens.key_set()
    with shared_serve_in_thread(app, settings.port, name="messaging-server") as (server, thread):
        yield RunningServer(
            app, server, thread, f"http://127.0.0.1:{settings.port}", tokens, settings
        )


@pytest.fixture
async def client(running: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running.base_url, timeout=10) as http:
        yield http


def future(days: int = 7) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


async def post(
    client: httpx.AsyncClient, running: RunningServer, who: str, conv: str, body: str
) -> httpx.Response:
    return await client.post(
        f"/v1/conversations/{conv}/messages",
        json={"body": body},
        headers=running.tokens.headers(who),
    )


async def early_in_rate_window(window_s: float, needed_s: float) -> None:
    """Wait for a fresh fixed window of the message limit if less than ``needed_s`` is left.

    The limit counts per fixed window (``mentor_shared.limits``): a burst that
    crosses a window boundary may pass up to twice the limit.
    """
    left = window_s - time.time() % window_s
    if left < needed_s:
        await asyncio.sleep(left + 0.05)


async def open_conversation(
    running: RunningServer,
    client: httpx.AsyncClient,
    mentee: str,
    mentor: str,
    *,
    message: str = "Hello, could we talk about leadership?",
    accept: bool = False,
) -> dict[str, Any]:
    """Feed match.requested (and match.accepted) through the broker; the conversation seen by the mentee."""
    match_id = f"match-{uuid.uuid4()}"
    events: list[EventData] = [
        MatchRequested(
            match_id=match_id,
            mentee_id=mentee,
            mentor_id=mentor,
            message=message,
            expires_at=datetime.now(UTC) + timedelta(days=14),
        )
    ]
    if accept:
        events.append(MatchAccepted(match_id=match_id, mentee_id=mentee, mentor_id=mentor))
    await publish(running.settings.kafka_bootstrap_servers, *events, subject=match_id)
    wanted_status = "active" if accept else "requested"

    async def found() -> dict[str, Any] | None:
        response = await client.get("/v1/conversations", headers=running.tokens.headers(mentee))
        for item in response.json()["items"]:
            if item["match_id"] == match_id and item["status"] == wanted_status:
                return dict(item)
        return None

    conversation: dict[str, Any] = await wait_for(found)
    return conversation
