"""Pure domain rules: unsubscribe tokens, grade bands, preferences, retry policy."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

import pytest

from notifications_service.domain.anonymise import coarse_time, grade_band
from notifications_service.domain.errors import (
    ExpiredUnsubscribeToken,
    InvalidUnsubscribeToken,
    NotConfigurable,
)
from notifications_service.domain.model import Preferences, RetryPolicy, WebhookDelivery
from notifications_service.domain.unsubscribe import (
    make_unsubscribe_token,
    read_unsubscribe_token,
)

LATER = time.time() + 3600


def test_unsubscribe_token_names_the_person_and_kind() -> None:
    token = make_unsubscribe_token("s3cret-value", "acct-1", "message", expires_at=LATER)
    assert read_unsubscribe_token("s3cret-value", token) == ("acct-1", "message")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: (
            make_unsubscribe_token("s3cret-value", "acct-2", "message", expires_at=LATER).split(
                "."
            )[0]
            + "."
            + t.split(".")[1]
        ),
        lambda t: t.split(".")[0],
        lambda t: "",
    ],
)
def test_altered_unsubscribe_token_is_refused(mangle: object) -> None:
    token = make_unsubscribe_token("s3cret-value", "acct-1", "message", expires_at=LATER)
    with pytest.raises(InvalidUnsubscribeToken):
        read_unsubscribe_token("s3cret-value", mangle(token))  # type: ignore[operator]


def test_an_expired_unsubscribe_token_is_refused_as_expired() -> None:
    token = make_unsubscribe_token("s3cret-value", "acct-1", "message", expires_at=1_000_000)
    assert read_unsubscribe_token("s3cret-value", token, now=999_999) == ("acct-1", "message")
    with pytest.raises(ExpiredUnsubscribeToken):
        read_unsubscribe_token("s3cret-value", token, now=1_000_001)


def test_an_unsubscribe_token_without_an_expiry_counts_as_expired() -> None:
    # The form links had before they expired: account id and kind only.
    payload = base64.urlsafe_b64encode(b"acct-1|message").rstrip(b"=").decode()
    signature = hmac.new(b"s3cret-value", payload.encode(), hashlib.sha256).digest()
    token = f"{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    with pytest.raises(ExpiredUnsubscribeToken):
        read_unsubscribe_token("s3cret-value", token)


def test_token_signed_with_another_secret_is_refused() -> None:
    token = make_unsubscribe_token("other-secret", "acct-1", "message", expires_at=LATER)
    with pytest.raises(InvalidUnsubscribeToken):
        read_unsubscribe_token("s3cret-value", token)


@pytest.mark.parametrize(
    ("grade", "band"),
    [("AA", "junior"), ("AO", "junior"), ("EO", "middle"), ("HEO", "middle"), ("SEO", "middle"),
     ("G7", "senior"), ("G6", "senior"), ("SCS1", "scs"), ("SCS4", "scs"), (None, None),
     ("XYZ", None)],
)  # fmt: skip
def test_grades_fall_into_their_band(grade: str | None, band: str | None) -> None:
    assert grade_band(grade) == band


def test_public_event_time_is_truncated_to_the_hour() -> None:
    moment = datetime(2026, 3, 4, 10, 47, 13, 5, tzinfo=UTC)
    assert coarse_time(moment) == datetime(2026, 3, 4, 10, tzinfo=UTC)


def test_account_emails_cannot_be_switched_off() -> None:
    preferences = Preferences("a")
    with pytest.raises(NotConfigurable):
        preferences.set_channel("verification", "off")
    assert preferences.wants_email("password_reset")
    assert not preferences.unsubscribe("claim")


def test_unsubscribe_keeps_in_app_but_stops_email() -> None:
    preferences = Preferences("a")
    assert preferences.unsubscribe("message")
    assert preferences.channel_for("message") == "in_app"
    assert preferences.wants_in_app("message")
    assert not preferences.wants_email("message")


def test_webhook_delivery_backs_off_then_parks() -> None:
    policy = RetryPolicy(max_attempts=3, base_s=2.0, max_s=100.0)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    delivery = WebhookDelivery("d", "s", "{}", now)
    delivery.record_failure(now, "status 500", policy)
    assert delivery.state == "pending"
    assert delivery.next_attempt_at == now + timedelta(seconds=2)
    delivery.record_failure(now, "status 500", policy)
    assert delivery.next_attempt_at == now + timedelta(seconds=4)
    delivery.record_failure(now, "status 500", policy)
    assert _state(delivery) == "parked"
    assert delivery.next_attempt_at is None


def test_email_waits_for_an_address_that_has_not_arrived_then_gives_up() -> None:
    from datetime import UTC, datetime, timedelta

    from notifications_service.domain.model import ADDRESS_RETRY, EmailJob

    created = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    job = EmailJob(
        id="job-1",
        recipient_id="person-1",
        kind="request_received",
        to_address="",
        subject="s",
        text="t",
        html="h",
        unsubscribe_url="u",
        created_at=created,
        next_attempt_at=created,
    )
    job.wait_for_address(created + timedelta(seconds=5), give_up_after=timedelta(hours=1))
    assert job.state == "pending"
    assert job.next_attempt_at == created + timedelta(seconds=5) + ADDRESS_RETRY
    assert job.attempts == 0
    job.wait_for_address(created + timedelta(hours=1), give_up_after=timedelta(hours=1))
    assert _state(job) == "suppressed"
    assert job.last_error == "no_address"


def _state(row: object) -> str:
    """The state, read afresh (an earlier assert narrowed the attribute's type)."""
    return str(getattr(row, "state"))  # noqa: B009
