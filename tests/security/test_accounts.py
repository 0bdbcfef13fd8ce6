"""Account takeover and abuse of the account doors, tried from outside against the
running system (every service its own process, the real broker, the mail sink)."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from tests.conftest import System, eventually, link_tokens

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ATTACKER_PASSWORD = "mallory got here first 2026"
OWNER_PASSWORD = "the real owner's passphrase"


def unique_address(name: str) -> str:
    return f"{name}.{uuid.uuid4().hex[:8]}@dwp.gov.uk"


def network(last_octet: int) -> dict[str, str]:
    """A caller of its own: the web frontend (a trusted proxy) passes the browser's address."""
    return {"X-Forwarded-For": f"198.51.100.{last_octet}"}


def register(
    client: httpx.Client, system: System, email: str, password: str, name: str, octet: int
) -> httpx.Response:
    return client.post(
        system.url("profile") + "/v1/accounts",
        json={"email": email, "password": password, "display_name": name},
        headers=network(octet),
    )


def sign_in(
    client: httpx.Client, system: System, email: str, password: str, octet: int
) -> httpx.Response:
    return client.post(
        system.url("profile") + "/v1/auth/token",
        data={"username": email, "password": password},
        headers=network(octet),
    )


def verified_account(client: httpx.Client, system: System, email: str, octet: int) -> None:
    assert register(client, system, email, OWNER_PASSWORD, "Val Verified", octet).status_code == 201
    (token,) = eventually(lambda: link_tokens(system, email, "verify"))
    verified = client.post(system.url("profile") + "/v1/accounts/verify", json={"token": token})
    assert verified.status_code == 200, verified.text


def test_a_pre_registered_password_does_not_survive_the_owners_confirmation(
    running_system: System,
) -> None:
    victim = unique_address("victim")
    with httpx.Client(timeout=30) as client:
        first = register(client, running_system, victim, ATTACKER_PASSWORD, "Ivy Intruder", 1)
        assert first.status_code == 201
        (attackers_link,) = eventually(lambda: link_tokens(running_system, victim, "verify"))

        second = register(client, running_system, victim, OWNER_PASSWORD, "Vic Tim", 2)
        assert second.status_code == 201
        links = eventually(
            lambda: [
                t for t in link_tokens(running_system, victim, "verify") if t != attackers_link
            ]
        )
        owners_link = links[-1]
        verified = client.post(
            running_system.url("profile") + "/v1/accounts/verify", json={"token": owners_link}
        )
        assert verified.status_code == 200, verified.text

        attacker = sign_in(client, running_system, victim, ATTACKER_PASSWORD, 1)
        owner = sign_in(client, running_system, victim, OWNER_PASSWORD, 2)
        assert attacker.status_code == 401, attacker.text
        assert owner.status_code == 200, owner.text
        profile = client.get(
            running_system.url("profile") + "/v1/profiles/me",
            headers={"Authorization": f"Bearer {owner.json()['access_token']}"},
        )
        assert profile.json()["display_name"] == "Vic Tim"


def test_forty_reset_requests_send_a_bounded_number_of_emails(running_system: System) -> None:
    email = unique_address("resetter")
    with httpx.Client(timeout=30) as client:
        verified_account(client, running_system, email, 10)
        answers = [
            client.post(
                running_system.url("profile") + "/v1/accounts/password-reset",
                json={"email": email},
                headers=network(11),
            ).status_code
            for _ in range(40)
        ]
    # The answer never changes (it would tell whether the address has an account).
    assert answers == [202] * 40
    eventually(lambda: link_tokens(running_system, email, "reset-password"))
    time.sleep(10)  # let every email the requests caused reach the sink
    assert len(link_tokens(running_system, email, "reset-password")) <= 3


def test_forty_concurrent_wrong_passwords_get_at_most_ten_password_checks(
    running_system: System,
) -> None:
    email = unique_address("guessed")
    with httpx.Client(timeout=30) as client:
        verified_account(client, running_system, email, 20)

    async def guesses() -> list[int]:
        limits = httpx.Limits(max_connections=40)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        running_system.url("profile") + "/v1/auth/token",
                        data={"username": email, "password": f"wrong guess {n}"},
                        headers=network(21),
                    )
                    for n in range(40)
                )
            )
        return [answer.status_code for answer in answers]

    statuses = asyncio.run(guesses())
    checked = [status for status in statuses if status != 429]
    assert len(checked) <= 10, statuses
    assert set(checked) <= {401}, statuses


def test_a_registration_flood_from_one_address_gets_429_with_retry_after(
    running_system: System,
) -> None:
    with httpx.Client(timeout=30) as client:
        answers = []
        for _ in range(130):
            answer = register(
                client, running_system, unique_address("flood"), OWNER_PASSWORD, "Flo Od", 30
            )
            answers.append(answer)
            if answer.status_code == 429:
                break
        refused = answers[-1]
        assert refused.status_code == 429, [a.status_code for a in answers]
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) > 0
        assert {a.status_code for a in answers[:-1]} == {201}
        # Someone else behind the same frontend is not held back by the flood.
        other = register(
            client, running_system, unique_address("bystander"), OWNER_PASSWORD, "By Stander", 31
        )
        assert other.status_code == 201
