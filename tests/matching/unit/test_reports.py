"""The administrators' match report: aggregates with small numbers suppressed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from matching_service.domain.commands import AnswerMatch
from matching_service.domain.reports import COLUMNS, RequestFact, grade_band, report_rows
from matching_service.service import handlers
from tests.matching.stores import Store, mentee, upserted
from tests.matching.unit.test_handlers import NOW, Clock, deps, put, request, store

__all__ = ["store"]

NOV = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def fact(
    n: int, status: str = "requested", hours: float | None = None, **fields: object
) -> RequestFact:
    values: dict[str, object] = {
        "mentee_id": f"mentee-{n}",
        "created_at": NOV,
        "status": status,
        "answered_at": None if hours is None else NOV + timedelta(hours=hours),
        "was_accepted": status in ("accepted", "ended"),
        "department": "dwp",
        "profession": "policy",
        "grade": "HEO",
        **fields,
    }
    return RequestFact(**values)  # type: ignore[arg-type]


def test_counts_from_one_to_four_are_suppressed_and_zero_and_five_are_shown() -> None:
    facts = [fact(n, "accepted", hours=10 + n) for n in range(5)]
    facts += [fact(n + 5, "declined", hours=30) for n in range(3)]
    facts += [fact(n + 8) for n in range(2)]
    [row] = report_rows(facts)
    shown = dict(zip(COLUMNS, row, strict=True))
    assert shown == {
        "month": "2026-11",
        "department": "dwp",
        "profession": "policy",
        "grade_band": "EO-SEO",
        "requests": "10",
        "accepted": "5",
        "declined": "<5",
        "expired": "0",
        "ended": "0",
        "median_hours_to_answer": "13.5",
    }


def test_a_row_of_fewer_than_five_mentees_says_nothing_about_them() -> None:
    # Six requests but only four different people: the row could describe one of them.
    facts = [fact(n % 4, "accepted", hours=5) for n in range(6)]
    [row] = report_rows(facts)
    assert row[4:] == ["<5", "<5", "<5", "<5", "<5", ""]


def test_rows_are_split_by_month_department_profession_and_grade_band() -> None:
    facts = [fact(n, grade="G7") for n in range(5)] + [fact(n, grade="G6") for n in range(5)]
    facts += [fact(n, created_at=NOV + timedelta(days=30)) for n in range(5)]
    facts += [fact(n, profession="digital") for n in range(5)]
    rows = report_rows(facts)
    assert [row[:4] for row in rows] == [
        ["2026-11", "dwp", "digital", "EO-SEO"],
        ["2026-11", "dwp", "policy", "G7-G6"],
        ["2026-12", "dwp", "policy", "EO-SEO"],
    ]
    assert [row[4] for row in rows] == ["5", "10", "5"]
    assert grade_band("scs2") == "SCS"
    assert grade_band(None) == grade_band("nonsense") == ""


async def test_the_store_gives_each_request_with_the_mentees_department_and_grade(
    store: Store,
) -> None:
    await put(store, mentee("me", department="DWP", profession="POLICY"), upserted("a"))
    clock = Clock(NOW)
    d = deps(clock)
    match = await request(store, "me", "a", d)
    clock.now = NOW + timedelta(hours=6)
    await handlers.accept_match(AnswerMatch(match.id, "a"), store.uow(), d)
    [found] = await store.read.request_facts()
    assert (found.mentee_id, found.status, found.was_accepted) == ("me", "accepted", True)
    assert (found.department, found.profession, found.grade) == ("DWP", "POLICY", "HEO")
    assert found.answered_at == NOW + timedelta(hours=6)
