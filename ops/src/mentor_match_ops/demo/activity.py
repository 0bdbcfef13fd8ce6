"""Open requests, accepted matches and conversations for the demo people.

Runs once per data folder after every service is ready, through the public
APIs only, signing in as demo people (the ones the runner handed the profile
service): mentees ask their best suggestion, some mentors accept and reply,
in the words of ``activity.json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from mentor_match_ops.demo.data import demo_activity_text

MARKER = "demo-activity.done"
REQUESTS = 12
ACCEPTED = 6


@dataclass(frozen=True)
class DemoAccount:
    """A demo person as the runner needs them: who they are and how to sign in."""

    email: str
    account_id: str
    is_mentee: bool


class DemoActivityError(RuntimeError):
    """A demo step the services refused."""


def _sign_in(client: httpx.Client, profile_url: str, email: str, password: str) -> str:
    response = client.post(
        f"{profile_url}/v1/auth/token", data={"username": email, "password": password}
    )
    if response.status_code != 200:
        raise DemoActivityError(f"demo sign-in refused ({response.status_code})")
    token: str = response.json()["access_token"]
    return token


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _suggestion(client: httpx.Client, matching_url: str, token: str, wait_s: float) -> str | None:
    """The caller's best mentor, waiting while the index catches up with the profiles."""
    deadline = time.monotonic() + wait_s
    while True:
        response = client.get(
            f"{matching_url}/v1/suggestions",
            params={"role": "mentor", "limit": 3},
            headers=_auth(token),
        )
        if response.status_code == 200 and response.json():
            mentor_id: str = response.json()[0]["profile_id"]
            return mentor_id
        if time.monotonic() > deadline:
            return None
        time.sleep(1.0)


def create_demo_activity(
    data_dir: Path,
    urls: dict[str, str],
    people: list[DemoAccount],
    password: str,
    report: Callable[[str], None],
    *,
    wait_s: float = 300.0,
) -> int:
    """Make requests from the first mentees in ``people``; some mentors accept and reply.

    Returns how many requests were made (0 when done before).
    """
    marker = data_dir / MARKER
    if marker.exists():
        return 0
    messages = demo_activity_text().request_messages
    mentees = [person.email for person in people if person.is_mentee][:REQUESTS]
    by_id = {person.account_id: person for person in people}
    made = 0
    accepted = 0
    with httpx.Client(timeout=30) as client:
        for n, email in enumerate(mentees):
            token = _sign_in(client, urls["profile"], email, password)
            mentor_id = _suggestion(client, urls["matching"], token, wait_s)
            if mentor_id is None:
                continue
            created = client.post(
                f"{urls['matching']}/v1/matches",
                json={"mentor_id": mentor_id, "message": messages[n % len(messages)]},
                headers=_auth(token),
            )
            if created.status_code != 201:
                continue
            made += 1
            report(f"demo request {made} of {len(mentees)}")
            mentor = by_id.get(mentor_id)
            if mentor is not None and accepted < ACCEPTED and n % 2 == 0:
                token = _sign_in(client, urls["profile"], mentor.email, password)
                accepted += _accept_and_reply(client, urls, created.json()["id"], token)
    marker.write_text(f"requests={made} accepted={accepted}\n")
    return made


def _accept_and_reply(client: httpx.Client, urls: dict[str, str], match_id: str, token: str) -> int:
    """As the mentor: accept, then answer in the conversation once it exists."""
    accepted = client.post(f"{urls['matching']}/v1/matches/{match_id}/accept", headers=_auth(token))
    if accepted.status_code != 200:
        return 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listing = client.get(f"{urls['messaging']}/v1/conversations", headers=_auth(token))
        mine = [c for c in listing.json().get("items", []) if c["match_id"] == match_id]
        if mine:
            client.post(
                f"{urls['messaging']}/v1/conversations/{mine[0]['id']}/messages",
                json={"body": demo_activity_text().reply},
                headers=_auth(token),
            )
            break
        time.sleep(0.5)
    return 1
