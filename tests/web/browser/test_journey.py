"""A mentee's and a mentor's journey through the pages in a real browser, with an axe-core
scan of each page.

Register -> the verification link from the email (real SMTP) -> verify -> sign in -> edit
the profile -> directory -> suggestions -> ask a mentor for an introduction -> the mentor
accepts on their requests page (a second browser) -> the mentee sees the contact details
-> they exchange messages (the reply arrives live) -> report a message -> plan a session
series, the mentor confirms one, its calendar invite downloads -> the shared plan (the
mentee adds an action, the mentor ticks it done) -> the mentee's private notes on the
session -> two more sessions confirmed, the check-in answered -> LinkedIn import ->
change the password -> end the match; then an administrator's pages: usage (with this
week's request and match from the matching service), reported messages, webhook
subscriptions. Each page is scanned with axe-core (WCAG 2.0/2.1/2.2 A and AA) and a
screenshot is saved under tests/artifacts/web/.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest

from tests.web.stack import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    Stack,
    api_token,
    bearer,
    register,
    save_profile,
    signed_in_client,
    wait_for_conversation,
    wait_until_indexed,
)

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "services" / "web" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts" / "web"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LONDON = ZoneInfo("Europe/London")
GOAL = "lead a team through change"
NEW_PASSWORD = "violet harbour engine mosaic"


@dataclass
class Record:
    """Every page scanned, in order, and the violations found, by page name."""

    scanned: list[str] = field(default_factory=list)
    violations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class Journey:
    """Visits pages in one browser tab, scans each with axe and keeps a screenshot of each."""

    def __init__(self, page: Any, base_url: str, record: Record) -> None:
        self.page = page
        self.base_url = base_url
        self.record = record
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if not record.scanned:
            # Screenshots of an earlier run would mix with this one's numbering.
            for old in ARTIFACTS.glob("*.png"):
                old.unlink()

    def check(self, name: str) -> None:
        """Scan the current page and save its screenshot as ``NN-name.png``."""
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        found = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
        ]
        if found:
            self.record.violations[name] = found
        self.record.scanned.append(name)
        self.page.screenshot(
            path=str(ARTIFACTS / f"{len(self.record.scanned):02d}-{name}.png"), full_page=True
        )

    def visit(self, path: str, name: str) -> None:
        self.page.goto(self.base_url + path)
        self.check(name)

    def sign_in(self, email: str, password: str) -> None:
        self.page.goto(self.base_url + "/sign-in")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def reload_until(self, text: str, timeout: float = 30.0) -> None:
        """Reload until ``text`` is on the page (for what follows events between services)."""
        deadline = time.monotonic() + timeout
        while self.page.get_by_text(text, exact=False).count() == 0:
            assert time.monotonic() < deadline, f"{text!r} did not appear on {self.page.url}"
            time.sleep(0.3)
            self.page.reload()


def _mentor_match_id(stack: Stack, mentee_email: str) -> str:
    found = httpx.get(
        f"{stack.matching_url}/v1/matches", headers=bearer(api_token(stack, mentee_email))
    ).json()
    assert len(found) == 1, found
    return str(found[0]["id"])


def _weekly_row(html: str, week: str, department: str) -> list[str]:
    """The usage page's table row for one week and department."""
    table = html.split("Requests and matches per week by department</caption>", 1)[1]
    for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", table, re.S):
        cells = [unescape(c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        if cells[:2] == [week, department]:
            return cells
    raise AssertionError(f"no row for {week} and {department}")


def test_journey_through_every_page_has_no_accessibility_violations(
    stack: Stack, browser: Any
) -> None:
    record = Record()
    # The strict CSP would block the injected axe script; the app itself needs no bypass.
    context = browser.new_context(bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    journey = Journey(page, stack.web_url, record)
    tag = uuid.uuid4().hex[:8]
    email = f"journey-{tag}@cabinetoffice.gov.uk"
    department = httpx.get(f"{stack.profile_url}/v1/reference").json()["departments"][3]

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
    page.get_by_label("Department or agency").select_option(department["code"])
    # The preference becomes an offered filter on the suggestions page (scanned below).
    page.get_by_label("What you want to develop").fill(
        f"I want to {GOAL}. Ideally someone outside my department."
    )
    page.get_by_label("Phone number (optional)").fill("12ab")
    page.get_by_role("button", name="Save profile").click()
    journey.check("profile-edit-errors")
    page.get_by_label("Phone number (optional)").fill("07700 900123")
    page.get_by_role("button", name="Save profile").click()
    journey.check("profile")

    journey.visit("/directory", "directory")
    journey.visit("/directory?role=mentor", "directory-filtered")

    # A mentor whose expertise is the mentee's goal, set up through the pages.
    mentor_email = f"mentor-{tag}@cabinetoffice.gov.uk"
    mentor_name = f"Max Mentor {tag}"
    register(stack, mentor_email, mentor_name)
    with closing(signed_in_client(stack, mentor_email)) as mentor_client:
        save_profile(
            mentor_client,
            display_name=mentor_name,
            roles=["mentor"],
            capacity="2",
            accepting_requests="yes",
            expertise=GOAL,
            contact_email=f"max.{tag}@cabinetoffice.gov.uk",
            contact_phone="07700 900789",
        )
    mentor_id = wait_until_indexed(stack, mentor_email)
    wait_until_indexed(stack, email)

    # Suggestions -> the request form -> the request is sent.
    journey.visit("/suggestions", "suggestions")
    journey.reload_until(mentor_name)
    assert page.get_by_role("link", name="Only show people from other departments?").count() == 1

    # Saved for later from their page, listed on the Saved page, then asked.
    journey.visit(f"/people/{mentor_id}", "person-before-request")
    page.get_by_role("button", name="Save for later").click()
    assert page.get_by_text("Saved for later").count() >= 1
    journey.visit("/saved", "saved")
    assert page.get_by_role("link", name=mentor_name).count() >= 1
    journey.visit("/suggestions", "suggestions-again")
    page.get_by_role("link", name=f"Ask {mentor_name} for an introduction").click()
    journey.check("request")
    page.get_by_role("button", name="Send request").click()
    journey.check("request-errors")
    page.get_by_label("Your message").fill(
        "Hello, could we talk about leading a team through change?"
    )
    page.get_by_role("button", name="Send request").click()
    assert page.get_by_text("Your request has been sent").count() == 1
    journey.check("requests-sent")
    journey.visit(f"/people/{mentor_id}", "person-before-acceptance")
    assert page.get_by_text("+447700900789").count() == 0

    # The mentor, in a browser of their own, accepts on the requests page.
    mentor_context = browser.new_context(bypass_csp=True)
    mentor_page = mentor_context.new_page()
    mentor_page.set_default_timeout(15000)
    mentor = Journey(mentor_page, stack.web_url, record)
    mentor.sign_in(mentor_email, PASSWORD)
    mentor.visit("/requests", "mentor-requests-received")
    mentor_page.get_by_role("button", name="Accept the request from Jo Journey").click()
    assert mentor_page.get_by_text("The request has been accepted").count() == 1
    mentor.check("mentor-request-accepted")

    # The contact details appear once the profile service has the grant (an event away).
    journey.reload_until("+447700900789")
    journey.check("person-contact-details")

    # The conversation: the mentee writes, the mentor's reply arrives live.
    match_id = _mentor_match_id(stack, email)
    mentor.visit(f"/requests/{match_id}/decline", "decline-and-pause")
    conversation_id = wait_for_conversation(stack, email, match_id)
    conversation = f"/conversations/{conversation_id}"
    journey.visit("/conversations", "conversations")
    page.locator(f"a[href='{conversation}']").click()
    page.wait_for_selector("[data-live-status]:has-text('New messages will appear')")
    journey.check("conversation")
    page.get_by_label("Your message").fill("Thank you for accepting. Does Tuesday suit you?")
    page.get_by_role("button", name="Send message").click()
    assert page.get_by_text("Does Tuesday suit you?").count() >= 1
    page.wait_for_selector("[data-live-status]:has-text('New messages will appear')")
    mentor_page.goto(stack.web_url + conversation)
    mentor_page.get_by_label("Your message").fill("Tuesday at ten works for me.")
    mentor_page.get_by_role("button", name="Send message").click()
    page.wait_for_selector("text=Tuesday at ten works for me.", timeout=10000)
    journey.check("conversation-live-reply")
    assert "eyJ" not in page.content()

    # Report the mentor's message (the link the live update added), with the errors first.
    page.get_by_role("link", name=f"Report the message from {mentor_name}").first.click()
    journey.check("report")
    page.get_by_role("button", name="Report message").click()
    journey.check("report-errors")
    reason = f"Testing the report queue {tag}"
    page.get_by_label("Why are you reporting this message?").fill(reason)
    page.get_by_role("button", name="Report message").click()
    assert page.get_by_text("Message reported").count() >= 1
    journey.check("report-sent")

    # A session series: the mentee proposes, the mentor confirms the first, the invite downloads.
    first = (datetime.now(LONDON) + timedelta(days=10)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    journey.visit(conversation, "conversation-propose-session")
    page.locator("#starts_at-day").fill(str(first.day))
    page.locator("#starts_at-month").fill(str(first.month))
    page.locator("#starts_at-year").fill(str(first.year))
    page.get_by_label("Start time (UK time)").fill("10:00")
    page.get_by_label("Place", exact=True).fill("Room 1.04, 70 Whitehall")
    page.get_by_role("checkbox", name=re.compile("Plan a coaching series")).check()
    page.get_by_role("button", name="Propose session").click()
    assert page.get_by_text("Session proposed").count() == 1
    journey.check("conversation-series-proposed")
    assert page.get_by_text("Proposed", exact=True).count() == 6
    mentor_page.goto(stack.web_url + conversation)
    mentor_page.get_by_role("button", name=re.compile("^Confirm session on")).first.click()
    assert mentor_page.get_by_text("The session is confirmed").count() == 1
    mentor.check("mentor-session-confirmed")
    page.reload()
    journey.check("conversation-session-confirmed")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("^Add to calendar")).first.click()
    invite = Path(download_info.value.path()).read_bytes()
    calendar = icalendar.Calendar.from_ical(invite)
    assert calendar["METHOD"] == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    starts = events[0].decoded("DTSTART")
    assert starts == first
    assert events[0].decoded("DTEND") - starts == timedelta(hours=1)
    assert "Room 1.04, 70 Whitehall" in str(events[0].get("LOCATION"))

    # The shared plan: the mentee's goal is there already; the mentee adds an action and
    # the mentor, in their own browser, ticks it done.
    journey.visit(conversation, "conversation-before-plan")
    page.get_by_role("link", name="Plan", exact=True).click()
    # Prefilled from the goals the mentee wrote (their own words, preference included).
    assert GOAL in page.locator("#goals").input_value().lower()
    journey.check("plan")
    page.locator("#action-0-text").fill("Read the change playbook")
    page.locator("#action-0-owner").select_option("mentee")
    page.locator("#action-0-due-day").fill("8")
    page.locator("#action-0-due-month").fill("2")
    page.locator("#action-0-due-year").fill(str(first.year + 1))
    page.get_by_role("button", name="Save plan").click()
    page.wait_for_selector("text=Plan saved")
    journey.check("plan-saved")
    mentor_page.goto(stack.web_url + conversation + "/plan")
    mentor_page.locator("#action-0-done").check()
    mentor_page.get_by_role("button", name="Save plan").click()
    mentor_page.wait_for_selector("text=Plan saved")
    assert mentor_page.get_by_role("cell", name="Done").count() == 1
    mentor.check("mentor-plan-action-done")

    # The mentee's own notes on the confirmed session; the mentor's page stays empty.
    journey.visit(conversation, "conversation-before-notes")
    page.get_by_role("link", name=re.compile("^Your notes on the session on")).first.click()
    journey.check("session-notes")
    page.get_by_label("Notes", exact=True).fill("Ask how they ran the last reorganisation.")
    page.get_by_role("button", name="Save notes").click()
    page.wait_for_selector("text=Notes saved")
    journey.check("session-notes-saved")
    mentor_page.goto(page.url)
    assert mentor_page.locator("#body").input_value() == ""

    # The mentor confirms two more sessions: after the third both are asked "How is it
    # going?"; the mentee answers from the notification, errors first.
    for _ in range(2):
        mentor_page.goto(stack.web_url + conversation)
        mentor_page.get_by_role("button", name=re.compile("^Confirm session on")).first.click()
        assert mentor_page.get_by_text("The session is confirmed").count() == 1
    journey.visit("/notifications", "notifications-checkin")
    journey.reload_until("How is your mentoring going?")
    page.get_by_role("link", name="How is your mentoring going?").first.click()
    journey.check("checkin")
    page.get_by_role("button", name="Send answer").click()
    journey.check("checkin-errors")
    page.get_by_label("4 - Well").check()
    page.get_by_label("Anything you would like to add (optional)").fill("Useful so far.")
    page.get_by_role("button", name="Send answer").click()
    page.wait_for_selector("text=Thank you for your answer")
    mentor_context.close()

    journey.visit("/notifications", "notifications")
    journey.visit("/preferences", "preferences")

    # Fill in the profile from LinkedIn: a file that is not an export, then two CSV files.
    journey.visit("/account", "account")
    page.get_by_role("link", name="Fill in your profile from LinkedIn").click()
    journey.check("linkedin-import")
    page.set_input_files(
        "#files",
        files=[{"name": "budget.csv", "mimeType": "text/csv", "buffer": b"month,amount\n"}],
    )
    page.get_by_role("button", name="Upload and fill in my profile").click()
    journey.check("linkedin-import-errors")
    page.set_input_files(
        "#files",
        files=[
            {
                "name": "Positions.csv",
                "mimeType": "text/csv",
                "buffer": b"Company Name,Title,Description,Location,Started On,Finished On\n"
                b"Cabinet Office,Head of Delivery,Programme delivery,London,Apr 2022,\n",
            },
            {
                "name": "Skills.csv",
                "mimeType": "text/csv",
                "buffer": b"Name\nProgramme management\n",
            },
        ],
    )
    page.get_by_role("button", name="Upload and fill in my profile").click()
    assert page.get_by_text("Your profile has been filled in from LinkedIn").count() == 1
    assert page.get_by_label("Job title (optional)").input_value() == "Head of Delivery"
    journey.check("profile-edit-after-linkedin")
    journey.visit("/account/delete", "account-delete")
    page.get_by_role("button", name="Delete my account").click()
    assert page.get_by_role("link", name="Enter your password").count() == 1
    journey.check("account-delete-error")
    journey.visit("/privacy", "privacy")
    journey.visit("/accessibility", "accessibility")
    journey.visit("/cookies", "cookies")

    # End the match on the requests page.
    journey.visit("/requests", "requests-active")
    page.get_by_role("button", name=f"End mentoring with {mentor_name}").click()
    assert page.get_by_text("The mentoring has ended").count() == 1
    journey.check("requests-ended")

    # Change the password: a wrong current password, then the change and signing in again.
    journey.visit("/account/password", "change-password")
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    journey.check("change-password-errors")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_text("Your password has been changed").count() == 1
    journey.check("sign-in-after-password-change")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/account")

    journey.visit("/no-such-page", "not-found")
    page.get_by_role("button", name="Sign out").click()
    journey.check("signed-out")

    # The administrator's pages.
    journey.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
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
    # A real import: nobody is emailed until the administrator sends the invitations,
    # and the import's page shows how far they have gone.
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "coaches.csv",
                "mimeType": "text/csv",
                "buffer": b"name,email,department,profession,grade,region,expertise,approach,capacity\n"
                + f"Ivy Invited,ivy.{tag}@cabinetoffice.gov.uk,,,,,coaching,,2\n".encode(),
            }
        ],
    )
    page.get_by_label("Import the coaches", exact=False).check()
    page.get_by_role("button", name="Continue").click()
    journey.check("admin-import-done")
    page.get_by_role("button", name="Send invitations").click()
    assert page.get_by_text("of 1 invitations sent").count() == 1
    journey.check("admin-import-status")

    # This week's request and match, counted by the matching service for the mentee's department.
    journey.visit("/admin/usage", "admin-usage")
    year, week, _ = datetime.now(UTC).isocalendar()
    row = _weekly_row(page.content(), f"{year}-W{week:02d}", department["name"])
    assert int(row[2]) >= 1, row
    assert int(row[3]) >= 1, row
    assert page.locator("svg#weekly-chart, svg[aria-labelledby^='weekly-chart']").count() == 1
    journey.visit("/admin/cohorts", "admin-cohorts")

    page.goto(stack.web_url + "/admin")
    page.get_by_role("link", name="Reported messages").click()
    assert page.get_by_text(reason).count() == 1
    journey.check("admin-reports")

    page.goto(stack.web_url + "/admin")
    page.get_by_role("link", name="Webhook subscriptions for other departments").click()
    journey.check("admin-subscriptions")
    page.get_by_role("button", name="Add a subscription").click()
    journey.check("admin-subscription-new")
    page.get_by_label("Request declined").uncheck()
    page.get_by_role("button", name="Add subscription").click()
    journey.check("admin-subscription-errors")
    hook = f"http://127.0.0.1:9/journey-{tag}"
    page.get_by_label("Events about people in").select_option(department["code"])
    page.get_by_label("Address that receives the events").fill(hook)
    page.get_by_role("button", name="Add subscription").click()
    assert page.get_by_text("Webhook subscription added").count() == 1
    assert len(page.locator("#signing-secret").inner_text()) >= 32
    journey.check("admin-subscription-created")
    page.get_by_role("link", name="Back to webhook subscriptions").click()
    assert page.get_by_role("cell", name=hook, exact=True).count() == 1
    journey.check("admin-subscriptions-listed")
    page.get_by_role(
        "link", name=f"Delete the subscription of {department['name']} to {hook}"
    ).click()
    journey.check("admin-subscription-delete")
    page.get_by_role("button", name="Delete subscription").click()
    assert page.get_by_text("The webhook subscription has been deleted").count() == 1
    assert page.get_by_text(hook).count() == 0
    journey.check("admin-subscription-deleted")

    journey.visit("/forgotten-password", "forgotten-password")
    journey.visit("/reset-password?token=x", "reset-password")
    journey.visit("/claim?token=x", "claim")
    context.close()

    (ARTIFACTS / "axe-report.json").write_text(
        json.dumps({"pages": record.scanned, "violations": record.violations}, indent=2)
    )
    assert len(record.scanned) == len(set(record.scanned))
    assert record.violations == {}, json.dumps(record.violations, indent=2)
