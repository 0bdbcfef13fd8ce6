"""The administrators' pages that need the other services: webhook subscriptions, the
weekly request and match figures from matching, and the suggestions fallback."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import httpx
import pytest

from mentor_shared.testing.broker import free_port
from mentor_shared.testing.server import serve_in_thread
from tests.web.stack import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    Stack,
    api_token,
    bearer,
    csrf_of,
    matched_pair,
    register,
    signed_in_client,
)
from web_service.app import create_web_app

pytestmark = pytest.mark.broker


@pytest.fixture
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with closing(signed_in_client(stack, ADMIN_EMAIL, ADMIN_PASSWORD)) as client:
        yield client


def test_admin_pages_refuse_a_member_who_is_not_an_administrator(stack: Stack) -> None:
    email = f"not-admin-{uuid.uuid4().hex[:10]}@cabinetoffice.gov.uk"
    register(stack, email, "Not Admin")
    with closing(signed_in_client(stack, email)) as member:
        for path in ("/admin", "/admin/subscriptions", "/admin/imports/anything"):
            refused = member.get(path)
            assert refused.status_code == 403, path
            assert "You cannot see this page" in refused.text
            assert "for the Mentor Match administrators" in refused.text


def hook_url() -> str:
    # Nothing listens there: deliveries fail fast and stay on this machine.
    return f"http://127.0.0.1:{free_port()}/hooks/{uuid.uuid4().hex[:8]}"


def stored_subscriptions(stack: Stack) -> list[dict[str, object]]:
    found = httpx.get(
        f"{stack.notifications_url}/v1/subscriptions",
        headers=bearer(api_token(stack, ADMIN_EMAIL, ADMIN_PASSWORD)),
    )
    assert found.status_code == 200
    subscriptions: list[dict[str, object]] = found.json()
    return subscriptions


def error_summary_links(html: str) -> list[str]:
    summary = html.split('class="govuk-error-summary"', 1)
    assert len(summary) == 2, "no error summary on the page"
    return re.findall(r'<a href="#([^"]+)"', summary[1].split("</ul>", 1)[0])


def test_a_subscription_with_a_generated_secret_shows_the_secret_once(
    stack: Stack, admin: httpx.Client
) -> None:
    department = httpx.get(f"{stack.profile_url}/v1/reference").json()["departments"][1]
    url = hook_url()
    assert 'href="/admin/subscriptions"' in admin.get("/admin").text
    form = admin.get("/admin/subscriptions/new")
    assert form.status_code == 200
    created = admin.post(
        "/admin/subscriptions/new",
        data={
            "csrf_token": csrf_of(form.text),
            "department": department["code"],
            "url": url,
            "events": ["accepted", "ended"],
        },
    )
    assert created.status_code == 200, created.text
    assert "Webhook subscription added" in created.text
    secret = re.search(r'<code class="mm-secret" id="signing-secret">([^<]+)</code>', created.text)
    assert secret, "the generated secret is not shown"
    assert len(unescape(secret.group(1))) >= 32
    assert created.headers["cache-control"] == "no-store"
    stored = [s for s in stored_subscriptions(stack) if s["url"] == url]
    assert len(stored) == 1
    assert stored[0]["department"] == department["code"]
    assert stored[0]["match_events"] == ["accepted", "ended"]
    listing = admin.get("/admin/subscriptions")
    assert url in listing.text
    assert "Request accepted, Mentoring ended" in listing.text
    assert secret.group(1) not in listing.text
    assert all(secret.group(1) not in data for _, data in stack.session_rows())


def test_a_subscription_to_every_event_keeps_no_event_list(
    stack: Stack, admin: httpx.Client
) -> None:
    url = hook_url()
    form = admin.get("/admin/subscriptions/new")
    # The form starts with every event ticked.
    ticked = re.findall(r'<input[^>]*name="events"[^>]*>', form.text)
    assert len(ticked) == 6
    assert all(" checked" in box for box in ticked)
    created = admin.post(
        "/admin/subscriptions/new",
        data={
            "csrf_token": csrf_of(form.text),
            "department": "",
            "url": url,
            "events": ["requested", "accepted", "declined", "withdrawn", "expired", "ended"],
        },
    )
    assert created.status_code == 200
    assert "Standard Webhooks" in created.text
    stored = [s for s in stored_subscriptions(stack) if s["url"] == url]
    assert stored[0]["match_events"] is None
    assert stored[0]["department"] is None
    assert "All match events" in admin.get("/admin/subscriptions").text


def test_subscription_form_errors_are_shown_in_an_error_summary(
    stack: Stack, admin: httpx.Client
) -> None:
    csrf = csrf_of(admin.get("/admin/subscriptions/new").text)
    empty = admin.post("/admin/subscriptions/new", data={"csrf_token": csrf, "url": ""})
    assert empty.status_code == 422
    assert error_summary_links(empty.text) == ["url", "events"]
    # The notifications service refuses the address: its 422 comes back on the field.
    refused = admin.post(
        "/admin/subscriptions/new",
        data={"csrf_token": csrf, "url": "not a web address", "events": ["accepted"]},
    )
    assert refused.status_code == 422
    assert error_summary_links(refused.text) == ["url"]
    assert 'id="url-error"' in refused.text
    assert 'value="not a web address"' in refused.text
    assert "Traceback" not in refused.text
    assert not [s for s in stored_subscriptions(stack) if s["url"] == "not a web address"]


def test_deleting_a_subscription_asks_for_confirmation_first(
    stack: Stack, admin: httpx.Client
) -> None:
    url = hook_url()
    form = admin.get("/admin/subscriptions/new")
    admin.post(
        "/admin/subscriptions/new",
        data={"csrf_token": csrf_of(form.text), "url": url, "events": ["requested"]},
    )
    listing = admin.get("/admin/subscriptions").text
    row = listing.split(url, 1)[1]
    found = re.search(r'href="/admin/subscriptions/([^/"]+)/delete"', row)
    assert found
    subscription_id = found.group(1)
    confirm = admin.get(f"/admin/subscriptions/{subscription_id}/delete")
    assert confirm.status_code == 200
    assert "Delete this webhook subscription?" in confirm.text
    assert url in confirm.text
    # Nothing is deleted by looking at the confirmation page.
    assert [s for s in stored_subscriptions(stack) if s["id"] == subscription_id]
    deleted = admin.post(
        f"/admin/subscriptions/{subscription_id}/delete",
        data={"csrf_token": csrf_of(confirm.text)},
    )
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/admin/subscriptions"
    after = admin.get("/admin/subscriptions")
    assert "The webhook subscription has been deleted" in after.text
    assert url not in after.text
    assert not [s for s in stored_subscriptions(stack) if s["id"] == subscription_id]
    again = admin.post(
        f"/admin/subscriptions/{subscription_id}/delete",
        data={"csrf_token": csrf_of(confirm.text)},
    )
    assert again.status_code == 303
    assert "had already been deleted" in admin.get("/admin/subscriptions").text
    gone = admin.get(f"/admin/subscriptions/{subscription_id}/delete")
    assert gone.status_code == 404


def test_subscription_and_report_pages_are_refused_to_members(stack: Stack) -> None:
    email = f"web-{uuid.uuid4().hex[:10]}@cabinetoffice.gov.uk"
    register(stack, email, "Mel Member")
    with closing(signed_in_client(stack, email)) as client:
        for path in (
            "/admin/reports",
            "/admin/subscriptions",
            "/admin/subscriptions/new",
            "/admin/usage/matches.csv",
        ):
            assert client.get(path).status_code == 403, path
        refused = client.post(
            "/admin/subscriptions/new",
            data={
                "csrf_token": csrf_of(client.get("/account").text),
                "url": hook_url(),
                "events": ["accepted"],
            },
        )
    assert refused.status_code == 403


def test_usage_chart_shows_this_weeks_requests_and_matches_from_matching(
    stack: Stack, admin: httpx.Client
) -> None:
    department = httpx.get(f"{stack.profile_url}/v1/reference").json()["departments"][2]
    matched_pair(stack, mentee_department=department["code"])
    page = admin.get("/admin/usage")
    assert page.status_code == 200
    assert '<svg class="mm-chart" role="img"' in page.text
    assert 'aria-labelledby="weekly-chart-title weekly-chart-desc"' in page.text
    year, week, _ = datetime.now(UTC).isocalendar()
    table = page.text.split("Requests and matches per week by department</caption>", 1)[1]
    rows = re.findall(
        r"<tr class=\"govuk-table__row\">(.*?)</tr>", table.split("</table>")[0], re.S
    )
    cells = [
        [unescape(c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in rows
    ]
    mine = [c for c in cells if c[:2] == [f"{year}-W{week:02d}", department["name"]]]
    assert mine, cells
    requests, matches = int(mine[0][2]), int(mine[0][3])
    assert requests >= 1
    assert matches >= 1
    assert 'href="/admin/usage/matches.csv"' in page.text
    download = admin.get("/admin/usage/matches.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    lines = download.text.splitlines()
    assert lines[0] == (
        "month,department,profession,grade_band,requests,accepted,declined,expired,ended,"
        "median_hours_to_answer"
    )
    month = datetime.now(UTC).strftime("%Y-%m")
    rows_now = [line.split(",") for line in lines[1:] if line.startswith(f"{month},")]
    assert rows_now
    # No count from 1 to 4 is ever shown: they read "<5".
    counts = [cell for row in rows_now for cell in row[4:9]]
    assert all(cell in ("<5", "0") or int(cell) >= 5 for cell in counts), counts


def test_suggestions_warn_instead_of_failing_when_matching_is_down(
    stack: Stack, tmp_path: Path
) -> None:
    port = free_port()
    settings = stack.web_settings.model_copy(
        update={
            "port": port,
            "data_dir": tmp_path,
            "matching_url": f"http://127.0.0.1:{free_port()}",
        }
    )
    email = f"web-{uuid.uuid4().hex[:10]}@cabinetoffice.gov.uk"
    register(stack, email, "Dana Down")
    with (
        serve_in_thread(create_web_app(settings), port, name="web-without-matching"),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) as client,
    ):
        form = client.get("/sign-in")
        client.post(
            "/sign-in",
            data={
                "csrf_token": csrf_of(form.text),
                "email": email,
                "password": PASSWORD,
            },
        )
        suggestions = client.get("/suggestions")
        requests = client.get("/requests")
    assert suggestions.status_code == 200
    assert "Suggestions are not available right now" in suggestions.text
    assert requests.status_code == 503
    assert "Sorry, there is a problem with the service" in requests.text
