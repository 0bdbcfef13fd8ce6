"""Refresh tokens: hashes only, rotation on use, reuse revokes the family."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from profile_service.domain.errors import RefreshTokenInvalid, RefreshTokenReused
from profile_service.domain.tokens import (
    REFRESH_TOKEN_TTL,
    RefreshToken,
    hash_refresh_token,
    new_refresh_secret,
    revoke_family,
)

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def test_secrets_are_random_url_safe_and_stored_only_as_sha256() -> None:
    issued = RefreshToken.issue("a-1", now=NOW)
    assert len(issued.secret) >= 43
    assert issued.secret not in issued.record.model_dump_json()
    assert issued.record.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.record.matches(issued.secret)
    assert not issued.record.matches(new_refresh_secret())
    assert hash_refresh_token("x") == hashlib.sha256(b"x").hexdigest()
    assert new_refresh_secret() != new_refresh_secret()


def test_a_sign_in_starts_a_new_family_that_expires_after_the_ttl() -> None:
    first = RefreshToken.issue("a-1", now=NOW).record
    second = RefreshToken.issue("a-1", now=NOW).record
    assert first.family_id != second.family_id
    assert first.expires_at == NOW + REFRESH_TOKEN_TTL
    assert first.is_usable(NOW)
    assert not first.is_usable(NOW + REFRESH_TOKEN_TTL)


def test_rotation_spends_the_token_and_issues_a_successor_in_the_same_family() -> None:
    original = RefreshToken.issue("a-1", now=NOW).record
    later = NOW + timedelta(minutes=20)
    rotation = original.rotate(now=later)
    assert rotation.previous.rotated_at == later
    assert rotation.previous.replaced_by == rotation.current.id
    assert not rotation.previous.is_usable(later)
    assert rotation.current.family_id == original.family_id
    assert rotation.current.account_id == "a-1"
    assert rotation.current.matches(rotation.secret)
    assert rotation.current.expires_at == later + REFRESH_TOKEN_TTL


def test_reusing_a_rotated_token_reports_the_family_to_revoke() -> None:
    original = RefreshToken.issue("a-1", now=NOW).record
    rotation = original.rotate(now=NOW)
    with pytest.raises(RefreshTokenReused) as raised:
        rotation.previous.rotate(now=NOW + timedelta(minutes=1))
    assert raised.value.family_id == original.family_id
    assert raised.value.details is None
    revoked = revoke_family(
        [rotation.previous, rotation.current, RefreshToken.issue("a-2", now=NOW).record],
        original.family_id,
        now=NOW,
    )
    assert len(revoked) == 2
    assert all(token.revoked_at == NOW and not token.is_usable(NOW) for token in revoked)


@pytest.mark.parametrize(
    ("token", "at"),
    [
        (RefreshToken.issue("a-1", now=NOW).record.revoke(now=NOW), NOW),
        (RefreshToken.issue("a-1", now=NOW).record, NOW + REFRESH_TOKEN_TTL),
    ],
    ids=["revoked", "expired"],
)
def test_revoked_or_expired_tokens_cannot_be_rotated(token: RefreshToken, at: datetime) -> None:
    with pytest.raises(RefreshTokenInvalid) as raised:
        token.rotate(now=at)
    assert not isinstance(raised.value, RefreshTokenReused)


def test_revoking_twice_keeps_the_first_time() -> None:
    revoked = RefreshToken.issue("a-1", now=NOW).record.revoke(now=NOW)
    assert revoked.revoke(now=NOW + timedelta(days=1)).revoked_at == NOW
