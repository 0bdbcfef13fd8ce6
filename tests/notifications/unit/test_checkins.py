"""Check-ins after the 3rd and 6th confirmed session, on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.events.envelope import Envelope, new_event
from mentor_shared.events.schemas import (
    AccountRegistered,
    ProfileDeleted,
    SessionScheduled,
)
from mentor_shared.storage.sqlite import SqliteDatabase
from notifications_service.adapters.sqlite_repository import (
    SQLITE_SCHEMA,
    SqliteNotificationsUnitOfWork,
)
from notifications_service.consumers import make_event_handler
from notifications_service.domain.checkins import summarise
from notifications_service.domain.errors import CheckInAnswered, CheckInNotFound
from notifications_service.service import commands
from notifications_service.service.notify import NotifyConfig
from tests.sealing import SEALER

CONFIG = NotifyConfig(
    public_url="http://web.test", api_url="http://api.test", unsubscribe_secret="s"
)


@dataclass
class Harness:
    db: SqliteDatabase

    def uow(self) -> SqliteNotificationsUnitOfWork:
        return SqliteNotificationsUnitOfWork(self.db)

    async def apply(self, event: Envelope) -> bool:
        """What the consumer runner does: inbox, handler, commit in one transaction."""
        handler = make_event_handler(CONFIG, SEALER)
        async with self.uow() as uow:
            if not await uow.record_inbox("notifications", str(event.id)):
                return False
            await handler(event, uow)
            await uow.commit()
        return True

    async def rows(self, sql: str, *params: object) -> list[dict[str, object]]:
        return [dict(r) for r in await self.db.fetchall(sql, params)]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    db = await SqliteDatabase(tmp_path / "n.sqlite3", [BUS_SCHEMA, *SQLITE_SCHEMA]).open()
    try:
        h = Harness(db)
        for pid, email, name in (
            ("mentee", "mentee@example.gov.uk", "Mena Tee"),
            ("mentor", "mentor@example.gov.uk", "Mo Tor"),
        ):
            await h.apply(
                new_event(
                    AccountRegistered(account_id=pid, email=email, display_name=name),
                    subject=pid,
                    source="test",
                )
            )
        yield h
    finally:
        await db.close()


def confirmed(n: int, match_id: str = "m1", session_id: str | None = None) -> Envelope:
    return new_event(
        SessionScheduled(
            session_id=session_id or f"s{n}",
            conversation_id=f"c-{match_id}",
            match_id=match_id,
            proposer_id="mentee",
            other_id="mentor",
            status="confirmed",
            starts_at=datetime(2027, 1, n, 10, tzinfo=UTC),
            duration_minutes=60,
            confirmed_sessions=n,
        ),
        subject=match_id,
        source="messaging",
    )


async def test_both_people_are_asked_after_the_third_and_sixth_session_only(
    harness: Harness,
) -> None:
    for n in range(1, 8):
        await harness.apply(confirmed(n))
    rows = await harness.rows("SELECT recipient_id, round FROM checkins ORDER BY round, 1")
    assert rows == [
        {"recipient_id": "mentee", "round": 3},
        {"recipient_id": "mentor", "round": 3},
        {"recipient_id": "mentee", "round": 6},
        {"recipient_id": "mentor", "round": 6},
    ]
    ids = {r["id"] for r in await harness.rows("SELECT id FROM checkins")}
    asked = await harness.rows(
        "SELECT recipient_id, link FROM notifications WHERE title = 'How is your mentoring going?'"
    )
    assert sorted(str(r["link"]) for r in asked) == sorted(
        f"http://web.test/checkins/{i}" for i in ids
    )
    emails = await harness.rows(
        "SELECT to_address, text FROM email_jobs WHERE subject = 'How is your mentoring going?'"
    )
    assert len(emails) == 4
    for email in emails:
        text = str(email["text"])
        # Nothing about the other person: neither their name nor their address.
        other = "mentor" if str(email["to_address"]).startswith("mentee") else "mentee"
        assert f"{other}@example.gov.uk" not in text
        assert ("Mo Tor" if other == "mentor" else "Mena Tee") not in text
        assert "/checkins/" in text


async def test_a_replayed_or_repeated_round_asks_nobody_twice(harness: Harness) -> None:
    third = confirmed(3)
    assert await harness.apply(third)
    # The same event again (a new envelope id, as a re-publish would have) ...
    again = Envelope.model_validate({**third.model_dump(), "id": new_event(
        third.payload(), subject="m1", source="messaging").id})  # fmt: skip
    await harness.apply(again)
    # ... and the third confirmed session reached again after a cancellation.
    await harness.apply(confirmed(3, session_id="s3-bis"))
    assert len(await harness.rows("SELECT id FROM checkins")) == 2
    asked = await harness.rows(
        "SELECT id FROM notifications WHERE title = 'How is your mentoring going?'"
    )
    assert len(asked) == 2
    # Another match of the same two people is asked on its own.
    await harness.apply(confirmed(3, match_id="m2"))
    assert len(await harness.rows("SELECT id FROM checkins")) == 4


async def test_an_answer_is_taken_once_and_only_from_the_person_asked(
    harness: Harness,
) -> None:
    await harness.apply(confirmed(3))
    (mine,) = await commands.pending_checkins(harness.uow(), "mentee")
    with pytest.raises(CheckInNotFound):
        await commands.answer_checkin(harness.uow(), "mentor", mine.id, rating=5, comment=None)
    with pytest.raises(CheckInNotFound):
        await commands.answer_checkin(harness.uow(), "mentee", "nope", rating=5, comment=None)
    answered = await commands.answer_checkin(
        harness.uow(), "mentee", mine.id, rating=4, comment="  Going well  "
    )
    assert (answered.rating, answered.comment, answered.answered) == (4, "Going well", True)
    with pytest.raises(CheckInAnswered):
        await commands.answer_checkin(harness.uow(), "mentee", mine.id, rating=1, comment=None)
    assert await commands.pending_checkins(harness.uow(), "mentee") == []
    assert len(await commands.pending_checkins(harness.uow(), "mentor")) == 1


async def test_the_summary_suppresses_rounds_under_five_answers(harness: Harness) -> None:
    for m in range(3):
        await harness.apply(confirmed(3, match_id=f"m{m}"))
    pending = [
        c
        for person in ("mentee", "mentor")
        for c in await commands.pending_checkins(harness.uow(), person)
    ]
    assert len(pending) == 6
    for item, rating in zip(pending[:4], (5, 4, 4, 2), strict=True):
        await commands.answer_checkin(
            harness.uow(), item.recipient_id, item.id, rating=rating, comment=None
        )
    third, sixth = await commands.checkin_summary(harness.uow())
    assert (third.round, third.sent, third.answered, third.mean_rating) == (3, 6, None, None)
    assert third.distribution is None
    assert (sixth.sent, sixth.answered) == (0, None)
    await commands.answer_checkin(
        harness.uow(), pending[4].recipient_id, pending[4].id, rating=3, comment="private"
    )
    third, _ = await commands.checkin_summary(harness.uow())
    assert (third.answered, third.mean_rating) == (5, 3.6)
    assert third.distribution == {1: 0, 2: 1, 3: 1, 4: 2, 5: 1}
    assert "private" not in repr(third)
    assert summarise(6, 9, [1, 2, 3, 4]).answered is None


async def test_erasure_removes_the_persons_check_ins_and_export_shows_them(
    harness: Harness,
) -> None:
    await harness.apply(confirmed(3))
    exported = await commands.export_personal_data(harness.uow(), "mentee")
    assert [(c.round, c.recipient_id) for c in exported.checkins] == [(3, "mentee")]
    await harness.apply(new_event(ProfileDeleted(profile_id="mentee"), subject="mentee",
                                  source="profile"))  # fmt: skip
    assert await harness.rows("SELECT id FROM checkins WHERE recipient_id = 'mentee'") == []
    assert len(await harness.rows("SELECT id FROM checkins WHERE recipient_id = 'mentor'")) == 1
    # A later session event about the erased person creates nothing for anyone.
    await harness.apply(confirmed(6))
    assert len(await harness.rows("SELECT id FROM checkins")) == 1
