"""Hard filters: each rule, and the column table against the per-candidate rules."""

from __future__ import annotations

import random
from typing import Any

import pytest

from matching_service.domain.filters import (
    CandidateTable,
    Rule,
    allowed_candidate_ids,
    failed_rule,
)
from matching_service.domain.model import (
    GRADE_ORDER,
    CandidateLoad,
    PairHistory,
    PersonProfile,
    SuggestionQuery,
    TargetRole,
)
from tests.matching.builders import person

MENTEE = person("asker", "mentee", department="DWP", grade="HEO", region="LONDON")


# (description, candidate fields, query fields, history, asker fields, expected rule)
CASES: list[
    tuple[str, dict[str, Any], dict[str, Any], PairHistory, dict[str, Any], Rule | None]
] = [
    ("an eligible mentor passes", {}, {}, PairHistory(), {}, None),
    (
        "a mentee is not a mentor",
        {"roles": frozenset({"mentee"})},
        {},
        PairHistory(),
        {},
        Rule.ROLE,
    ),
    ("a mentor is not a coach", {}, {"role": "coach"}, PairHistory(), {}, Rule.ROLE),
    (
        "a coach is found as a coach",
        {"roles": frozenset({"coach"})},
        {"role": "coach"},
        PairHistory(),
        {},
        None,
    ),
    (
        "nobody is suggested to themselves",
        {"profile_id": "asker"},
        {},
        PairHistory(),
        {},
        Rule.SELF,
    ),
    (
        "already requested or declined",
        {},
        {},
        PairHistory(excluded_ids=frozenset({"c"})),
        {},
        Rule.ALREADY_PAIRED,
    ),
    ("not accepting requests", {"accepting_requests": False}, {}, PairHistory(), {}, Rule.CAPACITY),
    ("no capacity at all", {"capacity": 0}, {}, PairHistory(), {}, Rule.CAPACITY),
    (
        "capacity used up by active matches",
        {"capacity": 2},
        {},
        PairHistory(loads={"c": CandidateLoad(active_matches=2)}),
        {},
        Rule.CAPACITY,
    ),
    (
        "one place left",
        {"capacity": 2},
        {},
        PairHistory(loads={"c": CandidateLoad(active_matches=1)}),
        {},
        None,
    ),
    (
        "open requests do not use capacity",
        {"capacity": 1},
        {},
        PairHistory(loads={"c": CandidateLoad(open_requests=5)}),
        {},
        None,
    ),
    (
        "mentees have no capacity rule",
        {"roles": frozenset({"mentee"}), "capacity": 0, "grade": "EO"},
        {"role": "mentee"},
        PairHistory(),
        {"roles": frozenset({"mentor"})},
        None,
    ),
    (
        "own department excluded on request",
        {"department": "DWP"},
        {"exclude_own_department": True},
        PairHistory(),
        {},
        Rule.DEPARTMENT,
    ),
    ("own department allowed by default", {"department": "DWP"}, {}, PairHistory(), {}, None),
    (
        "department filter keeps that department only",
        {"department": "HMRC"},
        {"department": "DWP"},
        PairHistory(),
        {},
        Rule.DEPARTMENT,
    ),
    (
        "department filter matches",
        {"department": "DWP"},
        {"department": "DWP"},
        PairHistory(),
        {},
        None,
    ),
    ("mentor below the mentee's grade", {"grade": "EO"}, {}, PairHistory(), {}, Rule.GRADE),
    ("mentor at the mentee's grade", {"grade": "HEO"}, {}, PairHistory(), {}, None),
    ("mentor above the mentee's grade", {"grade": "SCS1"}, {}, PairHistory(), {}, None),
    ("grade rule opted out", {"grade": "EO"}, {"allow_any_grade": True}, PairHistory(), {}, None),
    (
        "unknown mentor grade passes the seniority rule",
        {"grade": None},
        {},
        PairHistory(),
        {},
        None,
    ),
    (
        "unknown asker grade passes the seniority rule",
        {"grade": "AA"},
        {},
        PairHistory(),
        {"grade": None},
        None,
    ),
    (
        "min_grade excludes lower grades",
        {"grade": "SEO"},
        {"min_grade": "G7"},
        PairHistory(),
        {},
        Rule.GRADE,
    ),
    ("min_grade keeps equal grades", {"grade": "G7"}, {"min_grade": "G7"}, PairHistory(), {}, None),
    (
        "min_grade needs a known grade",
        {"grade": None},
        {"min_grade": "G7"},
        PairHistory(),
        {},
        Rule.GRADE,
    ),
    (
        "min_grade applies even when opted out of seniority",
        {"grade": "EO"},
        {"min_grade": "G7", "allow_any_grade": True},
        PairHistory(),
        {},
        Rule.GRADE,
    ),
    (
        "a mentee above the mentor's grade",
        {"roles": frozenset({"mentee"}), "grade": "G6"},
        {"role": "mentee"},
        PairHistory(),
        {"roles": frozenset({"mentor"}), "grade": "G7"},
        Rule.GRADE,
    ),
    (
        "based in the region",
        {"region": "WALES", "remote_ok": False},
        {"region": "WALES"},
        PairHistory(),
        {},
        None,
    ),
    (
        "travels to the region",
        {"region": "LONDON", "travel_regions": frozenset({"WALES"}), "remote_ok": False},
        {"region": "WALES"},
        PairHistory(),
        {},
        None,
    ),
    (
        "elsewhere but remote",
        {"region": "LONDON", "remote_ok": True},
        {"region": "WALES"},
        PairHistory(),
        {},
        None,
    ),
    (
        "remote does not count when not accepted",
        {"region": "LONDON", "remote_ok": True},
        {"region": "WALES", "accept_remote": False},
        PairHistory(),
        {},
        Rule.REGION,
    ),
    (
        "elsewhere and not remote",
        {"region": "LONDON", "remote_ok": False},
        {"region": "WALES"},
        PairHistory(),
        {},
        Rule.REGION,
    ),
]


