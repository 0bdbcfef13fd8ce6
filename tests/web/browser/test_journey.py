"""A person's journey through the pages in a real browser, with an axe-core scan of each page.

Register -> the verification link from the email (real SMTP) -> verify -> sign in ->
edit the profile -> directory -> suggestions -> a conversation (opened by match events on
the broker) with a live update -> notifications -> preferences -> account -> sign out;
then an administrator's pages. Each page is scanned with axe-core (WCAG 2.0/2.1/2.2 A and
AA) and a screenshot is saved under tests/artifacts/web/.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from mentor_shared.events import REGISTRY, new_event
from mentor_shared.events.schemas import MatchAccepted, MatchRequested
from tests.web.stack import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Stack, register

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "services" / "web" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts" / "web"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


class Journey:
    """Visits pages, scans each with axe and keeps a screenshot of each."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.violations: dict[str, list[dict[str, Any]]] = {}
        self.scanned: list[str] = []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def check(self, name: str) -> None:
        """Scan the current page and save its screenshot as ``name``.png."""
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        found = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
        ]
        if found:
            self.violations[name] = found
        self.scanned.append(name)
        self.page.screenshot(
            path=str(ARTIFACTS / f"{len(self.scanned):02d}-{name}.png"), full_page=True
        )

    def visit(self, path: str, name: str) -> None:
        self.page.goto(self.base_url + path)
        self.check(name)


def _open_conversation(stack: Stack, mentee: str, mentor: str) -> str:
    match_id = f"match-{uuid.uuid4()}"
    events = [
        MatchRequested(
            match_id=match_id,
            mentee_id=mentee,
            mentor_id=mentor,
            message="Hello, could we talk about leading a team through change?",
            expires_at=datetime.now(UTC) + timedelta(days=14),
        ),
        MatchAccepted(match_id=match_id, mentee_id=mentee, mentor_id=mentor),
    ]

    async def publish() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers, acks="all")
        await producer.start()
        try:
            for payload in events:
                envelope = new_event(payload, subject=match_id, source="matching")
                topic = REGISTRY.spec(envelope.type, envelope.version).topic
                await producer.send_and_wait(topic, envelope.to_bytes(), key=match_id.encode())
        finally:
            await producer.stop()

    # Playwright's sync API keeps an event loop on this thread: publish from another one.
    worker = threading.Thread(target=asyncio.run, args=(publish(),))
    worker.start()
    worker.join(timeout=30)
    return match_id


def _account_id(stack: Stack, email: str) -> str:
    token = httpx.post(
        f"{stack.profile_url}/v1/auth/token", data={"username": email, "password": PASSWORD}
    ).json()["access_token"]
    me = httpx.get(
        f"{stack.profile_url}/v1/profiles/me", headers={"Authorization": f"Bearer {token}"}
    ).json()
    return str(me["id"])


