"""Changing the password, the LinkedIn import, requests and matches, reporting a message."""

from __future__ import annotations

import io
import re
import time
import uuid
import zipfile
from contextlib import closing
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.web.stack import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    Stack,
    become_mentee,
    become_mentor,
    csrf_of,
    matched_pair,
    register,
    signed_in_client,
    wait_until_indexed,
)

pytestmark = pytest.mark.broker

PROFILE_CSV = (
    "First Name,Last Name,Maiden Name,Address,Birth Date,Headline,Summary,Industry,"
    "Zip Code,Geo Location,Twitter Handles,Websites,Instant Messengers\n"
    "Lin,Kedin,,,,Policy lead,,Government Administration,,London,,,\n"
)
POSITIONS_CSV = (
    "Company Name,Title,Description,Location,Started On,Finished On\n"
    "HM Treasury,Senior Policy Adviser,Spending reviews,London,Mar 2021,\n"
    "Home Office,Policy Officer,Border policy,London,Jan 2018,Feb 2021\n"
)
SKILLS_CSV = "Name\nStakeholder management\nPublic speaking\n"


def new_member(stack: Stack, name: str) -> tuple[str, httpx.Client]:
    email = f"member-{uuid.uuid4().hex[:10]}@cabinetoffice.gov.uk"
    register(stack, email, name)
    return email, signed_in_client(stack, email)


def error_summary_links(html: str) -> list[str]:
    """The fields the GOV.UK error summary links to, in order."""
    summary = html.split('class="govuk-error-summary"', 1)
    assert len(summary) == 2, "no error summary on the page"
    return re.findall(r'<a href="#([^"]+)"', summary[1].split("</ul>", 1)[0])


def assert_no_stack_trace(html: str) -> None:
    assert "Traceback" not in html
    assert 'File "' not in html


# --- change password ---------------------------------------------------------------


def test_change_password_with_the_wrong_current_password_shows_an_error_summary(
    stack: Stack,
) -> None:
    _, client = new_member(stack, "Wren Wrong")
    with closing(client):
        form = client.get("/account/password")
        assert form.status_code == 200
        page = client.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(form.text),
                "current_password": "not my password at all",
                "new_password": "violet harbour engine mosaic",
                "confirm_password": "violet harbour engine mosaic",
            },
        )
    assert page.status_code == 422
    assert error_summary_links(page.text) == ["current_password"]
    assert "Your current password is not right" in page.text
    assert 'id="current_password-error"' in page.text
    assert "<title>Error: Change your password - Mentor Match</title>" in page.text


def test_change_password_refuses_a_weak_new_password_with_the_service_reason(
    stack: Stack,
) -> None:
    _, client = new_member(stack, "Wade Weak")
    with closing(client):
        form = client.get("/account/password")
        page = client.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(form.text),
                "current_password": PASSWORD,
                "new_password": "short",
                "confirm_password": "short",
            },
        )
    assert page.status_code == 422
    assert error_summary_links(page.text) == ["new_password"]
    assert "Use at least 12 characters" in page.text
    assert_no_stack_trace(page.text)


def test_change_password_checks_empty_and_mismatched_fields_before_asking_the_service(
    stack: Stack,
) -> None:
    _, client = new_member(stack, "Mia Mismatch")
    with closing(client):
        csrf = csrf_of(client.get("/account/password").text)
        empty = client.post("/account/password", data={"csrf_token": csrf})
        mismatch = client.post(
            "/account/password",
            data={
                "csrf_token": csrf,
                "current_password": PASSWORD,
                "new_password": "violet harbour engine mosaic",
                "confirm_password": "violet harbour engine mosaik",
            },
        )
        # Neither reached the service: the old password still signs in.
        assert client.get("/account").status_code == 200
    assert empty.status_code == 422
    assert error_summary_links(empty.text) == ["current_password", "new_password"]
    assert mismatch.status_code == 422
    assert error_summary_links(mismatch.text) == ["confirm_password"]