@pytest.mark.parametrize(
    ("candidate_fields", "query_fields", "history", "asker_fields", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_hard_filter_rules(
    candidate_fields: dict[str, Any],
    query_fields: dict[str, Any],
    history: PairHistory,
    asker_fields: dict[str, Any],
    expected: Rule | None,
) -> None:
    fields: dict[str, Any] = {
        "profile_id": "c",
        "department": "HMRC",
        "grade": "G7",
        "region": "LONDON",
    }
    fields.update(candidate_fields)
    profile_id = fields.pop("profile_id")
    roles = fields.pop("roles", frozenset({"mentor"}))
    candidate = person(profile_id, *roles, **fields)
    asker = _asker(asker_fields)
    query = SuggestionQuery(**query_fields)
    assert failed_rule(candidate, asker, query, history) is expected
    table = CandidateTable()
    table.upsert(candidate)
    assert (table.allowed_ids(asker, query, history) == {profile_id}) is (expected is None)
    assert (allowed_candidate_ids([candidate], asker, query, history) == {profile_id}) is (
        expected is None
    )


def _asker(fields: dict[str, Any]) -> PersonProfile:
    base: dict[str, Any] = {
        "department": "DWP",
        "grade": "HEO",
        "region": "LONDON",
    }
    base.update(fields)
    roles = base.pop("roles", frozenset({"mentee"}))
    return person("asker", *roles, **base)


def _random_profile(rng: random.Random, index: int) -> PersonProfile:
    all_roles: list[TargetRole] = ["mentor", "coach", "mentee"]
    roles = rng.sample(all_roles, rng.randint(1, 2))
    return person(
        f"p{index}",
        *roles,
        department=rng.choice(["DWP", "HMRC", "MOJ", None]),
        grade=rng.choice([*GRADE_ORDER, None, "unknown"]),
        region=rng.choice(["LONDON", "WALES", "EAST", None]),
        travel_regions=rng.sample(["LONDON", "WALES", "EAST"], rng.randint(0, 2)),
        remote_ok=rng.random() < 0.5,
        capacity=rng.randint(0, 3),
        accepting_requests=rng.random() < 0.8,
        anonymous=rng.random() < 0.2,
    )


def test_column_table_agrees_with_the_per_candidate_rules_on_random_profiles() -> None:
    rng = random.Random(42)
    profiles = [_random_profile(rng, index) for index in range(400)]
    table = CandidateTable(capacity=16)  # small, so it has to grow
    for profile in profiles:
        table.upsert(profile)
    for profile in profiles[:50]:
        table.remove(profile.profile_id)
    for profile in profiles[:25]:
        table.upsert(profile)  # reuses freed rows
    live = profiles[:25] + profiles[50:]
    assert len(table) == len(live)
    for trial in range(60):
        asker = _random_profile(rng, 10_000 + trial)
        query = SuggestionQuery(
            role=rng.choice(["mentor", "coach", "mentee"]),
            department=rng.choice([None, "DWP", "NOWHERE"]),
            exclude_own_department=rng.random() < 0.5,
            min_grade=rng.choice([None, "SEO", "G6"]),
            region=rng.choice([None, "LONDON", "WALES", "NOWHERE"]),
            accept_remote=rng.random() < 0.5,
            allow_any_grade=rng.random() < 0.3,
        )
        history = PairHistory(
            excluded_ids=frozenset(p.profile_id for p in rng.sample(live, 20)),
            loads={
                p.profile_id: CandidateLoad(active_matches=rng.randint(0, 3))
                for p in rng.sample(live, 80)
            },
        )
        expected = allowed_candidate_ids(live, asker, query, history)
        assert table.allowed_ids(asker, query, history) == expected


def test_removed_profiles_are_never_allowed() -> None:
    table = CandidateTable()
    table.upsert(person("gone", grade="G7"))
    table.upsert(person("kept", grade="G7"))
    table.remove("gone")
    assert table.allowed_ids(MENTEE, SuggestionQuery(), PairHistory()) == {"kept"}
    assert table.row_of("gone") is None


def test_an_updated_profile_replaces_its_old_fields() -> None:
    table = CandidateTable()
    table.upsert(person("m", region="LONDON", travel_regions={"WALES"}, remote_ok=False))
    table.upsert(person("m", region="LONDON", travel_regions=set(), remote_ok=False))
    query = SuggestionQuery(region="WALES")
    assert table.allowed_ids(MENTEE, query, PairHistory()) == set()


def test_one_loads_reading_serves_many_queries_and_sees_mentors_who_arrive_later() -> None:
    table = CandidateTable()
    table.upsert(person("a", grade="G7", capacity=1))
    full = CandidateLoad(active_matches=1)
    shared = PairHistory(loads={"a": full, "b": full})
    assert table.allowed_ids(MENTEE, SuggestionQuery(), shared) == set()
    table.upsert(person("b", grade="G7", capacity=1))
    table.upsert(person("c", grade="G7", capacity=1))
    # The same reading again: b, full, arrived after the first query.
    assert table.allowed_ids(MENTEE, SuggestionQuery(), shared) == {"c"}
    table.remove("c")
    table.upsert(person("d", grade="G7", capacity=2))
    assert table.allowed_ids(MENTEE, SuggestionQuery(), shared) == {"d"}
