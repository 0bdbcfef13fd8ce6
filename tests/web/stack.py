"""The real profile, messaging and notifications services plus the web app, each served by
uvicorn on its own port in a thread of the test process, on SQLite in a temp folder, with a
real SMTP server (aiosmtpd) catching the emails."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from mentor_shared.testing.broker import free_port
from messaging_service.api.app import create_messaging_app
from messaging_service.settings import MessagingSettings
from notifications_service.api.app import create_notifications_app
from notifications_service.settings import NotificationsSettings
from profile_service.api.app import create_profile_app
from profile_service.settings import ProfileSettings
from web_service.app import create_web_app
from web_service.settings import WebSettings

ADMIN_EMAIL = "web-admin@cabinetoffice.gov.uk"
ADMIN_PASSWORD = "quartz meadow lantern pivot admin"
PASSWORD = "plum kettle orbit lantern"
SUPPORT_EMAIL = "mentor-match-support@cabinetoffice.gov.uk"


@dataclass
class Mailbox:
    """aiosmtpd handler keeping every message."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def link(self, address: str, path: str, timeout: float = 30.0) -> str:
        """The first ``/path?token=...`` link emailed to ``address``."""
        pattern = re.compile(
            r"https?://[^\s\"'<>]+" + re.escape(path) + r"\?token=[A-Za-z0-9_\-.~%]+"
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in list(self.messages):
                if message["To"] != address:
                    continue
                body = message.get_body(preferencelist=("plain", "html"))
                found = pattern.search(body.get_content() if body else "")
                if found:
                    return found.group(0)
            time.sleep(0.1)
        raise AssertionError(f"no {path} link emailed to {address} within {timeout}s")


@contextmanager
def serve(app: FastAPI, port: int, name: str) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread until the block ends; yields its URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="on", log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"{name}-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the {name} server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@dataclass
class Stack:
    """URLs of the running services, the mailbox and the web app's session file."""

    web_url: str
    profile_url: str
    messaging_url: str
    notifications_url: str
    mailbox: Mailbox
    sessions_db: Path
    bootstrap_servers: str

    def session_rows(self) -> list[tuple[str, str]]:
        """(id hash, data JSON) of every stored web session."""
        with sqlite3.connect(self.sessions_db) as conn:
            return list(conn.execute("SELECT id_hash, data FROM web_sessions"))

    def expire_access_tokens(self) -> None:
        """Make every session's access token look expired (the refresh path runs next)."""
        with sqlite3.connect(self.sessions_db) as conn:
            conn.execute("UPDATE web_sessions SET data = json_set(data, '$.access_expires_at', 0)")


def register(stack: Stack, email: str, name: str) -> None:
    """Sign up, confirm and leave the account verified (through the web pages)."""
    with httpx.Client(base_url=stack.web_url, timeout=20) as client:
        csrf = csrf_of(client.get("/sign-up").text)
        answer = client.post(
            "/sign-up",
            data={"csrf_token": csrf, "display_name": name, "email": email, "password": PASSWORD},
        )
        assert answer.status_code == 303, answer.text
        link = stack.mailbox.link(email, "/verify")
        parts = urlsplit(link)
        page = client.get(f"{parts.path}?{parts.query}")
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token, page.text
        confirmed = client.post(
            "/verify", data={"csrf_token": csrf_of(page.text), "token": token.group(1)}
        )
        assert confirmed.status_code == 303


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def signed_in_client(stack: Stack, email: str, password: str = PASSWORD) -> httpx.Client:
    """An httpx client holding a signed-in web session."""
    client = httpx.Client(base_url=stack.web_url, timeout=20)
    csrf = csrf_of(client.get("/sign-in").text)
    answer = client.post(
        "/sign-in", data={"csrf_token": csrf, "email": email, "password": password}
    )
    assert answer.status_code == 303, answer.text
    return client


@contextmanager
def running_stack(bootstrap_servers: str, data_dir: Path) -> Iterator[Stack]:
    """Start SMTP, profile, messaging, notifications and web; stop them afterwards."""
    ports = {name: free_port() for name in ("web", "profile", "messaging", "notifications", "smtp")}
    web_url = f"http://127.0.0.1:{ports['web']}"
    profile_url = f"http://127.0.0.1:{ports['profile']}"
    common: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": bootstrap_servers,
        "profile_url": profile_url,
        "log_level": "WARNING",
        "broker_recovery_settle_s": 0.5,
    }
    mailbox = Mailbox()
    with ExitStack() as stack:
        smtp = Controller(mailbox, hostname="127.0.0.1", port=ports["smtp"])
        smtp.start()
        stack.callback(smtp.stop)
        profile = ProfileSettings.model_validate(
            {
                **common,
                "data_dir": data_dir / "profile",
                "PROFILE_PORT": ports["profile"],
                "admin_email": ADMIN_EMAIL,
                "admin_password": ADMIN_PASSWORD,
                "public_url": web_url,
            }
        )
        stack.enter_context(serve(create_profile_app(profile), ports["profile"], "profile"))
        messaging = MessagingSettings.model_validate(
            {**common, "data_dir": data_dir / "messaging", "MESSAGING_PORT": ports["messaging"]}
        )
        messaging_url = stack.enter_context(
            serve(create_messaging_app(messaging), ports["messaging"], "messaging")
        )
        notifications = NotificationsSettings.model_validate(
            {
                **common,
                "data_dir": data_dir / "notifications",
                "NOTIFICATIONS_PORT": ports["notifications"],
                "smtp_host": "127.0.0.1",
                "smtp_port": ports["smtp"],
                "public_url": web_url,
                "delivery_poll_interval_s": 0.2,
            }
        )
        notifications_url = stack.enter_context(
            serve(create_notifications_app(notifications), ports["notifications"], "notifications")
        )
        web = WebSettings.model_validate(
            {
                **common,
                "data_dir": data_dir / "web",
                "WEB_PORT": ports["web"],
                # Nothing listens here: pages that need matching must cope without it.
                "matching_url": f"http://127.0.0.1:{free_port()}",
                "messaging_url": messaging_url,
                "notifications_url": notifications_url,
                "support_email": SUPPORT_EMAIL,
            }
        )
        stack.enter_context(serve(create_web_app(web), ports["web"], "web"))
        yield Stack(
            web_url=web_url,
            profile_url=profile_url,
            messaging_url=messaging_url,
            notifications_url=notifications_url,
            mailbox=mailbox,
            sessions_db=data_dir / "web" / "web-sessions.sqlite3",
            bootstrap_servers=bootstrap_servers,
        )