def _conversation_id(stack: Stack, email: str, match_id: str) -> str:
    token = httpx.post(
        f"{stack.profile_url}/v1/auth/token", data={"username": email, "password": PASSWORD}
    ).json()["access_token"]
    for _ in range(200):
        found = httpx.get(
            f"{stack.messaging_url}/v1/conversations",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        for item in found["items"]:
            if item["match_id"] == match_id and item["status"] == "active":
                return str(item["id"])
        time.sleep(0.1)
    raise AssertionError("the conversation did not open")


def test_journey_through_every_page_has_no_accessibility_violations(
    stack: Stack, browser: Any
) -> None:
    # The strict CSP would block the injected axe script; the app itself needs no bypass.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    journey = Journey(page, stack.web_url)
    email = f"journey-{uuid.uuid4().hex[:8]}@cabinetoffice.gov.uk"

    journey.visit("/", "start")
    page.get_by_role("button", name="Create an account").click()
    journey.check("sign-up")
    page.get_by_role("button", name="Create account").click()
    journey.check("sign-up-errors")
    page.get_by_label("Your name").fill("Jo Journey")
    page.get_by_label("Work email address").fill("jo@example.com")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    journey.check("sign-up-domain-refused")
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    journey.check("check-email")

    link = stack.mailbox.link(email, "/verify")
    page.goto(link)
    journey.check("verify")
    page.get_by_role("button", name="Confirm my email address").click()
    journey.check("sign-in-after-verify")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    journey.check("home-signed-in")
    cookies = context.cookies()
    assert [c["name"] for c in cookies] == ["mentor_match_session"]
    assert cookies[0]["httpOnly"]

    journey.visit("/profile/edit", "profile-edit")
    page.get_by_role("checkbox", name="Mentee", exact=True).check()
    page.get_by_label("What you want to develop").fill("lead a team through change")
    page.get_by_label("Phone number (optional)").fill("12ab")
    page.get_by_role("button", name="Save profile").click()
    journey.check("profile-edit-errors")
    page.get_by_label("Phone number (optional)").fill("07700 900123")
    page.get_by_role("button", name="Save profile").click()
    journey.check("profile")

    journey.visit("/directory", "directory")
    journey.visit("/directory?role=mentor", "directory-filtered")
    journey.visit("/suggestions", "suggestions")

    # A conversation with a mentor, opened as the matching service would (events on the broker).
    mentor_email = f"mentor-{uuid.uuid4().hex[:8]}@cabinetoffice.gov.uk"
    register(stack, mentor_email, "Max Mentor")
    mentee_id = _account_id(stack, email)
    mentor_id = _account_id(stack, mentor_email)
    match_id = _open_conversation(stack, mentee_id, mentor_id)
    conversation_id = _conversation_id(stack, email, match_id)
    journey.visit(f"/people/{mentor_id}", "person")
    journey.visit("/conversations", "conversations")
    page.locator(f"a[href='/conversations/{conversation_id}']").click()
    page.wait_for_selector("[data-live-status]:has-text('New messages will appear')")
    journey.check("conversation")
    page.get_by_label("Your message").fill("Thank you for accepting. Does Tuesday suit you?")
    page.get_by_role("button", name="Send message").click()
    assert page.get_by_text("Does Tuesday suit you?").count() >= 1

    # The mentor replies through the API: the page shows it live, with no reload.
    page.wait_for_selector("[data-live-status]:has-text('New messages will appear')")
    mentor_token = httpx.post(
        f"{stack.profile_url}/v1/auth/token", data={"username": mentor_email, "password": PASSWORD}
    ).json()["access_token"]
    sent = httpx.post(
        f"{stack.messaging_url}/v1/conversations/{conversation_id}/messages",
        json={"body": "Tuesday at ten works for me."},
        headers={"Authorization": f"Bearer {mentor_token}"},
    )
    assert sent.status_code == 201
    page.wait_for_selector("text=Tuesday at ten works for me.", timeout=10000)
    journey.check("conversation-live-reply")
    assert mentor_token not in page.content()

    journey.visit("/notifications", "notifications")
    journey.visit("/preferences", "preferences")
    journey.visit("/account", "account")
    journey.visit("/account/delete", "account-delete")
    journey.visit("/requests", "requests")
    journey.visit("/no-such-page", "not-found")
    page.get_by_role("button", name="Sign out").click()
    journey.check("signed-out")

    page.goto(stack.web_url + "/sign-in")
    page.get_by_label("Email address").fill(ADMIN_EMAIL)
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    journey.visit("/admin", "admin")
    journey.visit("/admin/domains", "admin-domains")
    journey.visit("/admin/import", "admin-import")
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "coaches.csv",
                "mimeType": "text/csv",
                "buffer": b"name,email,department,profession,grade,region,expertise,approach,capacity\n"
                b"No Email,,,,,,,,2\n",
            }
        ],
    )
    page.get_by_role("button", name="Continue").click()
    journey.check("admin-import-report")
    journey.visit("/admin/usage", "admin-usage")
    journey.visit("/admin/cohorts", "admin-cohorts")
    journey.visit("/forgotten-password", "forgotten-password")
    journey.visit("/reset-password?token=x", "reset-password")
    journey.visit("/claim?token=x", "claim")
    context.close()

    (ARTIFACTS / "axe-report.json").write_text(
        json.dumps({"pages": journey.scanned, "violations": journey.violations}, indent=2)
    )
    assert journey.violations == {}, json.dumps(journey.violations, indent=2)
