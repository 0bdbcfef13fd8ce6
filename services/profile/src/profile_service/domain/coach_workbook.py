"""The coach spreadsheet as an Excel workbook (.xlsx), checked like the CSV.

Only the first worksheet is read, with cached formula results (``data_only``) and in
openpyxl's streaming read-only mode. A workbook is a zip of XML files, so before
openpyxl opens it the zip directory is checked: at most :data:`MAX_XLSX_MEMBERS`
members, none encrypted, and at most :data:`MAX_XLSX_UNCOMPRESSED_BYTES` once
unpacked (a zip bomb of a few kilobytes can otherwise unpack to gigabytes). The
declared sizes are binding: Python's zip reader stops at a member's declared size
and fails its checksum if there is more. A sheet with anything past row
:data:`MAX_SHEET_ROWS` or column :data:`MAX_SHEET_COLUMNS` is refused; line numbers
are the sheet's row numbers, as Excel shows them.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

import openpyxl

from profile_service.domain.allowlist import AllowedDomains
from profile_service.domain.coach_import import (
    MAX_IMPORT_BYTES,
    CoachImportResult,
    check_coach_table,
    parse_coach_csv,
)
from profile_service.domain.errors import ImportFileInvalid
from profile_service.domain.reference import ReferenceData

ZIP_MAGIC = b"PK\x03\x04"
# Password-protected .xlsx files (and old .xls files) are OLE compound documents.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_XLSX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_XLSX_MEMBERS = 1_000
MAX_SHEET_ROWS = 100_000
MAX_SHEET_COLUMNS = 50
MAX_SHEET_CELLS = 2_000_000

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SAVE_AS = "save it from Excel as 'Excel Workbook (.xlsx)' or as CSV"


def looks_like_workbook(content: bytes, filename: str = "") -> bool:
    """Whether an upload is meant as a workbook: zip or OLE content, or an Excel file name.

    The content decides first, so a workbook named ``coaches.csv`` is still read as
    one; the name only matters for content that is neither (which is then refused as
    a broken workbook rather than read as text).
    """
    if content.startswith((ZIP_MAGIC, OLE_MAGIC)):
        return True
    return filename.casefold().endswith((".xlsx", ".xlsm", ".xls"))


def _check_zip(content: bytes) -> None:
    if content.startswith(OLE_MAGIC):
        raise ImportFileInvalid(
            "The workbook is password-protected or in the old .xls format; remove the "
            f"password and {_SAVE_AS}."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileInvalid(
            f"The file is not a valid Excel workbook (.xlsx); {_SAVE_AS}."
        ) from error
    if len(members) > MAX_XLSX_MEMBERS:
        raise ImportFileInvalid(
            f"The workbook has more than {MAX_XLSX_MEMBERS} parts; {_SAVE_AS}.",
            details={"limit_members": MAX_XLSX_MEMBERS},
        )
    if any(member.flag_bits & 0x1 for member in members):
        raise ImportFileInvalid(f"The workbook is encrypted; remove the password and {_SAVE_AS}.")
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise ImportFileInvalid(
            f"The workbook unpacks to more than {MAX_XLSX_UNCOMPRESSED_BYTES // (1024 * 1024)} "
            "MB; remove other sheets, pictures and formatting, or save it as CSV.",
            details={"limit_unpacked_bytes": MAX_XLSX_UNCOMPRESSED_BYTES},
        )


def _text(value: Any) -> str:
    """A cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _records(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    """The sheet's rows from row 1, each as wide as its last cell.

    No row or column bound is passed to openpyxl: it would pad every row to it. The
    work stays bounded because the first row past :data:`MAX_SHEET_ROWS` (or gap
    before it) stops the read, and so do more than :data:`MAX_SHEET_CELLS` cells in
    all (a row is as wide as its last cell, empty formatted cells included).
    """
    cells_read = 0
    for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells_read += len(values)
        if cells_read > MAX_SHEET_CELLS:
            raise ImportFileInvalid(
                f"Line {line}: the sheet has more than {MAX_SHEET_CELLS} cells; clear unused "
                "rows and columns, or save it as CSV.",
                details={"limit_cells": MAX_SHEET_CELLS, "line": line},
            )
        if line > MAX_SHEET_ROWS:
            raise ImportFileInvalid(
                f"The sheet has rows below row {MAX_SHEET_ROWS}; split it into smaller files.",
                details={"limit_rows": MAX_SHEET_ROWS},
            )
        if any(value not in (None, "") for value in values[MAX_SHEET_COLUMNS:]):
            raise ImportFileInvalid(
                f"Line {line}: the sheet has cells beyond column {MAX_SHEET_COLUMNS}; "
                "remove the columns that are not needed.",
                details={"limit_columns": MAX_SHEET_COLUMNS, "line": line},
            )
        yield line, [_text(value) for value in values[:MAX_SHEET_COLUMNS]]


def parse_coach_xlsx(
    content: bytes, *, reference: ReferenceData, allowed: AllowedDomains
) -> CoachImportResult:
    """Check the first sheet of a coach workbook with the same rules as the CSV.

    Args:
        content: The uploaded workbook.
        reference: Reference lists to resolve department, profession, grade, region.
        allowed: The email-domain allow-list.

    Raises:
        ImportFileInvalid: The file is too large, not a readable .xlsx workbook,
            encrypted, unpacks too large, has too many rows or columns, or fails the
            header checks of :func:`check_coach_table`.
    """
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportFileInvalid(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.",
            details={"limit_bytes": MAX_IMPORT_BYTES},
        )
    _check_zip(content)
    result = CoachImportResult(encoding="xlsx")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for broken parts.
        raise ImportFileInvalid(
            f"The workbook cannot be read ({type(error).__name__}); {_SAVE_AS}."
        ) from error
    try:
        if not workbook.worksheets:
            raise ImportFileInvalid("The workbook has no worksheet.")
        sheet = workbook.worksheets[0]
        declared_rows, declared_columns = sheet.max_row or 0, sheet.max_column or 0
        if declared_rows > MAX_SHEET_ROWS or declared_columns > MAX_SHEET_COLUMNS:
            raise ImportFileInvalid(
                f"The first sheet is {declared_rows} rows by {declared_columns} columns; "
                f"at most {MAX_SHEET_ROWS} rows and {MAX_SHEET_COLUMNS} columns are read. "
                "Clear unused rows and columns, or save it as CSV.",
                details={"limit_rows": MAX_SHEET_ROWS, "limit_columns": MAX_SHEET_COLUMNS},
            )
        # The declared size can be wrong; read what is there, within the bounds above.
        sheet.reset_dimensions()
        check_coach_table(_records(sheet), result, reference=reference, allowed=allowed)
    except ImportFileInvalid:
        raise
    except Exception as error:  # A malformed sheet part fails while it is streamed.
        raise ImportFileInvalid(
            f"The workbook's first sheet cannot be read ({type(error).__name__}); {_SAVE_AS}."
        ) from error
    finally:
        workbook.close()
    return result


def parse_coach_file(
    content: bytes,
    *,
    filename: str = "",
    reference: ReferenceData,
    allowed: AllowedDomains,
) -> CoachImportResult:
    """Check a coach spreadsheet sent as CSV or as an Excel workbook (.xlsx).

    Raises:
        ImportFileInvalid: See :func:`parse_coach_xlsx` and
            :func:`~profile_service.domain.coach_import.parse_coach_csv`.
    """
    if looks_like_workbook(content, filename):
        return parse_coach_xlsx(content, reference=reference, allowed=allowed)
    return parse_coach_csv(content, reference=reference, allowed=allowed)
