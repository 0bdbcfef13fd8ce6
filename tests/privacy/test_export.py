"""A complete copy of your data, tried from outside on the running system.

A mentee asks a mentor, who accepts; they write to each other, plan a session, are
told in the app, and the mentee changes their notification preferences. A second,
anonymous mentee asks the same mentor. Then:

- the mentee's export (``GET /v1/me/export[/<service>]``) of the four services holds their request,
  their messages, their session, each of their notifications and their preferences;
- nobody else appears in anyone's export beyond what the caller could already see
  through the services' own pages: the mentee's export holds nothing of the other
  mentee nor the mentor's sign-in address or notifications, and the mentor's
  export shows the anonymous mentee no more than the mentor's own views of them do.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import System, eventually
from tests.privacy.test_erasure import Person

pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.timeout(600)]

EXPORTS = (
    ("profile", "/v1/me/export"),
    ("matching", "/v1/me/export/matching"),
    ("messaging", "/v1/me/export/messaging"),
    ("notifications", "/v1/me/export/notifications"),
)
# Every export a person can ask for, for what must not be in any of them.
ALL_EXPORTS = (*EXPORTS, ("profile", "/v1/profiles/me/export"))


@dataclass
class Story:
    """Three people and what each did."""

    system: System
    mentee: Person
    mentor: Person
    anonymous: Person
    tokens: dict[str, str]
    """Distinctive words each person wrote, by label."""
    match_id: str
    anonymous_match_id: str
    conversation_id: str
    session_id: str


def word(prefix: str) -> str:
    return prefix + "".join(random.choices(string.ascii_lowercase, k=6))


@pytest.fixture(scope="module")
def story(running_system: System) -> Story:
    system = running_system
    sfx = "".join(random.choices(string.ascii_lowercase, k=6))
    tokens = {
        "request": word("brimblestock"),
        "mentee_message": word("quillowmere"),
        "mentor_message": word("dandrevelle"),
        "session_place": word("pottlewick"),
        "plan_action": word("brindlecap"),
        "session_note": word("tumblefrost"),
        "anon_first": word("Orlavine"),
        "anon_last": word("Thistlecombe"),
        "anon_goal": word("marrowdust"),
        "anon_goals_text": word("fennelquay"),
        "anon_request": word("gobbinshaw"),
        "anon_phone": f"7700900{random.randint(200, 999):03d}",
    }
    mentor = Person(system, f"ines.export.{sfx}@justice.gov.uk", f"Ines Carrowmore{sfx}")
    mentee = Person(system, f"paddy.export.{sfx}@dwp.gov.uk", f"Paddy Velloway{sfx}")
    anonymous = Person(
        system,
        f"anon.export.{sfx}@hmrc.gov.uk",
        f"{tokens['anon_first']} {tokens['anon_last']}",
    )
    for person in (mentor, mentee, anonymous):
        person.register_and_verify()

    versions = {}
    for person, fields in (
        (
            mentor,
            {
                "department": "moj",
                "profession": "policy",
                "grade": "G6",
                "region": "london",
                "roles": {"mentor": True},
                "capacity": 3,
                "accepting_requests": True,
                "expertise": ["briefing ministers", "leading policy teams"],
                "contact": {"email": f"ines.contact.{sfx}@justice.gov.uk"},
            },
        ),
        (
            mentee,
            {
                "department": "dwp",
                "profession": "policy",
                "grade": "SEO",
                "region": "london",
                "roles": {"mentee": True},
                "goals": ["briefing ministers well"],
            },
        ),
        (
            anonymous,
            {
                "department": "hmrc",
                "profession": "policy",
                "grade": "HEO",
                "region": "london",
                "roles": {"mentee": True},
                "anonymous": True,
                "goals": [f"learning {tokens['anon_goal']} for policy teams"],
                "goals_text": f"Mostly {tokens['anon_goals_text']} work.",
                "contact": {"phone": f"0{tokens['anon_phone']}"},
            },
        ),
    ):
        updated = person.call("PUT", "profile", "/v1/profiles/me", json=fields)
        assert updated.status_code == 200, updated.text
        versions[person.id] = updated.json()["version"]
    for person in (mentor, mentee, anonymous):
        person.wait_until_indexed(versions[person.id])

    requested = mentee.call(
        "POST",
        "matching",
        "/v1/matches",
        json={"mentor_id": mentor.id, "message": f"Could we discuss {tokens['request']}?"},
    )
    assert requested.status_code == 201, requested.text
    match_id = requested.json()["id"]
    asked = anonymous.call(
        "POST",
        "matching",
        "/v1/matches",
        json={"mentor_id": mentor.id, "message": f"Hello, about {tokens['anon_request']}."},
    )
    assert asked.status_code == 201, asked.text
    accepted = mentor.call("POST", "matching", f"/v1/matches/{match_id}/accept")
    assert accepted.status_code == 200, accepted.text

    conversation_id = eventually(
        lambda: next(
            (
                c["id"]
                for c in mentee.call("GET", "messaging", "/v1/conversations").json()["items"]
                if c["match_id"] == match_id and c["status"] == "active"
            ),
            None,
        )
    )
    messages = f"/v1/conversations/{conversation_id}/messages"
    for author, body in (
        (mentee, f"Thanks! Starting with {tokens['mentee_message']}."),
        (mentor, f"Good idea; bring {tokens['mentor_message']} notes."),
    ):
        sent = author.call("POST", "messaging", messages, json={"body": body})
        assert sent.status_code == 201, sent.text
    proposed = mentee.call(
        "POST",
        "messaging",
        f"/v1/conversations/{conversation_id}/sessions",
        json={
            "starts_at": "2031-06-02T09:30:00Z",
            "duration_minutes": 60,
            "location": f"Room {tokens['session_place']}",
        },
    )
    assert proposed.status_code == 201, proposed.text
    saved_plan = mentor.call(
        "PUT",
        "messaging",
        f"/v1/conversations/{conversation_id}/plan",
        json={
            "version": 0,
            "goals": [],
            "actions": [{"text": f"Try {tokens['plan_action']}", "owner": "mentee"}],
        },
    )
    assert saved_plan.status_code == 200, saved_plan.text
    noted = mentee.call(
        "PUT",
        "messaging",
        f"/v1/conversations/{conversation_id}/sessions/{proposed.json()['id']}/notes",
        json={"body": f"Ask about {tokens['session_note']}"},
    )
    assert noted.status_code == 200, noted.text
    preferences = mentee.call(
        "PUT",
        "notifications",
        "/v1/preferences",
        json={"channels": {"message": "in_app"}, "daily_digest": True},
    )
    assert preferences.status_code == 200, preferences.text
    # Told of the acceptance and of the mentor's message.
    eventually(
        lambda: len(mentee.call("GET", "notifications", "/v1/notifications").json()["items"]) >= 2
    )
    eventually(lambda: mentor.call("GET", "notifications", "/v1/notifications").json()["items"])
    return Story(
        system=system,
        mentee=mentee,
        mentor=mentor,
        anonymous=anonymous,
        tokens=tokens,
        match_id=match_id,
        anonymous_match_id=asked.json()["id"],
        conversation_id=conversation_id,
        session_id=proposed.json()["id"],
    )


def exports_of(
    person: Person, which: tuple[tuple[str, str], ...] = EXPORTS
) -> tuple[dict[str, Any], list[str]]:
    """Each export for ``person`` by service (and path when not in ``EXPORTS``), and
    those that did not answer 200 with JSON."""
    found, unavailable = {}, []
    for service, path in which:
        response = person.call("GET", service, path)
        try:
            if response.status_code != 200:
                raise ValueError(response.status_code)
            found[service if (service, path) in EXPORTS else f"{service} {path}"] = response.json()
        except ValueError:
            unavailable.append(f"{service} {path} -> {response.status_code}")
    return found, unavailable


def text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False).lower()


def mappings(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside ``value``."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from mappings(item)
    elif isinstance(value, list):
        for item in value:
            yield from mappings(item)


def test_the_export_holds_requests_messages_sessions_notifications_and_preferences(
    story: Story,
) -> None:
    mentee, tokens = story.mentee, story.tokens
    notifications = mentee.call("GET", "notifications", "/v1/notifications").json()["items"]
    exports, missing = exports_of(mentee)
    text = {service: text_of(export) for service, export in exports.items()}

    for service, label, needle in (
        ("profile", "profile id", mentee.id),
        ("matching", "the request", story.match_id),
        ("matching", "the request's message", tokens["request"]),
        ("messaging", "the conversation", story.conversation_id),
        ("messaging", "their message", tokens["mentee_message"]),
        ("messaging", "the session", story.session_id),
        ("messaging", "the session's place", tokens["session_place"]),
        ("messaging", "the shared plan", tokens["plan_action"]),
        ("messaging", "their session notes", tokens["session_note"]),
        *(("notifications", f"notification {n['id']}", n["id"]) for n in notifications),
    ):
        if needle.lower() not in text.get(service, ""):
            missing.append(f"{service}: {label}")
    chosen = [
        m
        for m in mappings(exports.get("notifications"))
        if m.get("daily_digest") is True
        and any(
            isinstance(c, dict) and c.get("message") == "in_app" for c in (m.get("channels"), m)
        )
    ]
    if not chosen:
        missing.append("notifications: the preferences (daily digest, messages in the app)")
    assert not missing, f"the mentee's export lacks: {missing}"


def test_the_export_shows_others_only_as_the_caller_could_see_them(story: Story) -> None:
    mentee, mentor, anonymous, tokens = story.mentee, story.mentor, story.anonymous, story.tokens

    # The mentee's export: nothing of the other mentee, nothing private of the mentor.
    mentor_notes = mentor.call("GET", "notifications", "/v1/notifications").json()["items"]
    unseen_by_mentee = {
        "the mentor's sign-in address": mentor.email,
        **{f"the mentor's notification {n['id']}": n["id"] for n in mentor_notes},
        "the other mentee's id": anonymous.id,
        "the other mentee's request": story.anonymous_match_id,
        "the other mentee's email": anonymous.email,
        **{f"the other mentee's {k}": v for k, v in tokens.items() if k.startswith("anon")},
    }
    mentee_exports, leaked = exports_of(mentee, ALL_EXPORTS)
    mentee_text = text_of(mentee_exports)
    leaked += [label for label, needle in unseen_by_mentee.items() if needle.lower() in mentee_text]

    # The mentor's export: the anonymous mentee no more than the mentor's own views show.
    views = [
        mentor.call("GET", "matching", "/v1/matches"),
        mentor.call("GET", "profile", f"/v1/profiles/{anonymous.id}"),
        mentor.call("GET", "messaging", "/v1/conversations"),
    ]
    seen = " ".join(v.text.lower() for v in views if v.status_code == 200)
    anonymous_private = {
        "email": anonymous.email,
        **{k: v for k, v in tokens.items() if k.startswith("anon")},
    }
    mentor_exports, unavailable = exports_of(mentor, ALL_EXPORTS)
    mentor_text = text_of(mentor_exports)
    leaked += unavailable
    if tokens["session_note"].lower() in mentor_text:
        leaked.append("mentor's export: the mentee's private session notes")
    leaked += [
        f"mentor's export: the anonymous mentee's {label}"
        for label, needle in anonymous_private.items()
        if needle.lower() not in seen and needle.lower() in mentor_text
    ]
    assert not leaked, f"exports hold what their caller could not see: {leaked}"
