"""The legacy coach spreadsheet, exported as CSV, checked row by row before import.

Columns (any order, header names case-insensitive): ``name, email, department,
profession, grade, region, expertise, approach, capacity``. ``expertise`` is a
semicolon-separated list; ``department``, ``profession``, ``grade`` and ``region``
may be codes or full names from the reference lists. Every bad row is reported with
its line number and reason so that a dry run can show them all at once; the import
itself (idempotent by email) is the service layer's job.

Spreadsheet quirks handled: a UTF-8 byte-order mark, Windows-1252 text (Excel's
"CSV (Comma delimited)"), CRLF line ends, quoted cells with commas or line breaks,
semicolon- or tab-separated files, and blank rows at the end.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mentor_shared.events.schemas import Roles
from profile_service.domain.allowlist import AllowedDomains, email_key
from profile_service.domain.errors import DomainError, ImportFileInvalid
from profile_service.domain.profiles import (
    DISPLAY_NAME_MAX,
    FREE_TEXT_MAX,
    LIST_ITEM_MAX,
    LIST_MAX_ITEMS,
    MAX_CAPACITY,
    Profile,
    ProfileUpdate,
)
from profile_service.domain.reference import REFERENCE_FIELDS, ReferenceData

COACH_IMPORT_COLUMNS = (
    "name",
    "email",
    "department",
    "profession",
    "grade",
    "region",
    "expertise",
    "approach",
    "capacity",
)
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class ImportRowError:
    """Why one row (or one cell of it) cannot be imported."""

    line: int
    field: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """``{"line", "field", "reason"}`` for the dry-run report."""
        return {"line": self.line, "field": self.field, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class CoachRow:
    """One valid coach, with reference values resolved to codes."""

    line: int
    name: str
    email: str
    department: str | None
    profession: str | None
    grade: str | None
    region: str | None
    expertise: list[str]
    approach: str
    capacity: int

    @property
    def email_key(self) -> str:
        """The address lower-cased: the key that makes the import idempotent."""
        return email_key(self.email)

    def to_update(self, current: Profile | None = None) -> ProfileUpdate:
        """The profile change for this coach; other roles the person has are kept.

        The spreadsheet's approach becomes ``expertise_text``, the free text matched
        against mentees' goals.
        """
        roles = current.roles if current else Roles()
        return ProfileUpdate(
            display_name=self.name,
            department=self.department,
            profession=self.profession,
            grade=self.grade,
            region=self.region,
            roles=roles.model_copy(update={"coach": True}),
            expertise=list(self.expertise),
            expertise_text=self.approach,
            capacity=self.capacity,
            accepting_requests=self.capacity > 0,
        )


@dataclass(slots=True)
class CoachImportResult:
    """The outcome of checking a file: valid rows, every error, and columns not used."""

    rows: list[CoachRow] = field(default_factory=list)
    errors: list[ImportRowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    encoding: str = "utf-8"

    @property
    def ok(self) -> bool:
        """Whether every row is valid."""
        return not self.errors

    def invalid_lines(self) -> list[int]:
        """Line numbers with at least one error, in order."""
        return sorted({error.line for error in self.errors})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary for the dry-run response."""
        return {
            "rows_read": self.rows_read,
            "valid": len(self.rows),
            "invalid": len(self.invalid_lines()),
            "errors": [error.to_dict() for error in self.errors],
            "ignored_columns": self.ignored_columns,
        }


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileInvalid(
            "The file is UTF-16 text; save it from the spreadsheet as 'CSV UTF-8' "
            "or 'CSV (Comma delimited)'."
        )
    if b"\x00" in content:
        raise ImportFileInvalid("The file is binary, not CSV; save the spreadsheet as CSV.")
    try:
        return content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass  # Not UTF-8: fall back to Excel's Windows default below.
    try:
        return content.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise ImportFileInvalid(
            "The file is neither UTF-8 nor Windows-1252 text; save it as 'CSV UTF-8'."
        ) from error


def _delimiter(header_line: str) -> str:
    """Comma unless the header clearly uses semicolons or tabs (some Excel locales)."""
    if "," in header_line:
        return ","
    if "\t" in header_line:
        return "\t"
    if ";" in header_line:
        return ";"
    return ","


def _split_expertise(text: str) -> list[str]:
    items: list[str] = []
    seen: set[str] = set()
    for raw in text.split(";"):
        item = " ".join(raw.split())
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            items.append(item)
    return items


def parse_coach_csv(
    content: bytes, *, reference: ReferenceData, allowed: AllowedDomains
) -> CoachImportResult:
    """Check a coach spreadsheet CSV and return valid rows and every error.

    Line numbers count physical lines from 1 (the header), so a cell holding a line
    break moves the rows after it down as a spreadsheet program would show them. The
    first row with a given email wins; later ones are reported as duplicates.

    Args:
        content: The uploaded file.
        reference: Reference lists to resolve department, profession, grade, region.
        allowed: The email-domain allow-list.

    Raises:
        ImportFileInvalid: The file as a whole is unusable (empty, too large, not text,
            malformed CSV, required columns missing, too many rows).
    """
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportFileInvalid(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.",
            details={"limit_bytes": MAX_IMPORT_BYTES},
        )
    text, encoding = _decode(content)
    if not text.strip():
        raise ImportFileInvalid("The file is empty.")
    first_line = text.lstrip("\r\n").splitlines()[0]
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True
    )
    result = CoachImportResult(encoding=encoding)
    try:
        check_coach_table(_csv_records(reader), result, reference=reference, allowed=allowed)
    except csv.Error as error:
        raise ImportFileInvalid(
            f"Line {reader.line_num}: the file is not well-formed CSV ({error}).",
            details={"line": reader.line_num},
        ) from error
    return result


