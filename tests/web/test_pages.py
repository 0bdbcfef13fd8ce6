"""The web app against the real profile, messaging and notifications services over HTTP."""

from __future__ import annotations

import io
import json
import re
import uuid
from contextlib import closing
from pathlib import Path

import httpx
import openpyxl
import pytest
from markupsafe import escape

from mentor_shared.testing.broker import free_port
from mentor_shared.testing.server import serve_in_thread
from tests.web.stack import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    SUPPORT_EMAIL,
    Stack,
    api_token,
    bearer,
    csrf_of,
    register,
    signed_in_client,
)
from web_service.app import create_web_app

pytestmark = pytest.mark.broker

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")


def new_email() -> str:
    return f"web-{uuid.uuid4().hex[:10]}@cabinetoffice.gov.uk"


def test_post_without_the_csrf_token_is_refused(stack: Stack) -> None:
    with httpx.Client(base_url=stack.web_url) as client:
        client.get("/sign-in")
        refused = client.post("/sign-in", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert refused.status_code == 403
        assert "did not come from this site" in refused.text
        forged = client.post(
            "/sign-in",
            data={"csrf_token": "forged", "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        )
        assert forged.status_code == 403
        assert "mentor_match_session" not in str(forged.headers.get("set-cookie", ""))


def test_csrf_token_of_another_session_is_refused(stack: Stack) -> None:
    with httpx.Client(base_url=stack.web_url) as one, httpx.Client(base_url=stack.web_url) as two:
        token_of_one = csrf_of(one.get("/sign-in").text)
        two.get("/sign-in")
        answer = two.post(
            "/sign-in",
            data={"csrf_token": token_of_one, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        )
        assert answer.status_code == 403


def test_sign_up_outside_the_allow_list_explains_how_to_ask_for_the_domain(stack: Stack) -> None:
    with httpx.Client(base_url=stack.web_url) as client:
        csrf = csrf_of(client.get("/sign-up").text)
        page = client.post(
            "/sign-up",
            data={
                "csrf_token": csrf,
                "display_name": "Sam Outsider",
                "email": "sam@example.com",
                "password": "plum kettle orbit lantern",
            },
        )
    assert page.status_code == 422
    assert "There is a problem" in page.text
    assert 'href="#email"' in page.text
    assert "not open to this email domain" in page.text
    assert f"mailto:{SUPPORT_EMAIL}" in page.text
    assert "<title>Error: Create an account - Mentor Match</title>" in page.text


def test_sign_up_with_empty_fields_shows_every_error_inline_and_in_the_summary(
    stack: Stack,
) -> None:
    with httpx.Client(base_url=stack.web_url) as client:
        csrf = csrf_of(client.get("/sign-up").text)
        page = client.post("/sign-up", data={"csrf_token": csrf})
    assert page.status_code == 422
    for field in ("display_name", "email", "password"):
        assert f'href="#{field}"' in page.text
        assert f'id="{field}-error"' in page.text


def test_signed_in_pages_hold_no_token_and_the_cookie_is_an_opaque_httponly_id(
    stack: Stack,
) -> None:
    email = new_email()
    register(stack, email, "Tess Token")
    with httpx.Client(base_url=stack.web_url) as client:
        before = client.get("/sign-in")
        anonymous_id = client.cookies.get("mentor_match_session")
        answer = client.post(
            "/sign-in",
            data={
                "csrf_token": csrf_of(before.text),
                "email": email,
                "password": "plum kettle orbit lantern",
            },
        )
        assert answer.status_code == 303
        cookie_header = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie_header
        assert "SameSite=Lax" in cookie_header
        session_id = client.cookies.get("mentor_match_session")
        assert session_id
        assert session_id != anonymous_id
        assert not JWT.search(session_id)
        assert [c.name for c in client.cookies.jar] == ["mentor_match_session"]
        for path in (
            "/",
            "/profile",
            "/profile/edit",
            "/directory",
            "/conversations",
            "/notifications",
            "/preferences",
            "/account",
            "/suggestions",
        ):
            page = client.get(path)
            assert page.status_code == 200, (path, page.status_code)
            assert not JWT.search(page.text), path
        stored = [json.loads(data) for _, data in stack.session_rows()]
        refresh_tokens = [s["refresh_token"] for s in stored if s.get("refresh_token")]
        assert refresh_tokens
        for path in ("/profile", "/account/export"):
            body = client.get(path).text
            assert not any(token in body for token in refresh_tokens)


def test_an_expired_access_token_is_refreshed_with_the_server_side_refresh_token(
    stack: Stack,
) -> None:
    email = new_email()
    register(stack, email, "Rafa Refresh")
    rows_before = {row_id for row_id, _ in stack.session_rows()}
    client = signed_in_client(stack, email)
    try:
        mine = [row_id for row_id, _ in stack.session_rows() if row_id not in rows_before]
        assert len(mine) == 1

        def my_tokens() -> tuple[str, str]:
            data = dict(stack.session_rows())[mine[0]]
            values = json.loads(data)
            return values["access_token"], values["refresh_token"]

        access_before, refresh_before = my_tokens()
        stack.expire_access_tokens()
        again = client.get("/profile")
        assert again.status_code == 200
        assert "Rafa Refresh" in again.text
        access_after, refresh_after = my_tokens()
        assert access_after != access_before
        assert refresh_after != refresh_before
    finally:
        client.close()


def test_profile_errors_from_the_service_link_to_the_field(stack: Stack) -> None:
    email = new_email()
    register(stack, email, "Pat Phone")
    client = signed_in_client(stack, email)
    with closing(client):
        form = client.get("/profile/edit")
        assert '<select class="govuk-select" id="department" name="department"' in form.text
        page = client.post(
            "/profile/edit",
            data={
                "csrf_token": csrf_of(form.text),
                "display_name": "Pat Phone",
                "contact_phone": "12ab",
            },
        )
        assert page.status_code == 422
        assert 'href="#contact_phone"' in page.text
        assert 'id="contact_phone-error"' in page.text
        saved = client.post(
            "/profile/edit",
            data={
                "csrf_token": csrf_of(form.text),
                "display_name": "Pat Phone",
                "roles": ["mentee"],
                "goals": "lead a team through change\nwrite better policy",
                "contact_phone": "07700 900123",
            },
        )
        assert saved.status_code == 303
        shown = client.get("/profile").text
        assert "Your profile has been saved" in shown
        assert "lead a team through change" in shown


def ticked_skills(html: str, field: str) -> dict[str, bool]:
    """The skill checkboxes named ``field`` on the page: id -> ticked."""
    boxes = re.findall(rf'<input class="govuk-checkboxes__input"[^>]*name="{field}"[^>]*>', html)
    values = [re.findall(r'value="([^"]+)"', box) for box in boxes]
    return {value[0]: " checked" in box for value, box in zip(values, boxes, strict=True)}


def test_profile_form_suggests_skills_and_saves_the_ticked_ones(stack: Stack) -> None:
    email = new_email()
    register(stack, email, "Bud Getter")
    client = signed_in_client(stack, email)
    token = api_token(stack, email)
    typed = {
        "display_name": "Bud Getter",
        "roles": ["mentor"],
        "capacity": "2",
        "expertise_text": "I manage budgets and lead procurement",
        "goals": "get better at public speaking",
    }
    with closing(client):
        form = client.get("/profile/edit")
        assert "We think you can help with:" in form.text
        assert ticked_skills(form.text, "skills_offered") == {}
        # Without JavaScript: suggestions for the typed text, nothing saved yet.
        page = client.post(
            "/profile/edit",
            data={
                "csrf_token": csrf_of(form.text),
                "skills_section": "yes",
                "action": "suggest",
                **typed,
            },
        )
        assert page.status_code == 200
        assert ticked_skills(page.text, "skills_offered") == {
            "budgeting": True,
            "procurement": True,
        }
        assert ticked_skills(page.text, "skills_sought") == {"public-speaking": True}
        assert "I manage budgets and lead procurement</textarea>" in page.text
        me = httpx.get(f"{stack.profile_url}/v1/profiles/me", headers=bearer(token)).json()
        assert not me["expertise_text"]
        # A refused save shows the ticks as they were sent.
        refused = client.post(
            "/profile/edit",
            data={
                "csrf_token": csrf_of(page.text),
                "skills_section": "yes",
                "skills_offered": ["budgeting"],
                "skills_offered_shown": ["budgeting", "procurement"],
                **typed,
                "contact_phone": "12ab",
            },
        )
        assert refused.status_code == 422
        assert ticked_skills(refused.text, "skills_offered") == {
            "budgeting": True,
            "procurement": False,
        }
        # Untick one offered skill and save.
        saved = client.post(
            "/profile/edit",
            data={
                "csrf_token": csrf_of(page.text),
                "skills_section": "yes",
                "action": "save",
                "skills_offered": ["budgeting"],
                "skills_offered_shown": ["budgeting", "procurement"],
                "skills_sought": ["public-speaking"],
                "skills_sought_shown": ["public-speaking"],
                **typed,
            },
        )
        assert saved.status_code == 303, saved.text
        me = httpx.get(f"{stack.profile_url}/v1/profiles/me", headers=bearer(token)).json()
        assert me["skills_offered"] == ["budgeting"]
        assert me["skills_sought"] == ["public-speaking"]
        # Shown again: the confirmed skills are ticked, the unticked suggestion is not.
        again = client.get("/profile/edit")
        assert ticked_skills(again.text, "skills_offered") == {
            "budgeting": True,
            "procurement": False,
        }
        # Unticking everything clears the confirmed skills.
        cleared = client.post(
            "/profile/edit",
            data={
                "csrf_token": csrf_of(again.text),
                "skills_section": "yes",
                "skills_offered_shown": ["budgeting", "procurement"],
                "skills_sought_shown": ["public-speaking"],
                **typed,
            },
        )
        assert cleared.status_code == 303, cleared.text
        me = httpx.get(f"{stack.profile_url}/v1/profiles/me", headers=bearer(token)).json()
        assert me["skills_offered"] == []
        assert me["skills_sought"] == []


def test_profile_form_saves_without_skills_when_matching_is_down(
    stack: Stack, tmp_path: Path
) -> None:
    email = new_email()
    register(stack, email, "Nora Network")
    token = api_token(stack, email)
    confirmed = httpx.put(
        f"{stack.profile_url}/v1/profiles/me",
        headers=bearer(token),
        json={"skills_offered": ["budgeting"]},
    )
    assert confirmed.status_code == 200, confirmed.text
    port = free_port()
    settings = stack.web_settings.model_copy(
        update={
            "port": port,
            "data_dir": tmp_path,
            "matching_url": f"http://127.0.0.1:{free_port()}",
        }
    )
    with (
        serve_in_thread(create_web_app(settings), port, name="web-without-matching"),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) as client,
    ):
        sign_in = client.get("/sign-in")
        client.post(
            "/sign-in",
            data={"csrf_token": csrf_of(sign_in.text), "email": email, "password": PASSWORD},
        )
        form = client.get("/profile/edit")
        assert form.status_code == 200
        assert "Skill suggestions are not available just now" in form.text
        assert 'name="skills_offered"' not in form.text
        saved = client.post(
            "/profile/edit",
            data={"csrf_token": csrf_of(form.text), "display_name": "Nora Renamed"},
        )
        assert saved.status_code == 303, saved.text
    me = httpx.get(f"{stack.profile_url}/v1/profiles/me", headers=bearer(token)).json()
    assert me["display_name"] == "Nora Renamed"
    assert me["skills_offered"] == ["budgeting"]


def test_pages_for_signed_in_people_send_visitors_to_sign_in(stack: Stack) -> None:
    with httpx.Client(base_url=stack.web_url) as client:
        answer = client.get("/profile")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Fprofile"


def test_admin_pages_are_refused_to_members(stack: Stack) -> None:
    email = new_email()
    register(stack, email, "Mo Member")
    client = signed_in_client(stack, email)
    with closing(client):
        assert client.get("/admin/usage").status_code == 403


def test_usage_page_has_an_svg_chart_and_the_same_figures_in_a_table(stack: Stack) -> None:
    department = httpx.get(f"{stack.profile_url}/v1/reference").json()["departments"][0]
    client = signed_in_client(stack, ADMIN_EMAIL, ADMIN_PASSWORD)
    with closing(client):
        form = client.get("/profile/edit")
        saved = client.post(
            "/profile/edit",
            data={
                "csrf_token": csrf_of(form.text),
                "display_name": "Ada Admin",
                "department": department["code"],
            },
        )
        assert saved.status_code == 303
        page = client.get("/admin/usage")
    assert page.status_code == 200
    assert '<svg class="mm-chart" role="img"' in page.text
    assert f">{escape(department['name'])}</th>" in page.text
    assert (
        '<caption class="govuk-table__caption govuk-table__caption--s">People by department'
        in page.text
    )


def test_coach_import_dry_run_lists_every_bad_row(stack: Stack) -> None:
    csv_text = (
        "name,email,department,profession,grade,region,expertise,approach,capacity\n"
        "Ava Good,ava.good@cabinetoffice.gov.uk,,,,,coaching,,2\n"
        "No Email,,,,,,,,2\n"
    )
    client = signed_in_client(stack, ADMIN_EMAIL, ADMIN_PASSWORD)
    with closing(client):
        form = client.get("/admin/import")
        page = client.post(
            "/admin/import",
            data={"csrf_token": csrf_of(form.text), "mode": "check"},
            files={"file": ("coaches.csv", csv_text.encode(), "text/csv")},
        )
    assert page.status_code == 200, page.text
    assert "Rows with problems" in page.text
    assert '<td class="govuk-table__cell">3</td>' in page.text


def test_an_import_emails_nobody_until_the_administrator_sends_its_invitations(
    stack: Stack,
) -> None:
    tag = uuid.uuid4().hex[:8]
    coaches = [f"invited.{tag}.{n}@cabinetoffice.gov.uk" for n in range(2)]
    csv_text = "name,email,department,profession,grade,region,expertise,approach,capacity\n" + (
        "".join(f"Coach {n},{email},,,,,coaching,,2\n" for n, email in enumerate(coaches))
    )
    client = signed_in_client(stack, ADMIN_EMAIL, ADMIN_PASSWORD)
    with closing(client):
        form = client.get("/admin/import")
        report = client.post(
            "/admin/import",
            data={"csrf_token": csrf_of(form.text), "mode": "import"},
            files={"file": ("coaches.csv", csv_text.encode(), "text/csv")},
        )
        assert report.status_code == 200, report.text
        assert "2 new coaches are waiting for an invitation" in report.text
        action = re.search(r'action="(/admin/imports/[^/"]+/invitations)"', report.text)
        assert action, report.text
        status_path = action.group(1).removesuffix("/invitations")
        listed = client.get("/admin/import")
        assert "Not sent yet: 2 invitations are waiting for you to send them." in listed.text
        assert f'href="{status_path}"' in listed.text
        assert not [m for m in stack.mailbox.messages if str(m["To"]) in coaches]

        sent = client.post(
            action.group(1), data={"csrf_token": csrf_of(report.text)}, follow_redirects=False
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == status_path
        status = client.get(status_path)
        assert status.status_code == 200
        assert "The invitations are being sent" in status.text
        assert re.search(r"(Sending|Finished): \d of 2 invitations sent", status.text)
        for email in coaches:
            assert "/claim?token=" in stack.mailbox.link(email, "/claim")
        line = client.get(status_path + "/progress").json()
        assert line["progress"] == "Finished: 2 of 2 invitations sent."
        assert line["sending"] is False
        missing = client.get("/admin/imports/no-such-import")
        assert missing.status_code == 404


def test_coach_import_page_takes_an_excel_workbook(stack: Stack) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "email", "department", "profession", "grade", "region",
                  "expertise", "approach", "capacity"])  # fmt: skip
    sheet.append(["Xavi Good", "xavi.good@cabinetoffice.gov.uk", "", "", "", "", "coaching", "", 2])
    sheet.append(["No Email", "", "", "", "", "", "", "", 2])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    client = signed_in_client(stack, ADMIN_EMAIL, ADMIN_PASSWORD)
    with closing(client):
        form = client.get("/admin/import")
        assert "CSV or Excel (.xlsx)" in form.text
        assert 'accept=".csv,text/csv,.xlsx,' in form.text
        page = client.post(
            "/admin/import",
            data={"csrf_token": csrf_of(form.text), "mode": "check"},
            files={"file": ("coaches.xlsx", buffer.getvalue(), xlsx)},
        )
        broken = client.post(
            "/admin/import",
            data={"csrf_token": csrf_of(form.text), "mode": "check"},
            files={"file": ("coaches.xlsx", buffer.getvalue()[:100], xlsx)},
        )
    assert page.status_code == 200, page.text
    assert "Rows with problems" in page.text
    assert '<td class="govuk-table__cell">3</td>' in page.text
    assert broken.status_code == 422
    assert "not a valid Excel workbook" in broken.text


def test_sign_out_revokes_the_refresh_token(stack: Stack) -> None:
    email = new_email()
    register(stack, email, "Otto Out")
    client = signed_in_client(stack, email)
    with closing(client):
        before = {json.loads(d).get("refresh_token") for _, d in stack.session_rows()}
        page = client.get("/profile")
        answer = client.post("/sign-out", data={"csrf_token": csrf_of(page.text)})
        assert answer.status_code == 303
        after = {json.loads(d).get("refresh_token") for _, d in stack.session_rows()}
        gone = before - after
        assert gone
        for token in gone - {None}:
            refused = httpx.post(
                f"{stack.profile_url}/v1/auth/refresh", json={"refresh_token": token}
            )
            assert refused.status_code == 401
        assert client.get("/profile").status_code == 303