def test_changing_the_password_signs_out_everywhere_and_the_new_password_signs_in(
    stack: Stack,
) -> None:
    email, client = new_member(stack, "Cass Change")
    new_password = "violet harbour engine mosaic"
    with closing(client), closing(signed_in_client(stack, email)) as other_device:
        form = client.get("/account/password")
        answer = client.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(form.text),
                "current_password": PASSWORD,
                "new_password": new_password,
                "confirm_password": new_password,
            },
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/sign-in?next=%2Faccount"
        sign_in = client.get(answer.headers["location"])
        assert "Your password has been changed" in sign_in.text
        assert "govuk-notification-banner--success" in sign_in.text
        assert client.get("/account").status_code == 303
        # The other device's session is refused at its next refresh.
        stack.expire_access_tokens()
        assert other_device.get("/profile").status_code == 303
    refused = httpx.post(
        f"{stack.profile_url}/v1/auth/token", data={"username": email, "password": PASSWORD}
    )
    assert refused.status_code == 401
    with closing(signed_in_client(stack, email, new_password)) as again:
        assert again.get("/account").status_code == 200


def test_account_page_links_to_change_password_and_linkedin_import(stack: Stack) -> None:
    _, client = new_member(stack, "Lara Links")
    with closing(client):
        page = client.get("/account")
    assert 'href="/account/password"' in page.text
    assert 'href="/profile/import-linkedin"' in page.text


# --- LinkedIn import ----------------------------------------------------------------


def linkedin_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Basic_LinkedInDataExport/Profile.csv", PROFILE_CSV)
        archive.writestr("Basic_LinkedInDataExport/Positions.csv", POSITIONS_CSV)
        archive.writestr("Basic_LinkedInDataExport/Skills.csv", SKILLS_CSV)
        archive.writestr("Basic_LinkedInDataExport/Connections.csv", "First Name\nNobody\n")
    return buffer.getvalue()