def _csv_records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the physical line it starts on."""
    line = reader.line_num + 1
    for values in reader:
        start, line = line, reader.line_num + 1
        yield start, values


def check_coach_table(
    records: Iterable[tuple[int, list[str]]],
    result: CoachImportResult,
    *,
    reference: ReferenceData,
    allowed: AllowedDomains,
) -> None:
    """Check a spreadsheet given as ``(line, cells)`` records, header first, into ``result``.

    Shared by the CSV and the Excel (.xlsx) readers so that both apply the same
    header and row checks. Blank records are skipped; the first non-blank one is the
    header.

    Raises:
        ImportFileInvalid: No header, required columns missing or repeated, or more
            than :data:`MAX_IMPORT_ROWS` rows.
    """
    rows = iter(records)
    first = next(((line, values) for line, values in rows if any(v.strip() for v in values)), None)
    if first is None:
        raise ImportFileInvalid("The file has no header row.")
    header_line, header = first
    columns = [" ".join(name.split()).casefold() for name in header]
    missing = [name for name in COACH_IMPORT_COLUMNS if name not in columns]
    if missing:
        raise ImportFileInvalid(
            f"Line {header_line}: the header is missing the column(s) {', '.join(missing)}. "
            f"Expected: {', '.join(COACH_IMPORT_COLUMNS)}.",
            details={"missing_columns": missing, "line": header_line},
        )
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        raise ImportFileInvalid(
            f"Line {header_line}: the column(s) {', '.join(repeated)} appear more than once.",
            details={"repeated_columns": repeated, "line": header_line},
        )
    result.ignored_columns = [
        name
        for name in header
        if name.strip() and name.strip().casefold() not in COACH_IMPORT_COLUMNS
    ]
    index = {name: columns.index(name) for name in COACH_IMPORT_COLUMNS}
    first_line_of: dict[str, int] = {}
    for start, values in rows:
        if not any(value.strip() for value in values):
            continue
        result.rows_read += 1
        if result.rows_read > MAX_IMPORT_ROWS:
            raise ImportFileInvalid(
                f"The file has more than {MAX_IMPORT_ROWS} rows; split it into smaller files.",
                details={"limit_rows": MAX_IMPORT_ROWS},
            )
        cells = {name: values[i].strip() if i < len(values) else "" for name, i in index.items()}
        extra = len(values) - len(header)
        row, errors = _check_row(start, cells, reference, allowed)
        if extra > 0 and any(value.strip() for value in values[len(header) :]):
            errors.append(
                ImportRowError(start, None, f"{extra} more cell(s) than the header has columns")
            )
        key = email_key(cells["email"])
        if key:
            earlier = first_line_of.setdefault(key, start)
            if earlier != start:
                errors.append(
                    ImportRowError(start, "email", f"the same email is already on line {earlier}")
                )
        if errors:
            result.errors.extend(errors)
        elif row is not None:
            result.rows.append(row)


def _check_row(
    line: int, cells: dict[str, str], reference: ReferenceData, allowed: AllowedDomains
) -> tuple[CoachRow | None, list[ImportRowError]]:
    errors: list[ImportRowError] = []

    def fail(column: str, reason: str) -> None:
        errors.append(ImportRowError(line, column, reason))

    name = " ".join(cells["name"].split())
    if not name:
        fail("name", "the name is empty")
    elif len(name) > DISPLAY_NAME_MAX:
        fail("name", f"the name is longer than {DISPLAY_NAME_MAX} characters")

    email = ""
    if not cells["email"]:
        fail("email", "the email is empty")
    else:
        try:
            email = str(allowed.check(cells["email"]))
        except DomainError as error:
            fail("email", error.message)

    codes: dict[str, str | None] = {}
    for column, kind in REFERENCE_FIELDS.items():
        value = cells[column]
        codes[column] = None
        if value:
            try:
                codes[column] = reference.resolve(kind, value)
            except DomainError:
                fail(column, f"{value!r} is not a known {column} code or name")

    expertise = _split_expertise(cells["expertise"])
    if len(expertise) > LIST_MAX_ITEMS:
        fail("expertise", f"{len(expertise)} areas of expertise; at most {LIST_MAX_ITEMS}")
    for item in expertise:
        if len(item) > LIST_ITEM_MAX:
            fail("expertise", f"{item[:30]!r}... is longer than {LIST_ITEM_MAX} characters")

    approach = cells["approach"]
    if len(approach) > FREE_TEXT_MAX:
        fail("approach", f"the approach is longer than {FREE_TEXT_MAX} characters")

    capacity = 0
    raw_capacity = cells["capacity"]
    if not raw_capacity:
        fail("capacity", f"the capacity is empty; give a whole number from 0 to {MAX_CAPACITY}")
    else:
        # Spreadsheets turn 3 into "3.0"; accept that, but not 2.5.
        number = raw_capacity.removesuffix(".0")
        if not number.isdigit() or not number.isascii():
            fail("capacity", f"{raw_capacity!r} is not a whole number from 0 to {MAX_CAPACITY}")
        elif not 0 <= int(number) <= MAX_CAPACITY:
            fail("capacity", f"{raw_capacity} is outside 0 to {MAX_CAPACITY}")
        else:
            capacity = int(number)

    if errors:
        return None, errors
    return (
        CoachRow(
            line=line,
            name=name,
            email=email,
            department=codes["department"],
            profession=codes["profession"],
            grade=codes["grade"],
            region=codes["region"],
            expertise=expertise,
            approach=approach,
            capacity=capacity,
        ),
        errors,
    )
