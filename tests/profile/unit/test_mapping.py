"""One mapper for both stores: rows and documents hold the same fields, in the old formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from profile_service.adapters import mapping
from profile_service.domain.account_tokens import AccountToken, PendingCredential
from profile_service.domain.accounts import Account
from profile_service.domain.allowlist import parse_email
from profile_service.domain.grants import ContactGrant
from profile_service.domain.invitations import CoachImportRecord
from profile_service.domain.profiles import Profile
from profile_service.domain.tokens import RefreshToken

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
ACCOUNT = Account.register(
    "a-1", parse_email("Ada@CO.gov.uk"), display_name="Ada", password_hash="h", now=NOW
).account.verify_email(now=NOW)
GRANT = ContactGrant(match_id="m", mentee_id="a", mentor_id="b", granted_at=NOW)
CREDENTIAL = PendingCredential(
    token_id="t", account_id="a-1", password_hash="h", display_name="Ada", created_at=NOW
)
STORED: list[tuple[mapping.Stored[Any], BaseModel]] = [
    (mapping.ACCOUNT, ACCOUNT),
    (mapping.REFRESH_TOKEN, RefreshToken.issue("a-1", now=NOW, ttl=timedelta(days=1)).record),
    (mapping.ACCOUNT_TOKEN, AccountToken.issue("a-1", "verify", now=NOW, ttl=timedelta(1)).record),
    (mapping.CONTACT_GRANT, GRANT),
    (mapping.PENDING_CREDENTIAL, CREDENTIAL),
]


@pytest.mark.parametrize(("stored", "item"), STORED, ids=lambda value: type(value).__name__)
def test_every_stored_model_reads_back_from_its_row_and_its_document(
    stored: mapping.Stored[Any], item: BaseModel
) -> None:
    assert stored.load(stored.row(item)) == item
    assert stored.load(stored.document(item)) == item


def test_documents_are_keyed_by_id_and_grants_keep_their_match_id() -> None:
    assert mapping.ACCOUNT.document(ACCOUNT)["_id"] == "a-1"
    assert "id" not in mapping.ACCOUNT.document(ACCOUNT)
    grant = mapping.CONTACT_GRANT.document(GRANT)
    assert grant["_id"] == grant["match_id"] == "m"
    credential = mapping.PENDING_CREDENTIAL.document(CREDENTIAL)
    assert credential["_id"] == "t"
    assert "token_id" not in credential


def test_accounts_keep_their_lookup_key_and_iso_text_times_in_sqlite() -> None:
    row = mapping.ACCOUNT.row(ACCOUNT)
    assert row["email_key"] == "ada@co.gov.uk"
    assert row["created_at"] == "2026-11-01T09:00:00+00:00"
    assert row["email_verified_at"] == "2026-11-01T09:00:00+00:00"
    assert mapping.ACCOUNT.document(ACCOUNT)["created_at"] == NOW


def test_a_profile_reads_back_from_sqlite_text_and_a_mongodb_document() -> None:
    profile = Profile.new("p-1", "Ada Lovelace")
    row, document = mapping.profile_row(profile), mapping.profile_document(profile)
    assert mapping.load_profile(row["document"]) == profile
    assert mapping.load_profile(document["document"]) == profile
    assert {k: v for k, v in row.items() if k not in {"id", "document"}} == {
        k: v for k, v in document.items() if k not in {"_id", "document"}
    }


def test_import_progress_reads_both_stores_time_formats() -> None:
    record = CoachImportRecord(id="i-1", created_at=NOW, created=1, updated=2, unchanged=3)
    fields = mapping.import_record_fields(record)
    from_mongo = mapping.load_import_progress(
        {"_id": "i-1", **fields, "send_requested_at": None}, {"sent": 2}
    )
    from_sqlite = mapping.load_import_progress(
        {"id": "i-1", **fields, "created_at": NOW.isoformat(), "send_requested_at": None},
        {"sent": 2},
    )
    assert from_mongo == from_sqlite
    assert from_mongo.record == record
    assert from_mongo.sent == 2
