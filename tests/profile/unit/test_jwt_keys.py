"""Ed25519 signing keys, EdDSA access tokens and the JWKS document."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from profile_service.adapters.jwt_keys import (
    DEFAULT_KEY_FILE,
    JwtAccessTokenIssuer,
    SigningKey,
    SigningKeyError,
    jwk_thumbprint,
    load_or_create_signing_key,
    load_signing_key,
    load_signing_keys,
)
from profile_service.domain.errors import AccessTokenInvalid
from profile_service.service.ports import AccessTokenIssuer

NOW = datetime(2026, 11, 3, 9, 0, 12, 345, tzinfo=UTC)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


def issuer_for(
    key: SigningKey, previous: SigningKey | None = None, now: datetime = NOW
) -> JwtAccessTokenIssuer:
    return JwtAccessTokenIssuer(
        key, issuer="mentor-match", audience="mentor-match", previous=previous, clock=lambda: now
    )


def test_thumbprint_follows_rfc_8037_example() -> None:
    # RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key.
    private = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    example = Ed25519PrivateKey.from_private_bytes(private)
    assert jwk_thumbprint(example.public_key()) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_jwks_publishes_the_public_key_as_an_okp_jwk(key: SigningKey) -> None:
    jwks = issuer_for(key).jwks()
    assert jwks == {"keys": [key.public_jwk()]}
    (jwk,) = jwks["keys"]
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": jwk["x"]}, separators=(",", ":"))
    digest = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=")
    assert jwk["kid"] == digest.decode()
    assert "d" not in jwk


def test_access_token_carries_the_agreed_claims_and_verifies_with_the_jwks(
    key: SigningKey,
) -> None:
    issuer: AccessTokenIssuer = issuer_for(key)
    issued = issuer.issue("account-1", is_admin=False)
    header = jwt.get_unverified_header(issued.token)
    assert header["alg"] == "EdDSA"
    assert header["kid"] == key.kid
    public = jwt.PyJWK(issuer.jwks()["keys"][0]).key
    claims = jwt.decode(
        issued.token,
        public,
        algorithms=["EdDSA"],
        audience="mentor-match",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["sub"] == "account-1"
    assert claims["iss"] == "mentor-match"
    assert claims["roles"] == ["member"]
    assert claims["jti"] == issued.jti
    assert claims["iat"] == int(NOW.replace(microsecond=0).timestamp())
    assert claims["exp"] - claims["iat"] == 15 * 60 == issued.expires_in


def test_administrators_get_the_admin_role(key: SigningKey) -> None:
    issued = issuer_for(key).issue("account-2", is_admin=True)
    assert issuer_for(key).verify(issued.token)["roles"] == ["member", "admin"]


def test_every_token_has_its_own_jti(key: SigningKey) -> None:
    issuer = issuer_for(key)
    assert issuer.issue("a", is_admin=False).jti != issuer.issue("a", is_admin=False).jti


def test_expired_tokens_are_refused(key: SigningKey) -> None:
    token = issuer_for(key).issue("a", is_admin=False).token
    assert issuer_for(key, now=NOW + timedelta(minutes=15)).verify(token)["sub"] == "a"
    with pytest.raises(AccessTokenInvalid):
        issuer_for(key, now=NOW + timedelta(minutes=16)).verify(token)


def test_tokens_from_an_unknown_key_or_for_another_audience_are_refused(key: SigningKey) -> None:
    stranger = issuer_for(SigningKey.generate()).issue("a", is_admin=False).token
    with pytest.raises(AccessTokenInvalid, match="current key"):
        issuer_for(key).verify(stranger)
    other_audience = JwtAccessTokenIssuer(
        key, issuer="mentor-match", audience="elsewhere", clock=lambda: NOW
    ).issue("a", is_admin=False)
    with pytest.raises(AccessTokenInvalid):
        issuer_for(key).verify(other_audience.token)
    with pytest.raises(AccessTokenInvalid, match="malformed"):
        issuer_for(key).verify("not.a.token")


def test_tampered_tokens_are_refused(key: SigningKey) -> None:
    header, payload, signature = issuer_for(key).issue("a", is_admin=False).token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["member", "admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(AccessTokenInvalid):
        issuer_for(key).verify(f"{header}.{forged}.{signature}")


def test_previous_key_stays_published_and_its_tokens_still_verify(key: SigningKey) -> None:
    old = SigningKey.generate()
    old_token = issuer_for(old).issue("a", is_admin=False).token
    rotated = issuer_for(key, previous=old)
    assert [jwk["kid"] for jwk in rotated.jwks()["keys"]] == [key.kid, old.kid]
    assert rotated.verify(old_token)["sub"] == "a"
    new_token = rotated.issue("a", is_admin=False).token
    assert jwt.get_unverified_header(new_token)["kid"] == key.kid


def test_first_start_creates_a_private_key_file_readable_only_by_the_owner(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / DEFAULT_KEY_FILE
    created = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert list(path.parent.iterdir()) == [path]
    assert load_or_create_signing_key(path).kid == created.kid


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_KEY_FILE
    kids: list[str] = []
    threads = [
        threading.Thread(target=lambda: kids.append(load_or_create_signing_key(path).kid))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kids) == 8
    assert len(set(kids)) == 1
    assert load_signing_key(path).kid == kids[0]


def test_an_unusable_key_file_is_refused_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_KEY_FILE
    path.write_bytes(b"not a key")
    with pytest.raises(SigningKeyError):
        load_or_create_signing_key(path)
    assert path.read_bytes() == b"not a key"


def test_a_key_of_another_type_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(SigningKeyError, match="Ed25519"):
        load_signing_key(path)


def test_load_signing_keys_uses_the_data_folder_and_an_optional_previous_key(
    tmp_path: Path,
) -> None:
    previous_path = tmp_path / "old.pem"
    previous_path.write_bytes(SigningKey.generate().to_pem())
    current, previous = load_signing_keys(tmp_path, previous_key_path=previous_path)
    assert (tmp_path / DEFAULT_KEY_FILE).exists()
    assert previous is not None
    assert previous.kid != current.kid
    assert load_signing_keys(tmp_path)[0].kid == current.kid
    with pytest.raises(SigningKeyError):
        load_signing_keys(tmp_path, previous_key_path=tmp_path / "missing.pem")


def test_pem_round_trip_keeps_the_key_id(key: SigningKey) -> None:
    assert SigningKey.from_pem(key.to_pem()).kid == key.kid
