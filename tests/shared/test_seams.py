"""The seams every service shares: errors by family, the clock, the calendar, the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar

from mentor_shared import clock
from mentor_shared.calendar import (
    CalendarSession,
    addressed_to,
    content_type,
    session_calendar,
    session_uid,
)
from mentor_shared.errors import (
    Conflict,
    DomainError,
    Family,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from mentor_shared.runtime import open_store
from mentor_shared.settings import ServiceSettings
from mentor_shared.storage.migrations import Ladder
from mentor_shared.web.errors import FAMILY_STATUS, install_error_handlers
from mentor_shared.web.serving import serving


class SeatTaken(Conflict):
    code = "seat_taken"
    message = "Someone has that seat"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput(), 422),
        (Unauthenticated(), 401),
        (Forbidden(), 403),
        (NotFound(), 404),
        (SeatTaken(details={"seat": 4}), 409),
        (Gone(), 410),
        (RateLimited(retry_after_s=30), 429),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, DomainError) else str(value),
)
def test_a_domain_error_is_answered_with_its_familys_status_in_the_error_shape(
    error: DomainError, status: int
) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise")
    async def raise_it() -> None:
        raise error

    response = TestClient(app).get("/raise")
    assert response.status_code == status
    assert response.json() == {
        "error": {"code": error.code, "message": error.message, "details": error.details}
    }
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    if status == 429:
        assert response.headers["Retry-After"] == "30"


def test_every_family_has_one_status() -> None:
    assert set(FAMILY_STATUS) == set(Family)


def test_a_raise_may_name_its_own_code_and_message_but_keeps_its_family() -> None:
    error = SeatTaken("Row C is full", code="row_full")
    assert (error.code, error.message, error.family) == ("row_full", "Row C is full", "conflict")
    assert (SeatTaken().code, SeatTaken().message) == ("seat_taken", "Someone has that seat")


def test_the_clock_reads_naive_moments_as_utc_and_converts_others() -> None:
    naive = datetime(2026, 12, 3, 10, 0)
    paris = datetime(2026, 12, 3, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    assert clock.as_utc(naive) == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert clock.as_utc(paris).tzinfo is UTC
    assert clock.as_utc(paris) == clock.as_utc(naive)
    assert clock.as_utc(None) is None
    assert clock.utc_now().tzinfo is UTC


def test_the_time_codec_round_trips_through_text_and_epoch() -> None:
    moment = datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=UTC)
    assert clock.to_text(moment) == "2026-12-03T10:00:00.123456+00:00"
    assert clock.from_text(clock.to_text(moment)) == moment
    assert clock.from_text("2026-12-03T10:00:00") == moment.replace(microsecond=0)
    assert clock.from_epoch(clock.to_epoch(moment)) == moment
    assert clock.to_text(None) is None
    assert clock.from_epoch(None) is None


def _read(document: bytes) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(document)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


SESSION = CalendarSession(
    session_id="s-1",
    starts_at=datetime(2027, 1, 5, 9, 30),
    duration_minutes=60,
    sequence=1,
    summary="Mentoring session",
    location="Room 4",
    url="https://example.test/c/1",
)


def test_a_live_session_is_published_with_its_sequence_and_a_stable_uid() -> None:
    calendar, event = _read(session_calendar(SESSION, stamped_at=datetime(2026, 12, 3, tzinfo=UTC)))
    assert calendar["METHOD"] == "PUBLISH"
    assert event["UID"] == session_uid("s-1") == "session-s-1@mentor-match.service.gov.uk"
    assert event["SEQUENCE"] == 1
    assert event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTART") == datetime(2027, 1, 5, 9, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 1, 5, 10, 30, tzinfo=UTC)
    assert str(event["LOCATION"]) == "Room 4"
    assert "ORGANIZER" not in event
    assert "ATTENDEE" not in event


def test_a_published_copy_names_its_organizer_but_never_an_attendee() -> None:
    _, event = _read(
        session_calendar(
            SESSION,
            stamped_at=datetime(2026, 12, 3, tzinfo=UTC),
            organizer="noreply@example.gov.uk",
            attendee="person@example.gov.uk",
        )
    )
    assert str(event["ORGANIZER"]) == "mailto:noreply@example.gov.uk"
    assert "ATTENDEE" not in event
    assert content_type(SESSION.method) == "text/calendar; method=PUBLISH; charset=utf-8"


def test_a_cancelled_session_is_a_cancel_of_the_same_entry_with_a_higher_sequence() -> None:
    cancelled = CalendarSession(**{**SESSION.__dict__, "sequence": 2, "cancelled": True})
    calendar, event = _read(
        session_calendar(
            cancelled,
            stamped_at=datetime(2026, 12, 4, tzinfo=UTC),
            organizer="noreply@example.gov.uk",
            attendee="person@example.gov.uk",
        )
    )
    assert calendar["METHOD"] == "CANCEL"
    assert event["UID"] == session_uid("s-1")
    assert event["SEQUENCE"] == 2
    assert event["STATUS"] == "CANCELLED"
    assert str(event["ORGANIZER"]) == "mailto:noreply@example.gov.uk"
    assert str(event["ATTENDEE"]) == "mailto:person@example.gov.uk"


def test_an_address_found_later_is_named_on_a_cancel_that_names_nobody_and_nowhere_else() -> None:
    stamped = datetime(2026, 12, 4, tzinfo=UTC)
    cancelled = CalendarSession(**{**SESSION.__dict__, "sequence": 2, "cancelled": True})
    unaddressed = session_calendar(cancelled, stamped_at=stamped)
    _, event = _read(addressed_to(unaddressed, "late@example.gov.uk"))
    assert str(event["ATTENDEE"]) == "mailto:late@example.gov.uk"
    assert event["UID"] == session_uid("s-1")
    addressed = session_calendar(cancelled, stamped_at=stamped, attendee="first@example.gov.uk")
    assert addressed_to(addressed, "late@example.gov.uk") == addressed
    published = session_calendar(SESSION, stamped_at=stamped)
    assert addressed_to(published, "late@example.gov.uk") == published


async def test_open_store_opens_the_sqlite_file_when_no_mongodb_uri_is_set(
    tmp_path: Path,
) -> None:
    settings = ServiceSettings(service_name="seams", data_dir=tmp_path)
    store = await open_store(settings, "seams", Ladder(service="seams", steps=()))
    try:
        assert store.kind == "sqlite"
        assert not store.is_mongodb
        assert store.after_erasure is not None
        assert await store.ping()
        await store.after_erasure()
    finally:
        await store.close()
    assert settings.sqlite_path().exists()


class Recorder:
    """Stands in for a ServiceRuntime and a service's context: records the calls
    :func:`serving` makes, and fails the step named in ``fail``."""

    def __init__(self, fail: str | None = None) -> None:
        self.calls: list[str] = []
        self.fail = fail
        self.settings = None

    def _step(self, name: str) -> None:
        self.calls.append(name)
        if name == self.fail:
            raise RuntimeError(name)

    def install(self, app: FastAPI) -> None:
        self._step("install")

    async def start(self) -> None:
        self._step("runtime_start")

    async def stop(self) -> None:
        self._step("runtime_stop")

    async def start_background(self) -> None:
        self._step("background_start")

    async def stop_background(self) -> None:
        self._step("background_stop")


def _app_with_keys() -> FastAPI:
    app = FastAPI()
    app.state.key_set = "a test's own keys"
    return app


async def test_serving_starts_the_runtime_then_the_background_and_stops_in_reverse() -> None:
    app, runtime = _app_with_keys(), Recorder()
    async with serving(app, runtime, runtime):  # type: ignore[arg-type]
        runtime.calls.append("serve")
    assert runtime.calls == [
        "install",
        "runtime_start",
        "background_start",
        "serve",
        "background_stop",
        "runtime_stop",
    ]
    assert app.state.key_set == "a test's own keys"


@pytest.mark.parametrize("fail", ["runtime_start", "background_start", "serve", "background_stop"])
async def test_serving_stops_the_runtime_when_its_start_the_background_or_the_app_fails(
    fail: str,
) -> None:
    runtime = Recorder(fail)
    with pytest.raises(RuntimeError, match=fail):
        async with serving(_app_with_keys(), runtime, runtime):  # type: ignore[arg-type]
            runtime._step("serve")
    # The background is stopped (it releases what bootstrap made for it) even when
    # it never started, and the runtime after it.
    assert runtime.calls[-2:] == ["background_stop", "runtime_stop"]
