"""The real profile, matching, messaging and notifications services plus the web app, each
served by uvicorn on its own port in a thread of the test process, on SQLite in a temp folder,
with a real SMTP server (aiosmtpd) catching the emails. Matching uses its hashing embedder
(a test double of the model: fast, and texts that share words match)."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiosmtpd.controller import Controller

from matching_service.api.app import create_matching_app
from matching_service.settings import MatchingSettings
from mentor_shared.testing.broker import free_port
from mentor_shared.testing.server import serve_in_thread
from messaging_service.api.app import create_messaging_app
from messaging_service.settings import MessagingSettings
from notifications_service.api.app import create_notifications_app
from notifications_service.settings import NotificationsSettings
from profile_service.api.app import create_profile_app
from profile_service.settings import ProfileSettings
from tests.sealing import SEAL_KEY
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


@dataclass
class Stack:
    """URLs of the running services, the mailbox, the web app's settings and session file."""

    web_url: str
    profile_url: str
    matching_url: str
    messaging_url: str
    notifications_url: str
    mailbox: Mailbox
    sessions_db: Path
    bootstrap_servers: str
    web_settings: WebSettings

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
    """Start SMTP, profile, matching, messaging, notifications and web; stop them afterwards."""
    names = ("web", "profile", "matching", "messaging", "notifications", "smtp")
    ports = {name: free_port() for name in names}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    web_url, profile_url = url["web"], url["profile"]
    common: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": bootstrap_servers,
        "profile_url": profile_url,
        "log_level": "WARNING",
        "broker_recovery_settle_s": 0.5,
        # Profile seals the emailed tokens on the broker; notifications must open them
        # (and the other tests' events on the same broker).
        "event_seal_key": SEAL_KEY,
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
        stack.enter_context(
            serve_in_thread(create_profile_app(profile), ports["profile"], name="profile-server")
        )
        matching = MatchingSettings.model_validate(
            {
                **common,
                "data_dir": data_dir / "matching",
                "MATCHING_PORT": ports["matching"],
                "MATCHING_CONSUMER_GROUP": f"web-matching-{uuid.uuid4().hex[:8]}",
                "embedder": "hashing",
            }
        )
        stack.enter_context(
            serve_in_thread(
                create_matching_app(matching), ports["matching"], name="matching-server"
            )
        )
        messaging = MessagingSettings.model_validate(
            {**common, "data_dir": data_dir / "messaging", "MESSAGING_PORT": ports["messaging"]}
        )
        stack.enter_context(
            serve_in_thread(
                create_messaging_app(messaging), ports["messaging"], name="messaging-server"
            )
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
                # The admin pages' tests subscribe receivers on this machine.
                "webhook_allow_private": True,
            }
        )
        stack.enter_context(
            serve_in_thread(
                create_notifications_app(notifications),
                ports["notifications"],
                name="notifications-server",
            )
        )
        web = WebSettings.model_validate(
            {
                **common,
                "data_dir": data_dir / "web",
                "WEB_PORT": ports["web"],
                "matching_url": url["matching"],
                "messaging_url": url["messaging"],
                "notifications_url": url["notifications"],
                "support_email": SUPPORT_EMAIL,
            }
        )
        stack.enter_context(serve_in_thread(create_web_app(web), ports["web"], name="web-server"))
        yield Stack(
            web_url=web_url,
            profile_url=profile_url,
            matching_url=url["matching"],
            messaging_url=url["messaging"],
            notifications_url=url["notifications"],
            mailbox=mailbox,
            sessions_db=data_dir / "web" / "web-sessions.sqlite3",
            bootstrap_servers=bootstrap_servers,
            web_settings=web,
        )


