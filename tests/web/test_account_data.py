"""Your data and account, against the real services: the data copy, deletion, the public port."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from contextlib import closing

import httpx

from tests.web.stack import (
    PASSWORD,
    Stack,
    api_token,
    bearer,
    csrf_of,
    matched_pair,
    register,
    signed_in_client,
)

SERVICES = ("profile", "matching", "messaging", "notifications")


def test_the_public_port_answers_readiness_without_details_and_has_no_metrics(
    stack: Stack,
) -> None:
    ready = httpx.get(f"{stack.web_url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}
    metrics = httpx.get(f"{stack.web_url}/metrics")
    assert metrics.status_code == 404
    assert "python_gc_objects_collected_total" not in metrics.text


def test_the_data_copy_collects_every_services_export(stack: Stack) -> None:
    pair = matched_pair(stack)
    with closing(signed_in_client(stack, pair.mentee_email)) as mentee:
        answer = mentee.get("/account/export")
    assert answer.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(archive.namelist()) == sorted(
        ["summary.html", *(f"{service}.json" for service in SERVICES)]
    )
    files = {service: archive.read(f"{service}.json").decode() for service in SERVICES}
    for service, content in files.items():
        assert isinstance(json.loads(content), dict), service
    assert pair.mentee_email in files["profile"]
    assert pair.match_id in files["matching"]
    assert pair.conversation_id in files["messaging"]
    summary = archive.read("summary.html").decode()
    assert "Unavailable" not in summary
    assert pair.mentee_email in summary


def delete_with(client: httpx.Client, password: str | None) -> httpx.Response:
    form = client.get("/account/delete")
    data = {"csrf_token": csrf_of(form.text)}
    if password is not None:
        data["password"] = password
    return client.post("/account/delete", data=data)


def test_deleting_the_account_asks_for_the_password(stack: Stack) -> None:
    email = f"leaver-{uuid.uuid4().hex[:8]}@cabinetoffice.gov.uk"
    register(stack, email, "Lee Leaver")
    with closing(signed_in_client(stack, email)) as client:
        missing = delete_with(client, None)
        assert missing.status_code == 422
        assert re.search(r'govuk-error-summary.*href="#password"', missing.text, re.S)
        assert "Enter your password" in missing.text

        deleted = delete_with(client, PASSWORD)
        assert deleted.status_code == 303
        assert "Your account has been deleted" in client.get("/").text
    gone = httpx.post(
        f"{stack.profile_url}/v1/auth/token", data={"username": email, "password": PASSWORD}
    )
    assert gone.status_code == 401


def test_a_wrong_password_does_not_delete_the_account(stack: Stack) -> None:
    email = f"stayer-{uuid.uuid4().hex[:8]}@cabinetoffice.gov.uk"
    register(stack, email, "Sam Stayer")
    with closing(signed_in_client(stack, email)) as client:
        wrong = delete_with(client, "not the password at all")
        assert wrong.status_code == 422
        assert re.search(r"govuk-error-summary.*Your password is not right", wrong.text, re.S)
        # Still signed in, and the account is still there.
        assert client.get("/account").status_code == 200
    token = api_token(stack, email)
    me = httpx.get(f"{stack.profile_url}/v1/profiles/me", headers=bearer(token))
    assert me.status_code == 200
