"""Serve an app with uvicorn in a thread of the test process (its own event loop)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


@contextmanager
def serve_in_thread(
    app: FastAPI, port: int, *, name: str = "app-server", start_timeout_s: float = 120.0
) -> Iterator[tuple[uvicorn.Server, threading.Thread]]:
    """Run ``app`` on 127.0.0.1:``port`` (lifespan included) until the block ends."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.05)
    try:
        yield server, thread
    finally:
        server.should_exit = True
        thread.join(timeout=30)
