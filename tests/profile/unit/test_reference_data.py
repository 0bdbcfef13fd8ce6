"""Reference lists kept as data: lookups, canonical codes, grade order and bands."""

from __future__ import annotations

import json

import pytest

from profile_service.domain.errors import InvalidReference
from profile_service.domain.reference import (
    REFERENCE_KINDS,
    ReferenceData,
    default_reference_data,
    grade_band,
    rank,
)


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return default_reference_data()


def test_departments_include_ministerial_non_ministerial_agencies_and_devolved(
    reference: ReferenceData,
) -> None:
    codes = set(reference.codes("departments"))
    assert len(codes) >= 50
    expected = {
        "hmt", "co", "ho", "mod", "dwp", "hmrc", "dfe", "dhsc", "defra", "desnz", "dsit",
        "dbt", "dcms", "dft", "fcdo", "mhclg", "moj", "nio", "so", "wo", "ago", "ons",
        "dvla", "hmpps", "hmlr", "ch", "ea", "ukhsa", "met-office", "tna", "ofsted", "ofgem",
        "ofwat", "cma", "fsa", "cps", "gld", "voa", "insolvency", "ukef",
        "scottish-government", "welsh-government", "nics",
    }  # fmt: skip
    assert expected <= codes
    assert reference.name("departments", "hmt") == "HM Treasury"
    assert reference.name("departments", "co") == "Cabinet Office"


def test_professions_cover_the_civil_service_professions(reference: ReferenceData) -> None:
    names = {entry.name for entry in reference.entries("professions")}
    expected = {
        "Analysis", "Commercial", "Communications", "Corporate Finance", "Counter Fraud",
        "Digital, Data and Technology", "Economics", "Finance", "Geography",
        "Human Resources", "Intelligence Analysis", "Internal Audit",
        "Knowledge and Information Management", "Legal", "Medical",
        "Occupational Psychology", "Operational Delivery", "Operational Research",
        "Planning", "Planning Inspectors", "Policy", "Project Delivery", "Property",
        "Science and Engineering", "Security", "Social Research", "Statistics", "Tax",
        "Veterinary",
    }  # fmt: skip
    assert expected <= names


def test_grades_run_from_aa_to_scs4_in_order(reference: ReferenceData) -> None:
    assert reference.codes("grades") == [
        "AA", "AO", "EO", "HEO", "SEO", "G7", "G6", "SCS1", "SCS2", "SCS3", "SCS4",
    ]  # fmt: skip
    assert [reference.grade_rank(code) for code in reference.codes("grades")] == list(range(11))
    assert reference.name("grades", "G7") == "Grade 7"
    assert reference.name("grades", "AA") == "Administrative Assistant"
    assert reference.name("grades", "SCS1").startswith("Senior Civil Service pay band 1")


@pytest.mark.parametrize(
    ("code", "band"),
    [
        ("AA", "junior"), ("AO", "junior"), ("EO", "middle"), ("HEO", "middle"),
        ("SEO", "middle"), ("G7", "senior"), ("G6", "senior"), ("SCS1", "scs"),
        ("SCS2", "scs"), ("SCS3", "scs"), ("SCS4", "scs"),
    ],
)  # fmt: skip
def test_every_grade_has_a_band_for_anonymised_events(code: str, band: str) -> None:
    assert grade_band(code) == band


def test_module_level_rank_orders_grades(reference: ReferenceData) -> None:
    assert rank("AA") < rank("eo") < rank("G7") < rank("G6") < rank("SCS1") < rank("SCS4")


def test_regions_are_the_twelve_itl1_regions_and_overseas(reference: ReferenceData) -> None:
    names = [entry.name for entry in reference.entries("regions")]
    assert len(names) == 13
    assert names[-1] == "Overseas"
    assert {"London", "Scotland", "Wales", "Northern Ireland", "Yorkshire and The Humber"} <= set(
        names
    )


def test_validate_returns_the_canonical_code_whatever_the_case(reference: ReferenceData) -> None:
    assert reference.validate("grades", " g7 ") == "G7"
    assert reference.validate("departments", "HMT") == "hmt"
    assert reference.is_valid("regions", "LONDON")
    assert not reference.is_valid("regions", "atlantis")


def test_unknown_codes_raise_invalid_reference_with_details(reference: ReferenceData) -> None:
    with pytest.raises(InvalidReference) as raised:
        reference.validate("departments", "ministry-of-magic")
    assert raised.value.code == "invalid_reference"
    assert raised.value.details == {"kind": "departments", "code": "ministry-of-magic"}
    assert "department" in raised.value.message
    with pytest.raises(InvalidReference):
        reference.grade_rank("G8")
    with pytest.raises(InvalidReference):
        reference.name("professions", "wizardry")


def test_resolve_accepts_a_code_or_a_full_name(reference: ReferenceData) -> None:
    assert reference.resolve("departments", "Home Office") == "ho"
    assert reference.resolve("departments", "  home   OFFICE ") == "ho"
    assert reference.resolve("departments", "HO") == "ho"
    assert reference.resolve("grades", "grade 7") == "G7"
    assert reference.resolve("regions", "east of england") == "east"
    with pytest.raises(InvalidReference):
        reference.resolve("departments", "Home")


def test_as_dict_serves_every_list_as_code_and_name_only(reference: ReferenceData) -> None:
    served = reference.as_dict()
    assert list(served) == list(REFERENCE_KINDS)
    for entries in served.values():
        assert entries
        assert all(set(entry) == {"code", "name"} for entry in entries)
    assert served["grades"][0] == {"code": "AA", "name": "Administrative Assistant"}
    json.dumps(served)


def _minimal(**overrides: object) -> dict[str, object]:
    document: dict[str, object] = {
        "departments": [{"code": "d", "name": "Dept"}],
        "professions": [{"code": "p", "name": "Prof"}],
        "grades": [{"code": "G", "name": "Grade", "band": "junior"}],
        "regions": [{"code": "r", "name": "Region"}],
    }
    document.update(overrides)
    return document


def test_reference_data_can_come_from_another_document() -> None:
    data = ReferenceData.from_json(json.dumps(_minimal()))
    assert data.codes("departments") == ["d"]
    assert data.grade_band("g") == "junior"


@pytest.mark.parametrize(
    "document",
    [
        _minimal(regions=[]),
        _minimal(regions=None),
        _minimal(grades=[{"code": "G", "name": "Grade"}]),
        _minimal(grades=[{"code": "G", "name": "Grade", "band": "middling"}]),
        _minimal(departments=[{"code": "d", "name": "A"}, {"code": "D", "name": "B"}]),
        _minimal(departments=[{"code": "", "name": "A"}]),
        _minimal(departments=["d"]),
    ],
)
def test_malformed_reference_documents_are_refused(document: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"reference|entry|grade"):
        ReferenceData.from_json(json.dumps(document))


def test_resolve_ignores_punctuation_and_ampersands_in_names(reference: ReferenceData) -> None:
    assert reference.resolve("professions", "Digital Data and Technology") == "ddat"
    assert reference.resolve("professions", "digital, data & technology") == "ddat"
    assert reference.resolve("departments", "HM Courts & Tribunals Service") == "hmcts"
    assert reference.resolve("departments", "Attorney Generals Office") == "ago"