def api_token(stack: Stack, email: str, password: str = PASSWORD) -> str:
    """An access token straight from the profile service (for checks behind the pages)."""
    answer = httpx.post(
        f"{stack.profile_url}/v1/auth/token", data={"username": email, "password": password}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


def account_id(stack: Stack, email: str) -> str:
    """The account (and profile) id of ``email``."""
    me = httpx.get(f"{stack.profile_url}/v1/profiles/me", headers=bearer(api_token(stack, email)))
    return str(me.json()["id"])


def save_profile(client: httpx.Client, **fields: str | list[str]) -> None:
    """Fill in and save the profile form (fields left out are saved empty)."""
    form = client.get("/profile/edit")
    answer = client.post("/profile/edit", data={"csrf_token": csrf_of(form.text), **fields})
    assert answer.status_code == 303, answer.text


def wait_until_indexed(stack: Stack, email: str, timeout: float = 30.0) -> str:
    """Wait until matching holds the current version of the profile; returns its id."""
    token = api_token(stack, email)
    me = httpx.get(f"{stack.profile_url}/v1/profiles/me", headers=bearer(token)).json()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = httpx.get(
            f"{stack.matching_url}/v1/index/status",
            params={"profile_id": me["id"]},
            headers=bearer(token),
        ).json()
        if (status.get("version") or 0) >= me["version"]:
            return str(me["id"])
        time.sleep(0.1)
    raise AssertionError(f"matching did not index profile version {me['version']} in time")


def wait_for_conversation(stack: Stack, email: str, match_id: str, timeout: float = 20.0) -> str:
    """The id of the match's conversation once messaging has opened it (active)."""
    token = api_token(stack, email)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = httpx.get(f"{stack.messaging_url}/v1/conversations", headers=bearer(token)).json()
        for item in found["items"]:
            if item["match_id"] == match_id and item["status"] == "active":
                return str(item["id"])
        time.sleep(0.1)
    raise AssertionError("the conversation did not open")


@dataclass
class Pair:
    """A mentee and a mentor whose request was sent and accepted through the pages."""

    mentee_email: str
    mentor_email: str
    mentee_id: str
    mentor_id: str
    match_id: str
    conversation_id: str


MENTOR_EXPERTISE = "leading a team through change"


def become_mentor(client: httpx.Client, name: str, **extra: str | list[str]) -> None:
    """Save a mentor's profile whose expertise fits :func:`become_mentee`'s goal."""
    save_profile(
        client,
        display_name=name,
        roles=["mentor"],
        capacity="2",
        accepting_requests="yes",
        expertise=MENTOR_EXPERTISE,
        **extra,
    )


def become_mentee(client: httpx.Client, name: str, **extra: str | list[str]) -> None:
    """Save a mentee's profile with a goal the mentors of :func:`become_mentor` offer."""
    save_profile(
        client, display_name=name, roles=["mentee"], goals="lead a team through change", **extra
    )


def matched_pair(stack: Stack, *, mentee_department: str = "") -> Pair:
    """Register a mentee and a mentor; the mentee asks and the mentor accepts, on the pages."""
    tag = uuid.uuid4().hex[:8]
    mentee_email = f"mentee-{tag}@cabinetoffice.gov.uk"
    mentor_email = f"mentor-{tag}@cabinetoffice.gov.uk"
    register(stack, mentee_email, f"Mina Mentee {tag}")
    register(stack, mentor_email, f"Mo Mentor {tag}")
    with (
        closing(signed_in_client(stack, mentee_email)) as mentee,
        closing(signed_in_client(stack, mentor_email)) as mentor,
    ):
        become_mentor(mentor, f"Mo Mentor {tag}", contact_phone="07700 900456")
        become_mentee(mentee, f"Mina Mentee {tag}", department=mentee_department)
        mentor_id = wait_until_indexed(stack, mentor_email)
        mentee_id = wait_until_indexed(stack, mentee_email)
        form = mentee.get(f"/people/{mentor_id}/request")
        sent = mentee.post(
            f"/people/{mentor_id}/request",
            data={"csrf_token": csrf_of(form.text), "message": "Could we talk about change?"},
        )
        assert sent.status_code == 303, sent.text
        received = mentor.get("/requests")
        match_ids = re.findall(r'action="/requests/([^/"]+)/accept"', received.text)
        assert len(match_ids) == 1, received.text
        accepted = mentor.post(
            f"/requests/{match_ids[0]}/accept", data={"csrf_token": csrf_of(received.text)}
        )
        assert accepted.status_code == 303
    conversation_id = wait_for_conversation(stack, mentee_email, match_ids[0])
    return Pair(mentee_email, mentor_email, mentee_id, mentor_id, match_ids[0], conversation_id)
