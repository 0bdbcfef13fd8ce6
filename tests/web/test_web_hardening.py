"""The web app's own defences and the data copy, against a recording stand-in for the services.

The stand-in is a small HTTP app of ours speaking the services' documented API for the few
routes these pages call: it records every request's headers, and answers with the errors
(429, 413, 500, a missing route) that are hard to provoke from the real services on demand.
The web app, its internal port and the stand-in each run in uvicorn on a real port.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from mentor_shared.testing.broker import free_port, port_answers
from mentor_shared.testing.server import serve_in_thread
from tests.web.stack import csrf_of
from web_service.app import create_internal_app, create_web_app
from web_service.settings import WebSettings

PASSWORD = "the right password for the stand-in"
BROWSER = "127.0.0.2"  # the browser's address: not the web app's own (127.0.0.1)
SERVICES = ("profile", "matching", "messaging", "notifications")


@dataclass
class Seen:
    """One request the stand-in received."""

    service: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class StandIn:
    """The recording stand-in for the four services, and the web apps in front of it."""

    web_url: str
    secure_web_url: str
    internal_url: str
    seen: list[Seen] = field(default_factory=list)


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": None}}
    return JSONResponse(body, status_code=status, headers=headers)


def stand_in_app(seen: list[Seen]) -> FastAPI:
    """The services' routes the tested pages call, each under ``/<service>``."""
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Response:
        service, _, rest = request.url.path.lstrip("/").partition("/")
        body = await request.body()
        seen.append(Seen(service, request.method, "/" + rest, dict(request.headers), body))
        response: Response = await call_next(request)
        return response

    @app.post("/profile/v1/auth/token")
    async def token() -> dict[str, Any]:
        claims = {"sub": "person-1", "roles": ["member"], "exp": int(time.time()) + 900}
        return {
            "access_token": jwt.encode(claims, "stand-in signing key, never checked by web"),
            "token_type": "bearer",
            "refresh_token": "refresh-1",
            "expires_in": 900,
        }

    @app.get("/profile/v1/me/export")
    async def profile_export() -> dict[str, Any]:
        return {
            "account": {"email": "pat@cabinetoffice.gov.uk"},
            "profile": {"display_name": "Pat"},
        }

    @app.get("/matching/v1/me/export/matching")
    async def matching_export() -> dict[str, Any]:
        return {"requests": [{"id": "m-1", "status": "accepted", "message": "Hello <b>you</b>"}]}

    @app.get("/messaging/v1/me/export/messaging")
    async def messaging_export() -> JSONResponse:
        return _error(500, "internal_error", "Something went wrong")

    # notifications has no /v1/me/export/notifications: an older version of the service.

    @app.get("/notifications/v1/notifications")
    async def notifications() -> list[str]:
        return ["not the documented page"]  # the page fails on it: a 500

    @app.get("/notifications/v1/preferences")
    async def preferences() -> dict[str, Any]:
        return {"channels": {}, "daily_digest": False}

    @app.put("/notifications/v1/preferences")
    async def save_preferences() -> JSONResponse:
        return _error(413, "payload_too_large", "The request body is too large")

    @app.post("/profile/v1/accounts")
    async def register() -> JSONResponse:
        return _error(429, "rate_limited", "Too many requests", **{"Retry-After": "300"})

    @app.post("/profile/v1/profiles/me/import/linkedin")
    async def linkedin() -> JSONResponse:
        return _error(413, "payload_too_large", "The request body is too large")

    @app.delete("/profile/v1/profiles/me")
    async def delete(request: Request) -> Response:
        body = await request.body()
        password = json.loads(body).get("password") if body else None
        if not password:
            return _error(422, "validation_error", "password: Field required")
        if password != PASSWORD:
            return _error(403, "password_incorrect", "The password is not right")
        return Response(status_code=204)

    return app


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    seen: list[Seen] = []
    ports = {name: free_port() for name in ("stand_in", "web", "secure_web", "internal")}
    base = f"http://127.0.0.1:{ports['stand_in']}"
    data = tmp_path_factory.mktemp("web-hardening")

    def web_settings(name: str, *, secure: bool) -> WebSettings:
        return WebSettings.model_validate(
            {
                "environment": "test",
                "log_level": "WARNING",
                "data_dir": data / name,
                "WEB_PORT": ports[name],
                "cookie_secure": secure,
                **{f"{service}_url": f"{base}/{service}" for service in SERVICES},
            }
        )

    with ExitStack() as stack:
        stack.enter_context(serve_in_thread(stand_in_app(seen), ports["stand_in"]))
        web = create_web_app(web_settings("web", secure=False))
        stack.enter_context(serve_in_thread(web, ports["web"], name="web-server"))
        stack.enter_context(serve_in_thread(create_internal_app(web), ports["internal"]))
        secure = create_web_app(web_settings("secure_web", secure=True))
        stack.enter_context(serve_in_thread(secure, ports["secure_web"], name="secure-web"))
        yield StandIn(
            web_url=f"http://127.0.0.1:{ports['web']}",
            secure_web_url=f"http://127.0.0.1:{ports['secure_web']}",
            internal_url=f"http://127.0.0.1:{ports['internal']}",
            seen=seen,
        )


