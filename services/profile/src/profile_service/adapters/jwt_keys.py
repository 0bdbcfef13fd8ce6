"""Ed25519 signing keys, access tokens (EdDSA JWTs) and the JWKS document.

The private key is a PKCS#8 PEM file. On first start, when no key exists yet, one is
generated and written with mode 0600 under the data folder; later starts load it, so
tokens survive restarts. For rotation, the previous key can be loaded alongside: it
stays in the JWKS (so tokens it signed still verify until they expire) but signs
nothing new.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import structlog
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mentor_shared.clock import utc_now
from profile_service.domain.errors import AccessTokenInvalid
from profile_service.service.ports import IssuedAccessToken

log = structlog.get_logger(__name__)

ALGORITHM = "EdDSA"
ACCESS_TOKEN_TTL = timedelta(minutes=15)
DEFAULT_KEY_FILE = "jwt_signing_key.pem"
# Tolerated clock difference between the services when checking iat/exp.
LEEWAY = timedelta(seconds=30)


class SigningKeyError(Exception):
    """A key file exists but cannot be used (unreadable, not PEM, not Ed25519)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of an Ed25519 public key, used as ``kid``.

    The required members for an OKP key are ``crv``, ``kty`` and ``x``, serialised in
    lexicographic order without whitespace (RFC 8037, section 2).
    """
    members = {"crv": "Ed25519", "kty": "OKP", "x": _public_x(public_key)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def _public_x(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64url(raw)


class SigningKey:
    """An Ed25519 private key with its key id."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.kid = jwk_thumbprint(self.public_key)

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data: bytes) -> SigningKey:
        """Load a PKCS#8 PEM private key.

        Raises:
            SigningKeyError: Not a PEM private key, or not Ed25519.
        """
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as error:
            raise SigningKeyError("not an unencrypted PEM private key") from error
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"expected an Ed25519 key, found {type(key).__name__}")
        return cls(key)

    def to_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (protect the file, not the bytes)."""
        return self._private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def derived_key(self, purpose: bytes) -> bytes:
        """32 secret bytes for another use, derived with HKDF-SHA256 labelled ``purpose``.

        Lets every replica that holds the signing key agree on a second key without
        another secret to distribute; the label keeps the two uses apart.
        """
        raw = self._private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(raw)

    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK, as published in the JWKS."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _public_x(self.public_key),
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of ``claims`` with ``alg=EdDSA`` and this key's ``kid``."""
        return jwt.encode(claims, self._private_key, algorithm=ALGORITHM, headers={"kid": self.kid})


def load_signing_key(path: Path) -> SigningKey:
    """Load the key at ``path``; warn when the file is readable by others.

    Raises:
        SigningKeyError: Missing, unreadable or not an Ed25519 PEM key.
    """
    try:
        data = path.read_bytes()
        mode = path.stat().st_mode
    except OSError as error:
        raise SigningKeyError(f"cannot read signing key file {path}: {error.strerror}") from error
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("signing_key_file_too_open", path=str(path), mode=oct(mode & 0o777))
    try:
        return SigningKey.from_pem(data)
    except SigningKeyError as error:
        raise SigningKeyError(f"signing key file {path}: {error}") from error


def load_or_create_signing_key(path: Path) -> SigningKey:
    """Load the key at ``path``, or generate one and store it there (mode 0600).

    Creation is safe against two processes starting at once: the key is written to a
    temporary file and hard-linked into place, so exactly one key wins and the loser
    loads it.

    Raises:
        SigningKeyError: The file exists but is unusable (never overwritten).
    """
    if path.exists():
        return load_signing_key(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = SigningKey.generate()
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key.to_pem())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            log.info("signing_key_created_concurrently", path=str(path))
            return load_signing_key(path)
    finally:
        temporary.unlink(missing_ok=True)
    log.info("signing_key_created", path=str(path), kid=key.kid)
    return key


class JwtAccessTokenIssuer:
    """Issues EdDSA access tokens and publishes the JWKS (the ``AccessTokenIssuer`` port)."""

    def __init__(
        self,
        current: SigningKey,
        *,
        issuer: str,
        audience: str,
        ttl: timedelta = ACCESS_TOKEN_TTL,
        previous: SigningKey | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Build an issuer.

        Args:
            current: The key that signs new tokens.
            issuer: The ``iss`` claim.
            audience: The ``aud`` claim.
            ttl: Access token lifetime (15 minutes by default).
            previous: A retired key still published so its tokens verify until expiry.
            clock: Returns the current UTC time (tests pass a fixed one).
        """
        if previous is not None and previous.kid == current.kid:
            previous = None
        self.current = current
        self.previous = previous
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl
        self._clock = clock

    def issue(self, account_id: str, *, is_admin: bool) -> IssuedAccessToken:
        """Sign an access token: ``sub, iss, aud, iat, exp, jti, roles``."""
        issued_at = self._clock().replace(microsecond=0)
        expires_at = issued_at + self.ttl
        jti = uuid.uuid4().hex
        claims: dict[str, Any] = {
            "sub": account_id,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(issued_at.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": jti,
            "roles": ["member", "admin"] if is_admin else ["member"],
        }
        return IssuedAccessToken(
            token=self.current.sign(claims), jti=jti, issued_at=issued_at, expires_at=expires_at
        )

    def jwks(self) -> dict[str, Any]:
        """``{"keys": [...]}`` with the current key first, then the previous one if any."""
        keys = [self.current] + ([self.previous] if self.previous else [])
        return {"keys": [key.public_jwk() for key in keys]}

    def verify(self, token: str) -> dict[str, Any]:
        """Check a token this service issued and return its claims.

        Raises:
            AccessTokenInvalid: Bad signature, unknown ``kid``, wrong issuer or audience,
                expired, or malformed.
        """
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise AccessTokenInvalid("The access token is malformed.") from error
        key = next(
            (k for k in (self.current, self.previous) if k is not None and k.kid == kid), None
        )
        if key is None:
            raise AccessTokenInvalid("The access token was not signed by a current key.")
        now = self._clock()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.public_key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={
                    "require": ["sub", "iss", "aud", "iat", "exp", "jti"],
                    # Times are checked below against the injected clock, not the system's.
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as error:
            raise AccessTokenInvalid("The access token is invalid or has expired.") from error
        if claims["exp"] + LEEWAY.total_seconds() <= now.timestamp():
            raise AccessTokenInvalid("The access token is invalid or has expired.")
        return claims


def load_signing_keys(
    data_dir: Path,
    *,
    key_path: Path | None = None,
    previous_key_path: Path | None = None,
) -> tuple[SigningKey, SigningKey | None]:
    """The current key (created under ``data_dir`` if absent) and the optional previous one.

    Args:
        data_dir: The service's data folder; the key goes to ``jwt_signing_key.pem`` there.
        key_path: An explicit current key file (created if absent).
        previous_key_path: A retired key to keep publishing; it must exist.

    Raises:
        SigningKeyError: A key file is unusable, or the previous key file is missing.
    """
    current = load_or_create_signing_key(key_path or data_dir / DEFAULT_KEY_FILE)
    previous = load_signing_key(previous_key_path) if previous_key_path else None
    return current, previous
