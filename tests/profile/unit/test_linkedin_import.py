"""Prefill from the member's own LinkedIn data export (real ZIPs built in memory)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from profile_service.domain.errors import LinkedInExportInvalid
from profile_service.domain.linkedin import (
    MAX_CSV_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    POSITIONS_HEADER,
    PROFILE_HEADER,
    SKILLS_HEADER,
    parse_linkedin_files,
    parse_linkedin_upload,
)
from profile_service.domain.profiles import FREE_TEXT_MAX, LIST_MAX_ITEMS, Profile
from profile_service.domain.reference import default_reference_data


def csv_bytes(header: list[str], rows: list[list[str]], *, bom: bool = False) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def profile_csv(headline: str = "Policy lead at DWP | Mentor") -> bytes:
    row = ["Priya", "Patel", "", "", "Jan 1, 1990", headline, "About me", "Government", "", "Leeds",
           "", "", ""]  # fmt: skip
    return csv_bytes(PROFILE_HEADER, [row])


def positions_csv() -> bytes:
    return csv_bytes(
        POSITIONS_HEADER,
        [
            ["Department for Work and Pensions", "Senior Policy Adviser",
             "Led the Universal Credit\nmigration policy team.", "Leeds", "Mar 2021", ""],
            ["HM Revenue and Customs", "Policy Adviser", "Tax credits policy.", "London",
             "Sep 2017", "Feb 2021"],
        ],
    )  # fmt: skip


def skills_csv(names: list[str] | None = None) -> bytes:
    names = (
        names
        if names is not None
        else ["Policy Analysis", "Stakeholder Management", "Policy analysis"]
    )
    return csv_bytes(SKILLS_HEADER, [[name] for name in names])


def export_zip(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def full_export() -> dict[str, bytes]:
    connections = b'Notes:\r\n"When exporting your connection data..."\r\n\r\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\r\nA,B,https://x,,C,D,01 Jan 2024\r\n'
    return {
        "Profile.csv": profile_csv(),
        "Positions.csv": positions_csv(),
        "Skills.csv": skills_csv(),
        "Connections.csv": connections,
        "messages.csv": b"CONVERSATION ID,FROM,TO,DATE,CONTENT\r\n1,a,b,2024,hello\r\n",
        "Certifications.csv": b"Name,Url,Authority,Started On,Finished On,License Number\r\n",
        "Jobs/Job Applications.csv": b"Application Date,Company Name,Job Title\r\n",
    }


def test_full_export_zip_prefills_name_title_experience_and_expertise() -> None:
    prefill = parse_linkedin_upload(
        "Basic_LinkedInDataExport_11-03-2026.zip", export_zip(full_export())
    )
    assert prefill.display_name == "Priya Patel"
    assert prefill.job_title == "Senior Policy Adviser"
    assert prefill.experience_text == (
        "Senior Policy Adviser, Department for Work and Pensions (Mar 2021 - present): "
        "Led the Universal Credit migration policy team.\n\n"
        "Policy Adviser, HM Revenue and Customs (Sep 2017 - Feb 2021): Tax credits policy."
    )
    assert prefill.expertise == ["Policy Analysis", "Stakeholder Management"]
    assert prefill.files_used == ["Profile.csv", "Positions.csv", "Skills.csv"]


def test_individual_csv_files_can_be_uploaded_together_whatever_their_names() -> None:
    prefill = parse_linkedin_files(
        [
            ("Profile (1).csv", profile_csv()),
            ("download.csv", positions_csv()),
            ("Skills.csv", skills_csv()),
        ]
    )
    assert prefill.display_name == "Priya Patel"
    assert prefill.job_title == "Senior Policy Adviser"
    assert prefill.expertise == ["Policy Analysis", "Stakeholder Management"]


def test_headline_is_the_job_title_when_no_position_is_current() -> None:
    prefill = parse_linkedin_upload("Profile.csv", profile_csv(headline="Economist, HM Treasury"))
    assert prefill.job_title == "Economist, HM Treasury"
    assert prefill.experience_text is None
    assert prefill.expertise is None


def test_goals_are_never_prefilled() -> None:
    update = parse_linkedin_upload("x.zip", export_zip(full_export())).to_update()
    assert "goals" not in update.model_fields_set
    assert "goals_text" not in update.model_fields_set


def test_only_skills_sets_only_expertise() -> None:
    prefill = parse_linkedin_upload("Skills.csv", skills_csv(["Python", "SQL"]))
    update = prefill.to_update()
    assert update.model_fields_set == {"expertise"}
    assert update.expertise == ["Python", "SQL"]


def test_byte_order_mark_and_notes_lines_above_the_header_are_tolerated() -> None:
    content = b"\xef\xbb\xbfNotes:\r\nSome text\r\n" + skills_csv(["Python"])
    assert parse_linkedin_upload("Skills.csv", content).expertise == ["Python"]


def test_skills_beyond_the_limit_are_left_out_with_a_note() -> None:
    prefill = parse_linkedin_upload("Skills.csv", skills_csv([f"Skill {i}" for i in range(30)]))
    assert prefill.expertise is not None
    assert len(prefill.expertise) == LIST_MAX_ITEMS
    assert any("10 skill(s)" in note for note in prefill.notes)


def test_experience_text_stays_within_its_limit_and_keeps_newest_jobs_first() -> None:
    rows = [
        [f"Org {i}", f"Role {i}", "Did many important things. " * 40, "", f"Jan {2020 - i}", ""]
        for i in range(12)
    ]
    prefill = parse_linkedin_upload("Positions.csv", csv_bytes(POSITIONS_HEADER, rows))
    assert prefill.experience_text is not None
    assert len(prefill.experience_text) <= FREE_TEXT_MAX
    assert prefill.experience_text.startswith("Role 0, Org 0 (Jan 2020 - present): Did many")
    assert "…" in prefill.experience_text
    assert any("older position" in note for note in prefill.notes)


def test_confirming_merges_skills_after_existing_expertise_and_previews_changes() -> None:
    current = Profile.new("p-1", "P. Patel").model_copy(
        update={"expertise": ["Line management", "policy analysis"]}
    )
    prefill = parse_linkedin_upload("x.zip", export_zip(full_export()))
    update = prefill.to_update(current)
    assert update.expertise == ["Line management", "policy analysis", "Stakeholder Management"]
    changes = {change.field: change for change in prefill.preview(current)}
    assert set(changes) == {"display_name", "job_title", "experience_text", "expertise"}
    assert changes["display_name"].current == "P. Patel"
    assert changes["display_name"].proposed == "Priya Patel"
    applied = current.apply_update(update, default_reference_data())
    assert applied.display_name == "Priya Patel"
    assert applied.version == 2


def zip_bomb() -> bytes:
    # Zeros compress about 1000:1, so this archive is a few kilobytes.
    padding = b"0" * (MAX_UNCOMPRESSED_BYTES + 1)
    return export_zip({"Skills.csv": b"Name\r\n" + padding})


@pytest.mark.parametrize(
    ("filename", "content", "fragment"),
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "binary"),
        ("notes.txt", b"just some words\nand more", "not LinkedIn's"),
        ("Profile.csv", b"Name,Email\r\nA,b@c.d\r\n", "not LinkedIn's"),
        ("Profile.csv", "First Name,Last Name,Headline\r\nZoë,Ä,x\r\n".encode("cp1252"), "UTF-8"),
        ("Profile.csv", "First Name,Last Name,Headline\r\n".encode("utf-16"), "UTF-16"),
        ("export.zip", b"PK\x03\x04this is not really a zip", "not a readable ZIP"),
        ("export.zip", zip_bomb(), "unpacks to more than"),
        ("export.zip", export_zip({"Connections.csv": b"a,b\r\n"}), "none of Profile.csv"),
        ("export.zip", export_zip({"Profile.csv": b"Name\r\nA\r\n"}), "LinkedIn's columns"),
        ("Skills.csv", b'Name\r\n"unterminated\r\n', "well-formed"),
        ("Skills.csv", skills_csv([f"s{i}" for i in range(MAX_CSV_ROWS + 1)]), "more than"),
    ],
    ids=[
        "image",
        "plain text",
        "foreign csv",
        "windows-1252",
        "utf-16",
        "corrupt zip",
        "zip bomb",
        "zip without the files",
        "zip with a foreign Profile.csv",
        "broken quoting",
        "too many rows",
    ],
)
def test_malformed_or_foreign_files_get_a_clear_error(
    filename: str, content: bytes, fragment: str
) -> None:
    with pytest.raises(LinkedInExportInvalid) as raised:
        parse_linkedin_upload(filename, content)
    assert raised.value.code == "linkedin_export_invalid"
    assert fragment in raised.value.message


def test_zip_bomb_archive_is_small_but_refused_before_inflating() -> None:
    bomb = zip_bomb()
    assert len(bomb) < 100_000
    with pytest.raises(LinkedInExportInvalid):
        parse_linkedin_upload("export.zip", bomb)


def test_an_archive_with_too_many_members_is_refused() -> None:
    files = {f"f{i}.csv": b"" for i in range(1001)}
    with pytest.raises(LinkedInExportInvalid, match="more than 1000 files"):
        parse_linkedin_upload("export.zip", export_zip(files, compression=zipfile.ZIP_STORED))


def test_the_same_file_uploaded_twice_is_refused() -> None:
    with pytest.raises(LinkedInExportInvalid, match="uploaded twice"):
        parse_linkedin_files([("a.csv", skills_csv()), ("b.csv", skills_csv())])


def test_no_files_is_refused() -> None:
    with pytest.raises(LinkedInExportInvalid, match="No file"):
        parse_linkedin_files([])


def test_uploads_over_the_size_limit_are_refused_before_reading() -> None:
    from profile_service.domain.linkedin import MAX_UPLOAD_BYTES

    with pytest.raises(LinkedInExportInvalid, match="larger than 20 MB"):
        parse_linkedin_upload("export.zip", b"PK\x03\x04" + b"\x00" * MAX_UPLOAD_BYTES)