def browser(stand_in: StandIn) -> httpx.Client:
    """A client connecting from the browser's address."""
    transport = httpx.HTTPTransport(local_address=BROWSER)
    return httpx.Client(base_url=stand_in.web_url, transport=transport, timeout=20)


def signed_in(stand_in: StandIn) -> httpx.Client:
    """A browser signed in to the web app (the stand-in accepts any password)."""
    client = browser(stand_in)
    csrf = csrf_of(client.get("/sign-in").text)
    answer = client.post(
        "/sign-in", data={"csrf_token": csrf, "email": "pat@example.gov.uk", "password": "x"}
    )
    assert answer.status_code == 303, answer.text
    return client


def heading(html: str) -> str:
    found = re.search(r"<h1[^>]*>\s*(.*?)\s*</h1>", html, re.S)
    assert found, html
    return found.group(1)


# --- HSTS ---------------------------------------------------------------------------


def test_every_response_has_hsts_when_the_cookie_is_secure(stand_in: StandIn) -> None:
    with httpx.Client(base_url=stand_in.secure_web_url, timeout=20) as client:
        answers = [
            client.get("/"),
            client.get("/sign-in"),
            client.get("/privacy"),
            client.get("/no-such-page"),
            client.get("/static/app.js"),
            client.get("/healthz"),
            client.get("/readyz"),
            client.get("/account"),  # a redirect to sign in
            client.post("/sign-in", data={"email": "x"}),  # no CSRF token: 403
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404, 200, 200, 200, 303, 403]
    for answer in answers:
        assert answer.headers.get("strict-transport-security") == (
            "max-age=63072000; includeSubDomains"
        ), answer.request.url
    assert "; Secure" in answers[1].headers["set-cookie"]


def test_a_signed_in_page_and_an_unexpected_failure_have_hsts_too(stand_in: StandIn) -> None:
    with httpx.Client(base_url=stand_in.secure_web_url, timeout=20) as client:
        # The cookie is Secure and this is plain HTTP: carry it by hand.
        form = client.get("/sign-in")
        cookie = {"Cookie": form.headers["set-cookie"].split(";")[0]}
        signed_in = client.post(
            "/sign-in",
            data={"csrf_token": csrf_of(form.text), "email": "pat@example.gov.uk", "password": "x"},
            headers=cookie,
        )
        assert signed_in.status_code == 303
        cookie = {"Cookie": signed_in.headers["set-cookie"].split(";")[0]}
        answers = [
            client.get("/account", headers=cookie),
            client.get("/notifications", headers=cookie),
        ]
    assert [a.status_code for a in answers] == [200, 500]
    for answer in answers:
        assert answer.headers["strict-transport-security"].startswith("max-age="), answer.url
        assert answer.headers["x-frame-options"] == "DENY", answer.url


def test_no_hsts_when_the_cookie_is_not_secure(stand_in: StandIn) -> None:
    with browser(stand_in) as client:
        for path in ("/", "/sign-in", "/no-such-page"):
            answer = client.get(path)
            assert "strict-transport-security" not in answer.headers, path
            assert "Secure" not in answer.headers.get("set-cookie", ""), path


