"""The shared plan and private session notes on the pages (no JavaScript: plain forms)."""

from __future__ import annotations

import re
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.web.stack import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    Pair,
    Stack,
    api_token,
    bearer,
    csrf_of,
    matched_pair,
    signed_in_client,
)

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def pair(stack: Stack) -> Pair:
    """One accepted match for both tests (making one costs several seconds)."""
    return matched_pair(stack)


def plan_form(html: str) -> dict[str, str]:
    """The plan form's fields as the page filled them in."""
    form = html[html.index('action="/conversations/') :]
    form = form[: form.index("</form>")]
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    goals = re.search(r'<textarea[^>]*name="goals"[^>]*>(.*?)</textarea>', form, re.S)
    fields["goals"] = goals.group(1).strip() if goals else ""
    return fields


def test_both_people_build_the_plan_and_a_stale_form_is_told_to_redo(
    stack: Stack, pair: Pair
) -> None:
    plan = f"/conversations/{pair.conversation_id}/plan"
    with (
        closing(signed_in_client(stack, pair.mentee_email)) as mentee,
        closing(signed_in_client(stack, pair.mentor_email)) as mentor,
    ):
        conversation = mentee.get(f"/conversations/{pair.conversation_id}")
        assert f'href="{plan}"' in conversation.text
        first = mentee.get(plan)
        assert first.status_code == 200
        fields = plan_form(first.text)
        assert "lead a team through change" in fields["goals"].lower()
        assert fields["version"] == "0"

        saved = mentee.post(
            plan,
            data={
                **fields,
                "csrf_token": csrf_of(first.text),
                "action-0-text": "Shadow a team meeting",
                "action-0-owner": "mentee",
                "action-0-day": "15",
                "action-0-month": "1",
                "action-0-year": "2027",
            },
        )
        assert saved.status_code == 303, saved.text
        seen = mentor.get(plan)
        assert "Shadow a team meeting" in seen.text
        assert "15 January 2027" in seen.text

        # The mentee's old form (version 0) arrives after the mentor's view was saved.
        stale = mentee.post(
            plan,
            data={**fields, "csrf_token": csrf_of(first.text), "goals": "Something else"},
        )
        assert stale.status_code == 409
        assert "changed the plan while you were editing it" in stale.text
        assert "Shadow a team meeting" in stale.text

        bad = mentor.post(
            plan,
            data={
                **plan_form(seen.text),
                "csrf_token": csrf_of(seen.text),
                "action-1-text": "x" * 501,
            },
        )
        assert bad.status_code == 422
        assert 'href="#action-1-text"' in bad.text
        assert "Traceback" not in bad.text


def test_session_notes_are_seen_only_by_their_author(stack: Stack, pair: Pair) -> None:
    cid = pair.conversation_id
    day = datetime.now(UTC) + timedelta(days=9)
    with (
        closing(signed_in_client(stack, pair.mentee_email)) as mentee,
        closing(signed_in_client(stack, pair.mentor_email)) as mentor,
    ):
        page = mentee.get(f"/conversations/{cid}")
        proposed = mentee.post(
            f"/conversations/{cid}/sessions",
            data={
                "csrf_token": csrf_of(page.text),
                "starts_at-day": str(day.day),
                "starts_at-month": str(day.month),
                "starts_at-year": str(day.year),
                "time": "10:00",
                "duration": "60",
                "location": "Room 101",
            },
        )
        assert proposed.status_code == 303, proposed.text
        page = mentee.get(f"/conversations/{cid}")
        [notes] = re.findall(rf'href="(/conversations/{cid}/sessions/[^/"]+/notes)"', page.text)
        form = mentee.get(notes)
        assert form.status_code == 200
        saved = mentee.post(
            notes, data={"csrf_token": csrf_of(form.text), "body": "Ask about the restructure"}
        )
        assert saved.status_code == 303, saved.text
        assert "Ask about the restructure" in mentee.get(notes).text
        theirs = mentor.get(notes)
        assert theirs.status_code == 200
        assert "Ask about the restructure" not in theirs.text
        too_long = mentor.post(notes, data={"csrf_token": csrf_of(theirs.text), "body": "x" * 5001})
        assert too_long.status_code == 422
        assert 'href="#body"' in too_long.text
        outsider_page = mentor.get(f"/conversations/{cid}/sessions/no-such-session/notes")
        assert outsider_page.status_code == 404


def test_the_check_in_after_the_third_session_is_answered_on_its_page(
    stack: Stack, pair: Pair
) -> None:
    cid = pair.conversation_id
    messaging = f"{stack.messaging_url}/v1/conversations/{cid}/sessions"
    mentee_auth = bearer(api_token(stack, pair.mentee_email))
    mentor_auth = bearer(api_token(stack, pair.mentor_email))
    starts = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
    series = httpx.post(
        f"{messaging}/series",
        json={"starts_at": starts, "location": "Room 2"},
        headers=mentee_auth,
    )
    assert series.status_code == 201, series.text
    for session in series.json()["items"][:3]:
        accepted = httpx.post(f"{messaging}/{session['id']}/accept", headers=mentor_auth)
        assert accepted.status_code == 200, accepted.text
    deadline = time.monotonic() + 20
    while not (
        pending := httpx.get(f"{stack.notifications_url}/v1/checkins", headers=mentee_auth).json()
    ):
        assert time.monotonic() < deadline, "no check-in arrived"
        time.sleep(0.2)
    page = f"/checkins/{pending[0]['id']}"
    with (
        closing(signed_in_client(stack, pair.mentee_email)) as mentee,
        closing(signed_in_client(stack, pair.mentor_email)) as mentor,
        closing(signed_in_client(stack, ADMIN_EMAIL, ADMIN_PASSWORD)) as admin,
    ):
        assert mentor.get(page).status_code == 404
        form = mentee.get(page)
        assert form.status_code == 200
        assert form.text.count('type="radio"') == 5
        empty = mentee.post(page, data={"csrf_token": csrf_of(form.text), "comment": "Hi"})
        assert empty.status_code == 400
        assert 'href="#rating"' in empty.text
        sent = mentee.post(
            page, data={"csrf_token": csrf_of(form.text), "rating": "4", "comment": "Good"}
        )
        assert sent.status_code == 303, sent.text
        answered = mentee.get(page)
        assert "You answered this check-in" in answered.text
        assert 'type="radio"' not in answered.text
        usage = admin.get("/admin/usage")
        assert usage.status_code == 200
        assert "Check-in answers by round" in usage.text
        assert "&lt;5" in usage.text
        assert "Good" not in usage.text
