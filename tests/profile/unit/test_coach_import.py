"""The legacy coach spreadsheet: every row checked, every error with its line and reason."""

from __future__ import annotations

import pytest

from mentor_shared.events.schemas import Roles
from profile_service.domain.allowlist import AllowedDomains, default_allowed_domains
from profile_service.domain.coach_import import (
    COACH_IMPORT_COLUMNS,
    MAX_IMPORT_ROWS,
    CoachImportResult,
    parse_coach_csv,
)
from profile_service.domain.errors import ImportFileInvalid
from profile_service.domain.profiles import Profile
from profile_service.domain.reference import ReferenceData, default_reference_data

HEADER = "name,email,department,profession,grade,region,expertise,approach,capacity"


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return default_reference_data()


@pytest.fixture(scope="module")
def allowed() -> AllowedDomains:
    return default_allowed_domains()


def parse(text: str, reference: ReferenceData, allowed: AllowedDomains) -> CoachImportResult:
    return parse_coach_csv(text.encode("utf-8"), reference=reference, allowed=allowed)


def test_valid_rows_resolve_codes_and_names(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    text = (
        f"{HEADER}\n"
        "Ada Lovelace,Ada.Lovelace@HMRC.gov.uk,hmrc,ddat,G7,london,Data; Leadership ;data,"
        "Curious and direct,3\n"
        "Alan Turing,alan@gchq.gov.uk,Cabinet Office,Digital Data and Technology,grade 6,"
        "North West,,Listening first,0\n"
    )
    result = parse(text, reference, allowed)
    assert result.ok
    assert result.errors == []
    ada, alan = result.rows
    assert (ada.line, ada.email, ada.department, ada.grade, ada.region) == (
        2, "Ada.Lovelace@hmrc.gov.uk", "hmrc", "G7", "london"
    )  # fmt: skip
    assert ada.expertise == ["Data", "Leadership"]
    assert ada.capacity == 3
    assert ada.approach == "Curious and direct"
    assert (alan.department, alan.profession, alan.grade, alan.region) == (
        "co", "ddat", "G6", "north-west"
    )  # fmt: skip
    assert alan.expertise == []
    assert alan.capacity == 0


def test_every_bad_row_is_reported_with_its_line_and_reason(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    text = (
        f"{HEADER}\n"
        "Good Coach,good@dwp.gov.uk,dwp,policy,SEO,wales,Coaching,Warm,2\n"
        ",blank-name@dwp.gov.uk,dwp,policy,SEO,wales,,,1\n"
        "Bad Email,not-an-email,dwp,policy,SEO,wales,,,1\n"
        "Bad Domain,someone@gmail.com,dwp,policy,SEO,wales,,,1\n"
        "Bad Refs,refs@dwp.gov.uk,ministry of magic,wizardry,G8,atlantis,,,1\n"
        "Too Many,many@dwp.gov.uk,dwp,policy,SEO,wales,,,21\n"
        "Fraction,frac@dwp.gov.uk,dwp,policy,SEO,wales,,,2.5\n"
        "Empty Capacity,empty@dwp.gov.uk,dwp,policy,SEO,wales,,,\n"
        "Duplicate,GOOD@dwp.gov.uk,dwp,policy,SEO,wales,,,1\n"
    )
    result = parse(text, reference, allowed)
    assert [row.line for row in result.rows] == [2]
    assert result.invalid_lines() == [3, 4, 5, 6, 7, 8, 9, 10]
    by_line = {(error.line, error.field) for error in result.errors}
    assert by_line == {
        (3, "name"),
        (4, "email"),
        (5, "email"),
        (6, "department"),
        (6, "profession"),
        (6, "grade"),
        (6, "region"),
        (7, "capacity"),
        (8, "capacity"),
        (9, "capacity"),
        (10, "email"),
    }
    duplicate = next(error for error in result.errors if error.line == 10)
    assert duplicate.reason == "the same email is already on line 2"
    assert all(error.reason for error in result.errors)
    summary = result.to_dict()
    assert summary["rows_read"] == 9
    assert summary["valid"] == 1
    assert summary["invalid"] == 8


def test_missing_columns_are_one_clear_error(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    with pytest.raises(ImportFileInvalid) as raised:
        parse("name,email,department\nA,a@dwp.gov.uk,dwp\n", reference, allowed)
    assert raised.value.details["missing_columns"] == [
        "profession", "grade", "region", "expertise", "approach", "capacity",
    ]  # fmt: skip
    assert "Line 1" in raised.value.message


def test_columns_may_come_in_any_order_and_case_and_extra_ones_are_ignored(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    text = (
        "Capacity, EMAIL ,Name,Region,Grade,Profession,Department,Expertise,Approach,Notes\n"
        "4,c@ho.gov.uk,Coach C,scotland,HEO,hr,Home Office,Resilience,Calm,internal only\n"
    )
    result = parse(text, reference, allowed)
    assert result.ok
    assert result.rows[0].capacity == 4
    assert result.rows[0].department == "ho"
    assert result.ignored_columns == ["Notes"]


def test_excel_quirks_bom_crlf_quoting_and_line_breaks_in_cells(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    text = (
        "\ufeff" + HEADER + "\r\n"
        '"Smith, Jane",jane@dwp.gov.uk,dwp,policy,EO,wales,"Policy; ""Agile"" delivery",'
        '"Line one\r\nline two",1\r\n'
        "Bad Row,bad@gmail.com,dwp,policy,EO,wales,,,1\r\n"
        ",,,,,,,,\r\n"
        "\r\n"
    )
    result = parse(text, reference, allowed)
    assert result.rows[0].name == "Smith, Jane"
    assert result.rows[0].expertise == ["Policy", '"Agile" delivery']
    assert result.rows[0].approach == "Line one\r\nline two"
    # The quoted line break pushes the next row down to physical line 4.
    assert result.invalid_lines() == [4]
    assert result.rows_read == 2


def test_windows_1252_files_from_excel_are_read(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    text = f"{HEADER}\r\nSeán Ó Briain,sean@nio.gov.uk,nio,policy,G7,northern-ireland,,Café chats,1\r\n"
    result = parse_coach_csv(text.encode("cp1252"), reference=reference, allowed=allowed)
    assert result.encoding == "cp1252"
    assert result.rows[0].name == "Seán Ó Briain"
    assert result.rows[0].approach == "Café chats"


def test_semicolon_separated_files_are_read(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    text = HEADER.replace(",", ";") + "\nA B;ab@dwp.gov.uk;dwp;policy;EO;wales;Data;Calm;1\n"
    result = parse(text, reference, allowed)
    assert result.ok
    assert result.rows[0].expertise == ["Data"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        ("name,email\r\n".encode("utf-16"), "UTF-16"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        (f'{HEADER}\n"A,a@dwp.gov.uk,dwp,policy,EO,wales,,,1\n'.encode(), "well-formed"),
        (b"name,email,name,department,profession,grade,region,expertise,approach,capacity\n", "more than once"),
    ],
)  # fmt: skip
def test_unusable_files_are_refused_as_a_whole(
    content: bytes, fragment: str, reference: ReferenceData, allowed: AllowedDomains
) -> None:
    with pytest.raises(ImportFileInvalid) as raised:
        parse_coach_csv(content, reference=reference, allowed=allowed)
    assert fragment in raised.value.message


def test_too_many_rows_are_refused(reference: ReferenceData, allowed: AllowedDomains) -> None:
    row = "A,a{i}@dwp.gov.uk,dwp,policy,EO,wales,,,1\n"
    text = HEADER + "\n" + "".join(row.format(i=i) for i in range(MAX_IMPORT_ROWS + 1))
    with pytest.raises(ImportFileInvalid, match="more than"):
        parse(text, reference, allowed)


def test_cells_beyond_the_header_are_reported(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    result = parse(
        f"{HEADER}\nA,a@dwp.gov.uk,dwp,policy,EO,wales,,,1,surprise\n", reference, allowed
    )
    assert [(e.line, e.field) for e in result.errors] == [(2, None)]


def test_expertise_limits_are_checked(reference: ReferenceData, allowed: AllowedDomains) -> None:
    many = ";".join(f"topic {i}" for i in range(21))
    long = "x" * 121
    text = f"{HEADER}\nA,a@dwp.gov.uk,dwp,,,,{many},,1\nB,b@dwp.gov.uk,dwp,,,,{long},,1\n"
    result = parse(text, reference, allowed)
    assert [(e.line, e.field) for e in result.errors] == [(2, "expertise"), (3, "expertise")]


def test_row_becomes_a_coach_profile_update_keeping_other_roles(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    text = f"{HEADER}\nCoach A,a@dwp.gov.uk,dwp,policy,G7,wales,Resilience,Strengths-based,0\n"
    row = parse(text, reference, allowed).rows[0]
    current = Profile.new("p-1", "A").model_copy(update={"roles": Roles(mentee=True)})
    updated = current.apply_update(row.to_update(current), reference)
    assert updated.roles == Roles(mentee=True, coach=True)
    assert updated.expertise_text == "Strengths-based"
    assert updated.expertise == ["Resilience"]
    assert updated.capacity == 0
    assert not updated.accepting_requests
    assert row.to_update().roles == Roles(coach=True)
    assert row.email_key == "a@dwp.gov.uk"


def test_documented_columns() -> None:
    assert tuple(HEADER.split(",")) == COACH_IMPORT_COLUMNS