# --- health details off the public port ----------------------------------------------


def test_public_port_has_no_metrics_and_a_minimal_readiness(stand_in: StandIn) -> None:
    with browser(stand_in) as client:
        metrics = client.get("/metrics")
        ready = client.get("/readyz")
    assert metrics.status_code == 404
    assert heading(metrics.text) == "Page not found"
    assert "python_gc" not in metrics.text
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


def test_internal_port_has_the_detailed_readiness_and_metrics(stand_in: StandIn) -> None:
    with httpx.Client(base_url=stand_in.internal_url, timeout=20) as client:
        ready = client.get("/readyz")
        metrics = client.get("/metrics")
    assert ready.status_code == 200
    assert set(ready.json()["checks"]) == {"session_store", "govuk_frontend_assets"}
    assert metrics.status_code == 200
    assert "http_requests" in metrics.text or "python_gc_objects_collected_total" in metrics.text


# --- the browser's address on every call -------------------------------------------------


def test_every_backend_call_carries_the_browsers_address(stand_in: StandIn) -> None:
    stand_in.seen.clear()
    with closing(signed_in(stand_in)) as client:
        # A browser cannot choose its own address by sending the header itself.
        client.get("/account/export", headers={"X-Forwarded-For": "198.51.100.7"})
        client.get("/preferences")
    calls = [(s.service, s.method, s.path) for s in stand_in.seen]
    assert ("profile", "POST", "/v1/auth/token") in calls
    assert {s.service for s in stand_in.seen} == set(SERVICES)
    for seen in stand_in.seen:
        assert seen.headers.get("x-forwarded-for") == BROWSER, (seen.service, seen.path)


# --- the data copy ------------------------------------------------------------------


