"""The coach spreadsheet as an Excel workbook: same checks as the CSV, and bounded."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import openpyxl
import pytest

from profile_service.domain import coach_workbook
from profile_service.domain.allowlist import AllowedDomains, default_allowed_domains
from profile_service.domain.coach_import import COACH_IMPORT_COLUMNS, parse_coach_csv
from profile_service.domain.coach_workbook import (
    MAX_SHEET_COLUMNS,
    MAX_SHEET_ROWS,
    OLE_MAGIC,
    parse_coach_file,
)
from profile_service.domain.errors import ImportFileInvalid
from profile_service.domain.reference import ReferenceData, default_reference_data

ADA = ["Ada Lovelace", "ada@hmrc.gov.uk", "hmrc", "ddat", "G7", "london", "Data; Leadership"]


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return default_reference_data()


@pytest.fixture(scope="module")
def allowed() -> AllowedDomains:
    return default_allowed_domains()


def workbook(rows: list[list[Any]], *, extra: dict[tuple[int, int], Any] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for (row_number, column), value in (extra or {}).items():
        sheet.cell(row=row_number, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def check(
    content: bytes, reference: ReferenceData, allowed: AllowedDomains, filename: str = "c.xlsx"
) -> Any:
    return parse_coach_file(content, filename=filename, reference=reference, allowed=allowed)


def test_workbook_rows_get_the_same_checks_as_csv_with_sheet_row_numbers(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    content = workbook(
        [
            ["Name", "EMAIL", *COACH_IMPORT_COLUMNS[2:], "Notes"],
            [*ADA, "Curious", 3],
            [],
            ["Bad Row", "bad@gmail.com", "co", "policy", "G6", "london", "", "x", 2.5],
        ]
    )
    # Named .csv: the zip content decides, not the name.
    result = check(content, reference, allowed, filename="coaches.csv")
    assert [row.email for row in result.rows] == ["ada@hmrc.gov.uk"]
    ada = result.rows[0]
    assert (ada.line, ada.capacity, ada.expertise) == (2, 3, ["Data", "Leadership"])
    assert [(error.line, error.field) for error in result.errors] == [
        (4, "email"),
        (4, "capacity"),
    ]
    assert result.ignored_columns == ["Notes"]
    as_csv = parse_coach_csv(
        b"name,email,department,profession,grade,region,expertise,approach,capacity\n"
        b"Ada Lovelace,ada@hmrc.gov.uk,hmrc,ddat,G7,london,Data; Leadership,Curious,3\n",
        reference=reference,
        allowed=allowed,
    )
    assert as_csv.rows[0].to_update() == ada.to_update()


def test_workbook_missing_columns_is_refused_like_csv(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    with pytest.raises(ImportFileInvalid, match="missing the column"):
        check(workbook([["name", "email"], ["Ada", "ada@hmrc.gov.uk"]]), reference, allowed)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (OLE_MAGIC + b"\x00" * 600, "password-protected"),
        (b"name,email\nnot a workbook\n", "not a valid Excel workbook"),
        (b"PK\x03\x04 truncated", "not a valid Excel workbook"),
    ],
    ids=["encrypted", "text-named-xlsx", "broken-zip"],
)
def test_unreadable_workbooks_are_refused(
    content: bytes, message: str, reference: ReferenceData, allowed: AllowedDomains
) -> None:
    with pytest.raises(ImportFileInvalid, match=message):
        check(content, reference, allowed)


def test_a_zip_without_workbook_parts_is_refused(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(ImportFileInvalid, match="cannot be read"):
        check(buffer.getvalue(), reference, allowed)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(
    reference: ReferenceData, allowed: AllowedDomains, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 1024 * 1024  # The real 50 MB limit, scaled down to keep the test fast.
    monkeypatch.setattr(coach_workbook, "MAX_XLSX_UNCOMPRESSED_BYTES", limit)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (limit + 1))
    content = buffer.getvalue()
    assert len(content) < 10_000
    with pytest.raises(ImportFileInvalid, match="unpacks to more than") as caught:
        check(content, reference, allowed)
    assert caught.value.details == {"limit_unpacked_bytes": limit}


def test_too_many_columns_or_rows_are_refused(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    header = list(COACH_IMPORT_COLUMNS)
    wide = workbook([header, [*ADA, "x", 1]], extra={(2, MAX_SHEET_COLUMNS + 1): "far right"})
    with pytest.raises(ImportFileInvalid, match="columns"):
        check(wide, reference, allowed)
    long = workbook([header, [*ADA, "x", 1]], extra={(200_000, 1): "far down"})
    with pytest.raises(ImportFileInvalid, match="rows"):
        check(long, reference, allowed)


def without_dimension(content: bytes) -> bytes:
    """The workbook with its sheet's declared size removed, as some exporters write it."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with source, zipfile.ZipFile(buffer, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
                assert b"<dimension" not in data
            target.writestr(member, data)
    return buffer.getvalue()


def test_cells_past_the_bounds_are_refused_even_when_the_size_is_not_declared(
    reference: ReferenceData, allowed: AllowedDomains
) -> None:
    header = list(COACH_IMPORT_COLUMNS)
    wide = without_dimension(workbook([header, [*ADA, "x", 1]], extra={(2, 200): "far right"}))
    with pytest.raises(ImportFileInvalid, match=f"beyond column {MAX_SHEET_COLUMNS}"):
        check(wide, reference, allowed)
    far_down = {(MAX_SHEET_ROWS + 5, 1): "far down"}
    long = without_dimension(workbook([header, [*ADA, "x", 1]], extra=far_down))
    with pytest.raises(ImportFileInvalid, match=f"below row {MAX_SHEET_ROWS}"):
        check(long, reference, allowed)
    # Without the stray cells the same sheet is fine.
    plain = without_dimension(workbook([header, [*ADA, "x", 1]]))
    assert len(check(plain, reference, allowed).rows) == 1


def test_formatted_empty_cells_count_towards_the_cell_bound(
    reference: ReferenceData, allowed: AllowedDomains, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coach_workbook, "MAX_SHEET_CELLS", 1_000)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(COACH_IMPORT_COLUMNS))
    for row in range(2, 40):
        # An empty but formatted cell far to the right widens every row read.
        sheet.cell(row=row, column=16_000).number_format = "0.00"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ImportFileInvalid, match="more than 1000 cells"):
        check(without_dimension(buffer.getvalue()), reference, allowed)
