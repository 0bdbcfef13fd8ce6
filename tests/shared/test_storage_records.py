"""RecordMapper: one dataclass as a SQLite row and a MongoDB document, and back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from mentor_shared.storage.records import RecordMapper, insert, update

MOMENT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Step:
    text: str
    due_on: date | None = None
    done: bool = False


@dataclass
class Journal:
    id: str
    written_at: datetime
    tags: tuple[str, ...] = ()
    steps: list[Step] = field(default_factory=list)
    closed_at: datetime | None = None
    shared: bool = False


JOURNALS = RecordMapper(Journal, key="id")
JOURNAL = Journal(
    id="j1",
    written_at=MOMENT,
    tags=("a", "b"),
    steps=[Step("read", date(2026, 12, 1), True), Step("write")],
    shared=True,
)


def test_a_row_keeps_times_as_epoch_flags_as_integers_and_lists_as_json() -> None:
    row = JOURNALS.to_row(JOURNAL)
    assert row == {
        "id": "j1",
        "written_at": MOMENT.timestamp(),
        "tags": '["a", "b"]',
        "steps": '[{"text": "read", "due_on": "2026-12-01", "done": true}, '
        '{"text": "write", "due_on": null, "done": false}]',
        "closed_at": None,
        "shared": 1,
    }
    assert JOURNALS.from_row(row) == JOURNAL


def test_a_document_keeps_the_key_as_id_and_reads_naive_times_as_utc() -> None:
    document = JOURNALS.to_document(JOURNAL)
    assert document["_id"] == "j1"
    assert "id" not in document
    assert document["tags"] == ["a", "b"]
    assert document["steps"][0] == {"text": "read", "due_on": "2026-12-01", "done": True}
    document["written_at"] = MOMENT.replace(tzinfo=None)
    loaded = JOURNALS.from_document(document)
    assert loaded == JOURNAL
    assert loaded.written_at.tzinfo is not None


def test_missing_fields_take_their_defaults_and_a_null_list_is_empty() -> None:
    loaded = JOURNALS.from_document({"_id": "j2", "written_at": MOMENT})
    assert loaded == Journal(id="j2", written_at=MOMENT)
    assert JOURNALS.from_row({**JOURNALS.to_row(loaded), "tags": None}).tags == ()
    with pytest.raises(KeyError):
        JOURNALS.from_document({"_id": "j3"})


def test_some_fields_only_and_statements_from_rows() -> None:
    changes = JOURNALS.to_row(JOURNAL, only=("shared", "closed_at"))
    assert changes == {"closed_at": None, "shared": 1}
    assert update("journals", changes, {"id": "j1"}) == (
        "UPDATE journals SET closed_at = ?, shared = ? WHERE id = ?",
        (None, 1, "j1"),
    )
    assert insert("journals", {"id": "j1", "shared": 1}, then="ON CONFLICT DO NOTHING") == (
        "INSERT INTO journals (id, shared) VALUES (?, ?) ON CONFLICT DO NOTHING",
        ("j1", 1),
    )