def test_the_data_copy_is_one_zip_with_a_summary_and_a_file_per_answering_service(
    stand_in: StandIn,
) -> None:
    with closing(signed_in(stand_in)) as client:
        answer = client.get("/account/export")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    assert "mentor-match-my-data.zip" in answer.headers["content-disposition"]
    assert answer.headers["cache-control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(archive.namelist()) == ["matching.json", "profile.json", "summary.html"]
    assert json.loads(archive.read("profile.json"))["account"]["email"] == (
        "pat@cabinetoffice.gov.uk"
    )
    assert json.loads(archive.read("matching.json"))["requests"][0]["id"] == "m-1"
    summary = archive.read("summary.html").decode()
    sections = dict(re.findall(r'<section id="(\w+)"(.*?)</section>', summary, re.S))
    assert set(sections) == set(SERVICES)
    assert "pat@cabinetoffice.gov.uk" in sections["profile"]
    assert "profile.json" in sections["profile"]
    # Values are escaped, not interpreted.
    assert "Hello &lt;b&gt;you&lt;/b&gt;" in sections["matching"]
    for broken in ("messaging", "notifications"):
        assert "Unavailable" in sections[broken], broken
        assert f"{broken}.json" not in sections[broken]
    assert "Unavailable" not in sections["profile"] + sections["matching"]


# --- limits from the services ---------------------------------------------------------


def test_a_services_rate_limit_is_a_clear_page_with_the_wait(stand_in: StandIn) -> None:
    with browser(stand_in) as client:
        form = client.get("/sign-up")
        answer = client.post(
            "/sign-up",
            data={
                "csrf_token": csrf_of(form.text),
                "display_name": "Pat",
                "email": "pat@cabinetoffice.gov.uk",
                "password": "a long enough password here",
            },
        )
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "300"
    assert heading(answer.text) == "You have tried this too many times"
    assert "Wait 5 minutes and try again" in answer.text


def test_a_services_size_limit_is_a_clear_page(stand_in: StandIn) -> None:
    with closing(signed_in(stand_in)) as client:
        form = client.get("/preferences")
        answer = client.post("/preferences", data={"csrf_token": csrf_of(form.text)})
    assert answer.status_code == 413
    assert heading(answer.text) == "What you sent is too large"


def test_a_body_over_this_apps_own_limit_is_a_clear_page(stand_in: StandIn) -> None:
    stand_in.seen.clear()
    with closing(signed_in(stand_in)) as client:
        form = client.get("/preferences")
        answer = client.post(
            "/preferences", data={"csrf_token": csrf_of(form.text), "message": "x" * 1_100_000}
        )
        assert answer.status_code == 413
        assert answer.headers["content-type"].startswith("text/html")
        assert heading(answer.text) == "What you sent is too large"
        assert "Sign out" in answer.text  # still the signed-in person's page
    assert not [s for s in stand_in.seen if s.method == "PUT"]


def test_an_upload_over_the_services_limit_is_explained_on_the_form(stand_in: StandIn) -> None:
    with closing(signed_in(stand_in)) as client:
        form = client.get("/profile/import-linkedin")
        answer = client.post(
            "/profile/import-linkedin",
            data={"csrf_token": csrf_of(form.text)},
            # Over the 1 MiB this app takes elsewhere: uploads have a limit of their own.
            files={"files": ("Positions.csv", b"Company Name,Title\n" * 150_000, "text/csv")},
        )
    assert answer.status_code == 422
    assert "There is a problem" in answer.text
    assert "must be smaller than 20 MB" in answer.text


# --- deleting the account ------------------------------------------------------------


def deletion_attempt(stand_in: StandIn, password: str | None) -> httpx.Response:
    with closing(signed_in(stand_in)) as client:
        form = client.get("/account/delete")
        assert 'autocomplete="current-password"' in form.text
        data = {"csrf_token": csrf_of(form.text)}
        if password is not None:
            data["password"] = password
        return client.post("/account/delete", data=data)


def test_deleting_the_account_sends_the_password(stand_in: StandIn) -> None:
    stand_in.seen.clear()
    answer = deletion_attempt(stand_in, PASSWORD)
    assert answer.status_code == 303
    deletes = [s for s in stand_in.seen if s.method == "DELETE"]
    assert [(s.service, s.path) for s in deletes] == [("profile", "/v1/profiles/me")]
    assert json.loads(deletes[0].body) == {"password": PASSWORD}


@pytest.mark.parametrize(
    ("password", "message"),
    [(None, "Enter your password"), ("", "Enter your password"), ("wrong", "not right")],
)
def test_a_missing_or_wrong_password_is_in_the_error_summary(
    stand_in: StandIn, password: str | None, message: str
) -> None:
    answer = deletion_attempt(stand_in, password)
    assert answer.status_code == 422
    summary = re.search(r'class="govuk-error-summary".*?</div>\s*</div>', answer.text, re.S)
    assert summary
    assert message in summary.group(0)
    assert 'href="#password"' in summary.group(0)
    assert answer.text.count(message) == 2  # the summary and the field's own message
    assert "<title>Error: " in answer.text


@pytest.mark.server  # the web service as its own process
def test_python_m_web_service_serves_both_ports_and_stops_both_on_sigterm(
    tmp_path: Path,
) -> None:
    public, internal = free_port(), free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "WEB_PORT": str(public),
        "WEB_INTERNAL_PORT": str(internal),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "web_service"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not port_answers("127.0.0.1", internal) or not port_answers("127.0.0.1", public):
            assert process.poll() is None, "the web service exited"
            assert time.monotonic() < deadline, "the web service did not start"
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{public}/readyz").json() == {"status": "ready"}
        assert httpx.get(f"http://127.0.0.1:{public}/metrics").status_code == 404
        detailed = httpx.get(f"http://127.0.0.1:{internal}/readyz").json()
        assert detailed["checks"]["session_store"]["ok"] is True
        assert httpx.get(f"http://127.0.0.1:{internal}/metrics").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{internal}/sign-in").status_code == 404
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert not port_answers("127.0.0.1", internal)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_web_service_reads_its_internal_port_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WEB_INTERNAL_PORT", "8099")
    settings = WebSettings(data_dir=tmp_path)
    assert (settings.internal_host, settings.internal_port) == ("127.0.0.1", 8099)
    monkeypatch.delenv("WEB_INTERNAL_PORT")
    assert WebSettings(data_dir=tmp_path).internal_port is None
