"""Prefill a profile from the member's own LinkedIn data export.

LinkedIn's "Download your data" gives a ZIP with dozens of CSV files; three matter
here: ``Profile.csv`` (name, headline), ``Positions.csv`` (jobs) and ``Skills.csv``.
Members may upload the ZIP or any of those CSV files. Files are recognised by their
header row, not their name, because browsers rename downloads (``Profile (1).csv``).

Nothing here is applied on its own: :class:`ProfilePrefill` says what would be
filled in, and :meth:`ProfilePrefill.to_update` builds the change to apply once the
member confirms.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from profile_service.domain.errors import LinkedInExportInvalid
from profile_service.domain.profiles import (
    DISPLAY_NAME_MAX,
    FREE_TEXT_MAX,
    JOB_TITLE_MAX,
    LIST_ITEM_MAX,
    LIST_MAX_ITEMS,
    Profile,
    ProfileUpdate,
)

# The whole upload; a full export with years of messages is larger than the three files
# read from it, which are bounded separately by MAX_UNCOMPRESSED_BYTES.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 5 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 1000
MAX_CSV_ROWS = 2000
# A position's description is cut to this so several jobs fit in experience_text.
DESCRIPTION_SUMMARY_MAX = 400
# LinkedIn puts a few "Notes:" lines above the header in some of its files.
HEADER_SEARCH_LINES = 5

ExportFile = Literal["profile", "positions", "skills"]

PROFILE_HEADER = [
    "First Name",
    "Last Name",
    "Maiden Name",
    "Address",
    "Birth Date",
    "Headline",
    "Summary",
    "Industry",
    "Zip Code",
    "Geo Location",
    "Twitter Handles",
    "Websites",
    "Instant Messengers",
]
POSITIONS_HEADER = ["Company Name", "Title", "Description", "Location", "Started On", "Finished On"]
SKILLS_HEADER = ["Name"]

# The columns each file must have to be recognised; LinkedIn adds and drops others.
_REQUIRED: dict[ExportFile, frozenset[str]] = {
    "profile": frozenset({"First Name", "Last Name", "Headline"}),
    "positions": frozenset({"Company Name", "Title", "Started On", "Finished On"}),
    "skills": frozenset({"Name"}),
}
_FILE_NAMES: dict[ExportFile, str] = {
    "profile": "Profile.csv",
    "positions": "Positions.csv",
    "skills": "Skills.csv",
}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True, slots=True)
class Position:
    """One job from ``Positions.csv``."""

    company: str
    title: str
    description: str
    started_on: str
    finished_on: str

    @property
    def is_current(self) -> bool:
        """LinkedIn leaves "Finished On" empty for jobs held now."""
        return not self.finished_on

    def heading(self) -> str:
        """``Title, Company (Jan 2020 - present)``, leaving out whatever is missing."""
        text = ", ".join(part for part in (self.title, self.company) if part)
        dates = self.started_on and f"{self.started_on} - {self.finished_on or 'present'}"
        return f"{text} ({dates})" if dates and text else text or dates


@dataclass(frozen=True, slots=True)
class PrefillChange:
    """One field the prefill would change: what is there now and what would be there."""

    field: str
    current: object
    proposed: object


@dataclass(frozen=True, slots=True)
class ProfilePrefill:
    """What a LinkedIn export would fill in; None means "leave that field alone"."""

    display_name: str | None = None
    job_title: str | None = None
    experience_text: str | None = None
    expertise: list[str] | None = None
    files_used: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_update(self, current: Profile | None = None) -> ProfileUpdate:
        """The change to apply on confirmation.

        Skills are added to the expertise already on the profile (existing first, up to
        the limit) rather than replacing it; the other fields are replaced.
        """
        values: dict[str, object] = {}
        if self.display_name:
            values["display_name"] = self.display_name
        if self.job_title:
            values["job_title"] = self.job_title
        if self.experience_text:
            values["experience_text"] = self.experience_text
        if self.expertise:
            existing = list(current.expertise) if current else []
            values["expertise"] = _merge_items(existing, self.expertise)
        return ProfileUpdate.model_validate(values)

    def preview(self, current: Profile) -> list[PrefillChange]:
        """The fields that confirming would change, with before and after values."""
        update = self.to_update(current)
        changes = []
        for name in update.model_fields_set:
            before, after = getattr(current, name), getattr(update, name)
            if before != after:
                changes.append(PrefillChange(field=name, current=before, proposed=after))
        return sorted(changes, key=lambda change: change.field)


def _merge_items(existing: Sequence[str], extra: Iterable[str]) -> list[str]:
    merged = list(existing)
    seen = {item.casefold() for item in merged}
    for item in extra:
        if len(merged) >= LIST_MAX_ITEMS:
            break
        if item.casefold() not in seen:
            seen.add(item.casefold())
            merged.append(item)
    return merged


def parse_linkedin_upload(filename: str, content: bytes) -> ProfilePrefill:
    """Read one upload: the export ZIP, or one of its Profile, Positions or Skills CSVs.

    Raises:
        LinkedInExportInvalid: The file is not a usable export, with the reason.
    """
    return parse_linkedin_files([(filename, content)])


def parse_linkedin_files(uploads: Sequence[tuple[str, bytes]]) -> ProfilePrefill:
    """Read several uploads together (for example the three CSV files at once).

    Args:
        uploads: ``(filename, content)`` pairs; each may be a ZIP or a CSV file.

    Raises:
        LinkedInExportInvalid: A file is malformed, too large or not from LinkedIn, or
            none of the three useful files was found.
    """
    if not uploads:
        raise LinkedInExportInvalid("No file was uploaded.")
    found: dict[ExportFile, list[dict[str, str]]] = {}
    total = sum(len(content) for _, content in uploads)
    if total > MAX_UPLOAD_BYTES:
        raise LinkedInExportInvalid(
            f"The upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
            details={"limit_bytes": MAX_UPLOAD_BYTES},
        )
    for filename, content in uploads:
        if content.startswith(_ZIP_MAGIC):
            for kind, rows in _read_zip(filename, content).items():
                _keep(found, kind, rows, filename)
        else:
            kind, rows = _read_csv(filename, content, standalone=True)
            _keep(found, kind, rows, filename)
    if not found:
        raise LinkedInExportInvalid(
            "This archive has none of Profile.csv, Positions.csv or Skills.csv; upload the "
            "ZIP from LinkedIn's 'Download your data' or one of those files."
        )
    return _prefill(found)


def _keep(
    found: dict[ExportFile, list[dict[str, str]]],
    kind: ExportFile,
    rows: list[dict[str, str]],
    filename: str,
) -> None:
    if kind in found:
        raise LinkedInExportInvalid(
            f"{_FILE_NAMES[kind]} was uploaded twice (again in {filename!r}); upload it once.",
            details={"file": filename},
        )
    found[kind] = rows


def _read_zip(filename: str, content: bytes) -> dict[ExportFile, list[dict[str, str]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError) as error:
        raise LinkedInExportInvalid(
            f"{filename!r} is not a readable ZIP archive.", details={"file": filename}
        ) from error
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise LinkedInExportInvalid(
                f"{filename!r} holds more than {MAX_ARCHIVE_MEMBERS} files; "
                "this is not a LinkedIn export.",
                details={"file": filename},
            )
        wanted = {kind: _find_member(members, name) for kind, name in _FILE_NAMES.items()}
        budget = MAX_UNCOMPRESSED_BYTES
        found: dict[ExportFile, list[dict[str, str]]] = {}
        for kind, info in wanted.items():
            if info is None:
                continue
            data = _read_member(archive, info, budget, filename)
            budget -= len(data)
            member_kind, rows = _read_csv(info.filename, data, standalone=False)
            if member_kind != kind:
                raise LinkedInExportInvalid(
                    f"{info.filename!r} in {filename!r} does not have LinkedIn's columns for "
                    f"{_FILE_NAMES[kind]}.",
                    details={"file": info.filename},
                )
            found[kind] = rows
        return found


def _find_member(members: list[zipfile.ZipInfo], name: str) -> zipfile.ZipInfo | None:
    """The member whose base name is ``name`` (case-insensitive), shallowest first."""
    matches = [
        info
        for info in members
        if not info.is_dir() and info.filename.rsplit("/", 1)[-1].casefold() == name.casefold()
    ]
    return min(matches, key=lambda info: info.filename.count("/"), default=None)


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, filename: str
) -> bytes:
    """Read a member without ever inflating more than ``budget`` bytes."""
    too_big = LinkedInExportInvalid(
        f"{filename!r} unpacks to more than {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB "
        "of profile data; this is not a normal LinkedIn export.",
        details={"file": filename, "limit_bytes": MAX_UNCOMPRESSED_BYTES},
    )
    # The declared size can lie, so check it and then count what is really inflated.
    if info.file_size > budget:
        raise too_big
    if info.flag_bits & 0x1:
        raise LinkedInExportInvalid(
            f"{info.filename!r} in {filename!r} is encrypted.", details={"file": info.filename}
        )
    try:
        with archive.open(info) as member:
            data = member.read(budget + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as error:
        raise LinkedInExportInvalid(
            f"{info.filename!r} in {filename!r} cannot be unpacked.",
            details={"file": info.filename},
        ) from error
    if len(data) > budget:
        raise too_big
    return data


def _decode(filename: str, content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LinkedInExportInvalid(
            f"{filename!r} is UTF-16 text (as some spreadsheet programs save it); "
            "LinkedIn exports are UTF-8. Upload the file as downloaded, without re-saving it.",
            details={"file": filename},
        )
    if b"\x00" in content:
        raise LinkedInExportInvalid(
            f"{filename!r} is a binary file, not a CSV file.", details={"file": filename}
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LinkedInExportInvalid(
            f"{filename!r} is not UTF-8 text; LinkedIn exports are UTF-8. "
            "Upload the file as downloaded, without re-saving it.",
            details={"file": filename},
        ) from error


def _read_csv(
    filename: str, content: bytes, *, standalone: bool
) -> tuple[ExportFile, list[dict[str, str]]]:
    if standalone and len(content) > MAX_UNCOMPRESSED_BYTES:
        raise LinkedInExportInvalid(
            f"{filename!r} is larger than {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB.",
            details={"file": filename},
        )
    text = _decode(filename, content)
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        raise LinkedInExportInvalid(
            f"{filename!r} is not a well-formed CSV file ({error}).", details={"file": filename}
        ) from error
    for index, header in enumerate(lines[:HEADER_SEARCH_LINES]):
        names = [column.strip() for column in header]
        kind = _recognise(names)
        if kind is not None:
            rows = lines[index + 1 :]
            if len(rows) > MAX_CSV_ROWS:
                raise LinkedInExportInvalid(
                    f"{filename!r} has more than {MAX_CSV_ROWS} rows; this is not a "
                    f"LinkedIn {_FILE_NAMES[kind]}.",
                    details={"file": filename, "limit_rows": MAX_CSV_ROWS},
                )
            return kind, [_row(names, values) for values in rows if any(v.strip() for v in values)]
    raise LinkedInExportInvalid(
        f"{filename!r} is not LinkedIn's Profile.csv, Positions.csv or Skills.csv "
        "(its columns do not match).",
        details={"file": filename},
    )


def _recognise(columns: list[str]) -> ExportFile | None:
    present = set(columns)
    # Most specific first: Profile and Positions also have a column called "Name"-like.
    for kind in ("profile", "positions"):
        if _REQUIRED[kind] <= present:
            return kind
    if columns == SKILLS_HEADER:
        return "skills"
    return None


def _row(names: list[str], values: list[str]) -> dict[str, str]:
    return {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(names)}


def _clip(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:.-") + "…"


def _prefill(found: dict[ExportFile, list[dict[str, str]]]) -> ProfilePrefill:
    notes: list[str] = []
    display_name = None
    headline = ""
    if "profile" in found:
        profile_rows = found["profile"]
        if profile_rows:
            first = profile_rows[0]
            name = " ".join(
                part for part in (first.get("First Name", ""), first.get("Last Name", "")) if part
            )
            display_name = _clip(name, DISPLAY_NAME_MAX) or None
            headline = first.get("Headline", "")

    positions = [
        Position(
            company=row.get("Company Name", ""),
            title=row.get("Title", ""),
            description=row.get("Description", ""),
            started_on=row.get("Started On", ""),
            finished_on=row.get("Finished On", ""),
        )
        for row in found.get("positions", [])
    ]
    current = next((p for p in positions if p.is_current and p.title), None)
    # A job title reads better than a headline, which is often a slogan; fall back to it.
    job_title_source = current.title if current else headline
    job_title = _clip(job_title_source, JOB_TITLE_MAX) or None

    experience_text = _experience(positions, notes) or None

    expertise = None
    if "skills" in found:
        skills = [" ".join(row.get("Name", "").split()) for row in found["skills"]]
        kept = _merge_items([], (s for s in skills if s and len(s) <= LIST_ITEM_MAX))
        left_out = len({s.casefold() for s in skills if s}) - len(kept)
        if left_out > 0:
            notes.append(
                f"{left_out} skill(s) were left out: a profile lists at most {LIST_MAX_ITEMS} "
                f"areas of expertise of up to {LIST_ITEM_MAX} characters each."
            )
        expertise = kept or None

    return ProfilePrefill(
        display_name=display_name,
        job_title=job_title,
        experience_text=experience_text,
        expertise=expertise,
        files_used=[
            _FILE_NAMES[kind] for kind in ("profile", "positions", "skills") if kind in found
        ],
        notes=notes,
    )


def _experience(positions: list[Position], notes: list[str]) -> str:
    """Positions newest first (LinkedIn's order), each with a short description, within limits."""
    entries: list[str] = []
    used = 0
    left_out = 0
    for position in positions:
        heading = position.heading()
        if not heading:
            continue
        description = _clip(position.description, DESCRIPTION_SUMMARY_MAX)
        separator = 2 if entries else 0  # a blank line between entries
        for candidate in (f"{heading}: {description}" if description else heading, heading):
            if used + separator + len(candidate) <= FREE_TEXT_MAX:
                entries.append(candidate)
                used += separator + len(candidate)
                break
        else:
            left_out += 1
    if left_out:
        notes.append(
            f"{left_out} older position(s) did not fit in the {FREE_TEXT_MAX}-character "
            "experience text."
        )
    return "\n\n".join(entries)