def test_linkedin_zip_fills_in_the_profile_and_leads_to_the_edit_form(stack: Stack) -> None:
    _, client = new_member(stack, "Placeholder Name")
    with closing(client):
        form = client.get("/profile/import-linkedin")
        assert form.status_code == 200
        assert 'enctype="multipart/form-data"' in form.text
        answer = client.post(
            "/profile/import-linkedin",
            data={"csrf_token": csrf_of(form.text)},
            files={"files": ("Basic_LinkedInDataExport.zip", linkedin_zip(), "application/zip")},
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/profile/edit"
        page = client.get("/profile/edit")
    assert "Your profile has been filled in from LinkedIn" in page.text
    assert (
        "Filled in: Name, Job title, Your experience, Your areas of expertise (2 added)."
        in page.text
    )
    assert 'value="Senior Policy Adviser"' in page.text
    assert 'value="Lin Kedin"' in page.text
    assert "Stakeholder management" in page.text


def test_linkedin_csv_files_can_be_uploaded_without_the_zip(stack: Stack) -> None:
    _, client = new_member(stack, "Cora Csv")
    with closing(client):
        form = client.get("/profile/import-linkedin")
        answer = client.post(
            "/profile/import-linkedin",
            data={"csrf_token": csrf_of(form.text)},
            files=[("files", ("Skills.csv", SKILLS_CSV.encode(), "text/csv"))],
        )
        assert answer.status_code == 303, answer.text
        page = client.get("/profile/edit")
        again = client.post(
            "/profile/import-linkedin",
            data={"csrf_token": csrf_of(form.text)},
            files=[("files", ("Skills (1).csv", SKILLS_CSV.encode(), "text/csv"))],
        )
        repeated = client.get(again.headers["location"])
    assert "Filled in: Your areas of expertise (2 added)." in page.text
    assert 'value="Cora Csv"' in page.text
    assert "Nothing new to fill in" in repeated.text


def test_a_file_that_is_not_a_linkedin_export_gives_an_error_summary(stack: Stack) -> None:
    _, client = new_member(stack, "Bea Badfile")
    with closing(client):
        form = client.get("/profile/import-linkedin")
        page = client.post(
            "/profile/import-linkedin",
            data={"csrf_token": csrf_of(form.text)},
            files={"files": ("budget.csv", b"month,amount\nMarch,12\n", "text/csv")},
        )
        profile = client.get("/profile")
    assert page.status_code == 422
    assert error_summary_links(page.text) == ["files"]
    assert "is not LinkedIn&#39;s Profile.csv, Positions.csv or Skills.csv" in page.text
    assert 'id="files-error"' in page.text
    assert_no_stack_trace(page.text)
    assert "Bea Badfile" in profile.text


def test_linkedin_import_without_a_file_asks_for_one(stack: Stack) -> None:
    _, client = new_member(stack, "Nell Nofile")
    with closing(client):
        form = client.get("/profile/import-linkedin")
        page = client.post(
            "/profile/import-linkedin",
            data={"csrf_token": csrf_of(form.text)},
            files={"files": ("", b"", "application/octet-stream")},
        )
    assert page.status_code == 422
    assert error_summary_links(page.text) == ["files"]
    assert "Select the ZIP file from LinkedIn" in page.text


def test_linkedin_import_refuses_a_post_without_the_csrf_token(stack: Stack) -> None:
    _, client = new_member(stack, "Cy Csrf")
    with closing(client):
        client.get("/profile/import-linkedin")
        refused = client.post(
            "/profile/import-linkedin",
            files={"files": ("Skills.csv", SKILLS_CSV.encode(), "text/csv")},
        )
        page = client.get("/profile/edit")
    assert refused.status_code == 403
    assert "Stakeholder management" not in page.text


# --- requests, matches, reports ----------------------------------------------------------


def test_contact_details_appear_once_the_request_is_accepted_and_go_when_it_ends(
    stack: Stack,
) -> None:
    pair = matched_pair(stack)
    with closing(signed_in_client(stack, pair.mentee_email)) as mentee:
        deadline = time.monotonic() + 20
        person = mentee.get(f"/people/{pair.mentor_id}")
        while "+447700900456" not in person.text and time.monotonic() < deadline:
            time.sleep(0.2)
            person = mentee.get(f"/people/{pair.mentor_id}")
        assert "Contact details" in person.text
        assert "+447700900456" in person.text
        requests = mentee.get("/requests")
        assert "Active matches" in requests.text
        ended = mentee.post(
            f"/requests/{pair.match_id}/end", data={"csrf_token": csrf_of(requests.text)}
        )
        assert ended.status_code == 303
        after = mentee.get("/requests")
        assert "The mentoring has ended" in after.text
        assert "Past requests and matches" in after.text
        deadline = time.monotonic() + 20
        person = mentee.get(f"/people/{pair.mentor_id}")
        while "+447700900456" in person.text and time.monotonic() < deadline:
            time.sleep(0.2)
            person = mentee.get(f"/people/{pair.mentor_id}")
        assert "+447700900456" not in person.text


def test_a_reported_message_reaches_the_administrators_queue(stack: Stack) -> None:
    pair = matched_pair(stack)
    conversation = f"/conversations/{pair.conversation_id}"
    with closing(signed_in_client(stack, pair.mentor_email)) as mentor:
        page = mentor.get(conversation)
        sent = mentor.post(
            f"{conversation}/messages",
            data={"csrf_token": csrf_of(page.text), "body": "Send me your bank details please."},
        )
        assert sent.status_code == 303
    with closing(signed_in_client(stack, pair.mentee_email)) as mentee:
        page = mentee.get(conversation)
        own = mentee.post(
            f"{conversation}/messages",
            data={"csrf_token": csrf_of(page.text), "body": "Hello, thank you for accepting."},
        )
        assert own.status_code == 303
        page = mentee.get(conversation)
        links = re.findall(rf'href="{conversation}/messages/([^/"]+)/report"', page.text)
        assert len(links) == 1, "only the other person's message can be reported"
        form = mentee.get(f"{conversation}/messages/{links[0]}/report")
        assert form.status_code == 200
        assert "Send me your bank details please." in form.text
        empty = mentee.post(
            f"{conversation}/messages/{links[0]}/report",
            data={"csrf_token": csrf_of(form.text), "reason": " "},
        )
        assert empty.status_code == 422
        assert error_summary_links(empty.text) == ["reason"]
        reason = f"Asking for bank details {uuid.uuid4().hex[:6]}"
        answer = mentee.post(
            f"{conversation}/messages/{links[0]}/report",
            data={"csrf_token": csrf_of(form.text), "reason": reason},
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{conversation}/messages/{links[0]}/reported"
        confirmation = mentee.get(answer.headers["location"])
        assert "Message reported" in confirmation.text
        assert "govuk-panel" in confirmation.text
        assert mentee.get("/admin/reports").status_code == 403
    with closing(signed_in_client(stack, ADMIN_EMAIL, ADMIN_PASSWORD)) as admin:
        assert 'href="/admin/reports"' in admin.get("/admin").text
        queue = admin.get("/admin/reports")
    assert queue.status_code == 200
    card = queue.text.split(reason, 1)
    assert len(card) == 2, "the report is not in the queue"
    assert "Send me your bank details please." in card[1].split("govuk-summary-card", 1)[0]
    assert "Hello, thank you for accepting." not in queue.text


def test_own_messages_and_unknown_messages_cannot_be_reported(stack: Stack) -> None:
    pair = matched_pair(stack)
    conversation = f"/conversations/{pair.conversation_id}"
    with closing(signed_in_client(stack, pair.mentee_email)) as mentee:
        page = mentee.get(conversation)
        mentee.post(
            f"{conversation}/messages",
            data={"csrf_token": csrf_of(page.text), "body": "My own words."},
        )
        page = mentee.get(conversation)
        own_id = re.findall(r'data-message-id="([^"]+)"', page.text)[0]
        own = mentee.get(f"{conversation}/messages/{own_id}/report")
        unknown = mentee.post(
            f"{conversation}/messages/no-such-message/report",
            data={"csrf_token": csrf_of(page.text), "reason": "Spam"},
        )
    assert own.status_code == 404
    assert unknown.status_code == 404
    assert "Page not found" in unknown.text
    assert_no_stack_trace(unknown.text)


# --- saved people, pausing new requests ------------------------------------------------


def test_save_for_later_lists_the_person_on_the_saved_page_until_removed(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    mentor_email = f"mentor-{tag}@cabinetoffice.gov.uk"
    register(stack, mentor_email, f"Sol Saved {tag}")
    with closing(signed_in_client(stack, mentor_email)) as mentor:
        become_mentor(mentor, f"Sol Saved {tag}")
    mentor_id = wait_until_indexed(stack, mentor_email)
    _, client = new_member(stack, f"Kit Keeper {tag}")
    with closing(client):
        empty = client.get("/saved")
        assert empty.status_code == 200
        assert "You have not saved anyone yet" in empty.text
        person = client.get(f"/people/{mentor_id}")
        assert f'action="/people/{mentor_id}/save"' in person.text
        saved = client.post(
            f"/people/{mentor_id}/save",
            data={"csrf_token": csrf_of(person.text), "next": f"/people/{mentor_id}"},
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == f"/people/{mentor_id}"
        page = client.get("/saved")
        assert f"Sol Saved {tag}" in page.text
        assert f"Ask Sol Saved {tag} for an introduction" in page.text
        elsewhere = client.post(
            f"/people/{mentor_id}/save",
            data={"csrf_token": csrf_of(page.text), "next": "https://example.com/"},
        )
        assert elsewhere.headers["location"] == "/saved", "never another site"
        refused = client.post(f"/saved/{mentor_id}/remove", data={})
        assert refused.status_code == 403
        removed = client.post(f"/saved/{mentor_id}/remove", data={"csrf_token": csrf_of(page.text)})
        assert removed.status_code == 303
        assert f"Sol Saved {tag}" not in client.get("/saved").text


def test_declining_with_a_pause_declines_every_waiting_request_and_marks_the_mentor(
    stack: Stack,
) -> None:
    tag = uuid.uuid4().hex[:8]
    mentor_email = f"mentor-{tag}@cabinetoffice.gov.uk"
    register(stack, mentor_email, f"Pax Pause {tag}")
    mentees = []
    # Three answered requests: enough for the usual reply time to show.
    for n in range(3):
        email = f"mentee-{n}-{tag}@cabinetoffice.gov.uk"
        register(stack, email, f"Asker {n} {tag}")
        mentees.append(email)
    with closing(signed_in_client(stack, mentor_email)) as mentor:
        become_mentor(mentor, f"Pax Pause {tag}")
        mentor_id = wait_until_indexed(stack, mentor_email)
        for email in mentees:
            with closing(signed_in_client(stack, email)) as mentee:
                become_mentee(mentee, f"Asker {tag}")
                wait_until_indexed(stack, email)
                form = mentee.get(f"/people/{mentor_id}/request")
                sent = mentee.post(
                    f"/people/{mentor_id}/request",
                    data={"csrf_token": csrf_of(form.text), "message": "Could we talk?"},
                )
                assert sent.status_code == 303, sent.text
        received = mentor.get("/requests")
        match_ids = re.findall(r'action="/requests/([^/"]+)/accept"', received.text)
        assert len(match_ids) == 3
        form = mentor.get(f"/requests/{match_ids[0]}/decline")
        assert "Decline and pause new requests until" in form.text
        too_far = mentor.post(
            f"/requests/{match_ids[0]}/decline",
            data={
                "csrf_token": csrf_of(form.text),
                "reason": "Away for a while",
                "paused_until-day": "1",
                "paused_until-month": "1",
                "paused_until-year": "2099",
                "decline_all": "yes",
            },
        )
        assert too_far.status_code == 422
        assert error_summary_links(too_far.text) == ["paused_until"]
        assert "at most 6 months" in too_far.text
        assert_no_stack_trace(too_far.text)
        until = (datetime.now(UTC).date() + timedelta(days=40)).isoformat()
        year, month, day = until.split("-")
        declined = mentor.post(
            f"/requests/{match_ids[0]}/decline",
            data={
                "csrf_token": csrf_of(form.text),
                "reason": "Away for a while, sorry",
                "paused_until-day": day,
                "paused_until-month": month,
                "paused_until-year": year,
                "decline_all": "yes",
            },
        )
        assert declined.status_code == 303, declined.text
        after = mentor.get("/requests")
        assert "New requests are paused until" in after.text
        assert re.findall(r'action="/requests/([^/"]+)/accept"', after.text) == []
        edit = mentor.get("/profile/edit")
        assert f'value="{int(day)}"' in edit.text
    with closing(signed_in_client(stack, mentees[0])) as mentee:
        person = mentee.get(f"/people/{mentor_id}")
        assert "Not until" in person.text
        assert "Ask for an introduction" not in person.text
        assert "Usually replies within 1 day" in person.text
        assert "Active this month" in person.text


def test_pages_of_what_is_not_the_persons_say_what_was_not_found(stack: Stack) -> None:
    _, client = new_member(stack, "Nora Found")
    with closing(client):
        conversation = client.get("/conversations/no-such-conversation")
        plan = client.get("/conversations/no-such-conversation/plan")
        report = client.get("/conversations/no-such-conversation/messages/m1/report")
        person = client.get("/people/no-such-profile")
        checkin = client.get("/checkins/no-such-checkin")
    for page in (conversation, plan, report, person, checkin):
        assert page.status_code == 404
        assert "Page not found" in page.text
        assert_no_stack_trace(page.text)
    assert "This conversation does not exist or is not yours." in conversation.text
    assert "This conversation does not exist or is not yours." in plan.text
    assert "This message does not exist or you cannot report it." in report.text
    assert "This person is not in the directory." in person.text
    assert "This check-in does not exist or was not sent to you." in checkin.text


def test_the_reset_page_checks_the_new_password_typed_twice_before_asking_the_service(
    stack: Stack,
) -> None:
    with closing(httpx.Client(base_url=stack.web_url, timeout=20)) as client:
        csrf = csrf_of(client.get("/reset-password?token=unused").text)
        empty = client.post("/reset-password", data={"csrf_token": csrf, "token": "unused"})
        mismatch = client.post(
            "/reset-password",
            data={
                "csrf_token": csrf,
                "token": "unused",
                "password": "violet harbour engine mosaic",
                "confirm_password": "violet harbour engine mosaik",
            },
        )
    # Neither reached the service, which would have refused the token.
    assert empty.status_code == 422
    assert error_summary_links(empty.text) == ["password"]
    assert "Enter a new password" in empty.text
    assert mismatch.status_code == 422
    assert error_summary_links(mismatch.text) == ["confirm_password"]
    assert "The passwords do not match" in mismatch.text
