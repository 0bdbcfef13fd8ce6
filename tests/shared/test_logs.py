"""Logging set-up: uniform structured lines, and no personal data or secrets in them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog

from mentor_shared.context import set_correlation_id, set_request_id
from mentor_shared.logs import REDACTED, configure_logging, redact_personal_data, scrub_text

PASSWORD = "correct-horse-battery-staple"
ACCESS_TOKEN = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJlLWJ5dGVz"
REFRESH_TOKEN = "rt_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
VERIFICATION_TOKEN = "vt_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
EMAIL = "jane.smith@digital.cabinet-office.gov.uk"
MOBILE = "07700 900123"
LONDON = "020 7946 0958"
INTERNATIONAL = "+44 20 7946 0958"
MESSAGE_BODY = "I would love to talk about my promotion board next week"


@pytest.fixture
def configure() -> Iterator[Callable[..., io.StringIO]]:
    """Configure logging into a fresh buffer; undo the root handler change afterwards."""
    root = logging.getLogger()
    handlers_before, level_before = list(root.handlers), root.level
    structlog.contextvars.clear_contextvars()

    def _configure(*, json: bool = True, level: str = "DEBUG") -> io.StringIO:
        stream = io.StringIO()
        configure_logging("test-service", json=json, level=level, stream=stream)
        return stream

    yield _configure
    structlog.contextvars.clear_contextvars()
    set_request_id(None)
    set_correlation_id(None)
    for handler in list(root.handlers):
        if handler not in handlers_before:
            root.removeHandler(handler)
    root.setLevel(level_before)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_secrets_and_personal_data_never_reach_json_output(
    configure: Callable[..., io.StringIO],
) -> None:
    stream = configure(json=True)
    log = structlog.get_logger("mentor_shared.tests")

    log.info(
        f"account created for {EMAIL}",  # noqa: G004 - the point is a message with an address in it
        password=PASSWORD,
        new_passwd=PASSWORD,
        access_token=ACCESS_TOKEN,
        refresh_token=REFRESH_TOKEN,
        verification_token=VERIFICATION_TOKEN,
        client_secret="s3cr3t-value",
        api_key="ak-live-123456",
        headers={"Authorization": f"Bearer {ACCESS_TOKEN}", "Cookie": "session=abc123def"},
        email=EMAIL,
        phones=[MOBILE, LONDON, INTERNATIONAL],
        note=f"call me on {MOBILE} or write to {EMAIL}",
        body=MESSAGE_BODY,
        message="another private message",
        message_body="third private message",
        text="fourth private message",
        content="fifth private message",
        match_id="0b6f2f3c-7d1e-4a52-9c1f-2b8a3e4d5f60",
        department="DWP",
        open_requests=3,
    )

    output = stream.getvalue()
    for secret in (
        PASSWORD,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        VERIFICATION_TOKEN,
        "s3cr3t-value",
        "ak-live-123456",
        "abc123def",
        EMAIL,
        MOBILE,
        LONDON,
        INTERNATIONAL,
        "7946",
        "900123",
        MESSAGE_BODY,
        "private message",
    ):
        assert secret not in output, secret

    (line,) = lines(stream)
    assert line["event"] == "account created for [redacted-email]"
    assert line["password"] == REDACTED
    assert line["headers"] == {"Authorization": REDACTED, "Cookie": REDACTED}
    assert line["body"] == REDACTED
    assert line["note"] == "call me on [redacted-phone] or write to [redacted-email]"
    assert line["phones"] == ["[redacted-phone]"] * 3
    assert line["match_id"] == "0b6f2f3c-7d1e-4a52-9c1f-2b8a3e4d5f60"
    assert line["department"] == "DWP"
    assert line["open_requests"] == 3
    assert line["service"] == "test-service"
    assert line["level"] == "info"
    assert line["logger"] == "mentor_shared.tests"


def test_console_output_is_redacted_as_well(configure: Callable[..., io.StringIO]) -> None:
    stream = configure(json=False)

    structlog.get_logger("console").warning(
        "login_failed", password=PASSWORD, email=EMAIL, reason="bad_password"
    )

    output = stream.getvalue()
    assert PASSWORD not in output
    assert EMAIL not in output
    assert "login_failed" in output
    assert "reason=bad_password" in output
    assert "service=test-service" in output


def test_stdlib_loggers_get_the_same_shape_and_redaction(
    configure: Callable[..., io.StringIO],
) -> None:
    stream = configure(json=True)
    set_request_id("req-1")

    logging.getLogger("uvicorn.error").warning("could not deliver to %s", EMAIL)
    logging.getLogger("aiokafka.consumer").info(
        "fetched", extra={"token": REFRESH_TOKEN, "partition": 4}
    )

    output = stream.getvalue()
    assert EMAIL not in output
    assert REFRESH_TOKEN not in output
    uvicorn_line, kafka_line = lines(stream)
    assert uvicorn_line["event"] == "could not deliver to [redacted-email]"
    assert uvicorn_line["logger"] == "uvicorn.error"
    assert uvicorn_line["level"] == "warning"
    assert uvicorn_line["service"] == "test-service"
    assert uvicorn_line["request_id"] == "req-1"
    assert kafka_line["partition"] == 4
    assert kafka_line["token"] == REDACTED


def test_request_and_correlation_ids_and_bound_fields_are_merged(
    configure: Callable[..., io.StringIO],
) -> None:
    stream = configure(json=True)
    set_request_id("req-42")
    set_correlation_id("corr-7")
    structlog.contextvars.bind_contextvars(match_id="m-1")

    structlog.get_logger().info("match_requested")

    (line,) = lines(stream)
    assert line["request_id"] == "req-42"
    assert line["correlation_id"] == "corr-7"
    assert line["match_id"] == "m-1"


def test_timestamps_are_iso_8601_in_utc(configure: Callable[..., io.StringIO]) -> None:
    stream = configure(json=True)
    before = datetime.now(UTC)

    structlog.get_logger().info("tick")

    stamp = lines(stream)[0]["timestamp"]
    assert stamp.endswith("Z")
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert parsed.utcoffset() == timedelta(0)
    assert abs((parsed - before).total_seconds()) < 5


def test_tracebacks_are_logged_without_locals_or_personal_data(
    configure: Callable[..., io.StringIO],
) -> None:
    stream = configure(json=True)
    log = structlog.get_logger()

    def fail(password: str) -> None:
        raise ValueError(f"no account for {EMAIL}")

    try:
        fail(PASSWORD)
    except ValueError:
        log.exception("sign_in_failed")

    output = stream.getvalue()
    assert PASSWORD not in output
    assert EMAIL not in output
    (line,) = lines(stream)
    (exception,) = line["exception"]
    assert exception["exc_type"] == "ValueError"
    assert exception["exc_value"] == "no account for [redacted-email]"
    assert any(frame["name"] == "fail" for frame in exception["frames"])


def test_console_tracebacks_are_scrubbed(configure: Callable[..., io.StringIO]) -> None:
    stream = configure(json=False)

    try:
        raise RuntimeError(f"token {ACCESS_TOKEN} rejected")
    except RuntimeError:
        structlog.get_logger().exception("boom")

    output = stream.getvalue()
    assert "Traceback (most recent call last)" in output
    assert ACCESS_TOKEN not in output
    assert "RuntimeError: token [redacted-token] rejected" in output


def test_level_filters_lower_lines_for_structlog_and_stdlib(
    configure: Callable[..., io.StringIO],
) -> None:
    stream = configure(json=True, level="WARNING")

    structlog.get_logger().info("too_quiet")
    logging.getLogger("aiokafka").info("also too quiet")
    structlog.get_logger().warning("loud_enough")

    assert [line["event"] for line in lines(stream)] == ["loud_enough"]


def test_configuring_twice_replaces_the_handler_instead_of_duplicating_lines(
    configure: Callable[..., io.StringIO],
) -> None:
    first = configure(json=True)
    second = configure(json=True)

    structlog.get_logger().info("once")

    assert first.getvalue() == ""
    assert len(lines(second)) == 1


def test_uvicorn_access_log_is_silenced_because_it_prints_query_strings(
    configure: Callable[..., io.StringIO],
) -> None:
    stream = configure(json=True, level="DEBUG")

    logging.getLogger("uvicorn.access").info('"GET /v1/accounts/verify?token=%s HTTP/1.1" 200', "x")

    assert stream.getvalue() == ""


def test_processor_redacts_nested_dicts_and_lists_by_key() -> None:
    event = {
        "event": "profile_imported",
        "rows": [
            {"display_name": "J Smith", "password": PASSWORD, "goals_text": "become a director"},
            ("tuple-item", {"X-Api-Key": "k-123"}),
        ],
        "meta": {
            "auth": {"refresh_token": REFRESH_TOKEN},
            "token_id": "jti-1",
            "token_type": "bearer",
        },
        "password": None,
    }

    result = redact_personal_data(None, "info", event)

    assert result["rows"][0] == {
        "display_name": "J Smith",
        "password": REDACTED,
        "goals_text": REDACTED,
    }
    assert result["rows"][1] == ["tuple-item", {"X-Api-Key": REDACTED}]
    assert result["meta"] == {
        "auth": {"refresh_token": REDACTED},
        "token_id": "jti-1",
        "token_type": "bearer",
    }
    # An absent secret is safe to show as absent.
    assert result["password"] is None


def test_objects_logged_by_repr_are_scrubbed_too() -> None:
    @dataclass
    class Contact:
        email: str
        phone: str

    result = redact_personal_data(None, "info", {"event": "x", "contact": Contact(EMAIL, MOBILE)})

    assert result["contact"].endswith("Contact(email='[redacted-email]', phone='[redacted-phone]')")


@pytest.mark.parametrize(
    "number",
    [
        "07700 900123",
        "07700900123",
        "07700 900 123",
        "020 7946 0958",
        "0207 946 0958",
        "(020) 7946 0958",
        "020-7946-0958",
        "01632 960123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)20 7946 0958",
        "+44-20-7946-0958",
    ],
)
def test_uk_phone_numbers_are_scrubbed_in_common_formats(number: str) -> None:
    assert scrub_text(f"ring {number} today") == "ring [redacted-phone] today"


@pytest.mark.parametrize(
    "harmless",
    [
        "0b6f2f3c-7d1e-4a52-0123-4567-890123456789",
        "2026-11-22T17:36:00.123456Z",
        "duration 0.0207946",
        "account 01234567890123456",
        "took 1234 ms over 20 attempts",
        "version 0.1.0",
    ],
)
def test_ids_times_and_counts_are_not_mistaken_for_phone_numbers(harmless: str) -> None:
    assert scrub_text(harmless) == harmless


def test_inline_secrets_in_urls_and_connection_strings_are_scrubbed() -> None:
    scrubbed = scrub_text(
        "GET https://x/v1/accounts/verify?token=abcdef123&next=/home "
        "mongodb://mentor:hunter2@db:27017 Authorization: Bearer opaque-token-value"
    )

    assert "abcdef123" not in scrubbed
    assert "hunter2" not in scrubbed
    assert "opaque-token-value" not in scrubbed
    assert "next=/home" in scrubbed
    assert "@db:27017" in scrubbed
