"""Access-token verification for every service.

The profile service signs access tokens: EdDSA (Ed25519) JWTs whose header names
the signing key (``kid``), with the claims ``sub`` (account id), ``iss``, ``aud``,
``iat``, ``exp``, ``jti`` and ``roles`` (e.g. ``["member", "admin"]``). It
publishes its public keys at ``GET /.well-known/jwks.json``.

Fetching that document is the one synchronous dependency between services
(DESIGN.md, "Architecture"): it is time-limited, cached, refreshed when a token
names an unknown key (so key rotation needs no restart), and rate-limited, so
tokens with forged ``kid`` values cannot make a service hammer the profile
service. The profile service itself builds a key set from its own keys and
makes no HTTP call.

Routes take the caller as a dependency::

    @router.get("/v1/matches")
    async def list_matches(principal: CurrentPrincipal) -> ...

The key set is read from ``request.app.state.key_set``, which the service's
lifespan sets, e.g. ``app.state.key_set = JwksKeySet.from_settings(settings)``.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final

import httpx
import jwt
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mentor_shared.erasure import ErasedSubjects
from mentor_shared.settings import ServiceSettings
from mentor_shared.web.errors import Forbidden, ServiceUnavailable, Unauthorized

log = structlog.get_logger(__name__)

ALGORITHM: Final = "EdDSA"
ADMIN_ROLE: Final = "admin"
REQUIRED_CLAIMS: Final = ("sub", "iss", "aud", "iat", "exp", "jti")
# Real tokens are well under 1 KB; anything far larger is refused unparsed.
MAX_TOKEN_LENGTH: Final = 8192


class InvalidToken(Exception):
    """The token is malformed, forged, for someone else, or otherwise unusable."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class TokenExpired(InvalidToken):
    """The token was valid but its ``exp`` has passed."""

    def __init__(self) -> None:
        super().__init__("expired")


class KeySetUnavailable(Exception):
    """No signing keys are known and the key document cannot be fetched."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller.

    Attributes:
        id: The account id (the token's ``sub``).
        roles: Roles granted by the profile service, e.g. ``{"member", "admin"}``.
        token_id: The token's ``jti``.
        expires_at: The token's ``exp`` (epoch seconds), after which a live stream
            opened with it must end.
    """

    id: str
    roles: frozenset[str]
    token_id: str | None = None
    expires_at: float | None = None

    @property
    def is_admin(self) -> bool:
        """Whether the caller is an administrator."""
        return ADMIN_ROLE in self.roles


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def ed25519_public_jwk(kid: str, public_key: Ed25519PublicKey) -> dict[str, str]:
    """The JWK (RFC 8037) publishing ``public_key`` under ``kid`` in a JWKS document."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii"),
        "kid": kid,
        "use": "sig",
        "alg": ALGORITHM,
    }


def parse_jwks(document: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """Extract the Ed25519 signing keys from a JWKS document, by ``kid``.

    Keys of other types or uses, or without a ``kid``, are skipped: a token is
    only ever checked against a key of the one algorithm accepted.
    """
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise ValueError("a JWKS document needs a 'keys' list")
    found: dict[str, Ed25519PublicKey] = {}
    for jwk in keys:
        if not isinstance(jwk, Mapping):
            continue
        kid, x = jwk.get("kid"), jwk.get("x")
        if (
            jwk.get("kty") != "OKP"
            or jwk.get("crv") != "Ed25519"
            or jwk.get("use", "sig") != "sig"
            or jwk.get("alg", ALGORITHM) not in (ALGORITHM, "Ed25519")
            or not isinstance(kid, str)
            or not kid
            or not isinstance(x, str)
        ):
            continue
        try:
            found[kid] = Ed25519PublicKey.from_public_bytes(_b64url_decode(x))
        except ValueError:
            log.warning("jwks_key_skipped", kid=kid, reason="bad_public_key")
    return found


class JwksKeySet:
    """The profile service's public signing keys, and verification against them.

    Build it with a ``jwks_url`` (every service but the profile service), or with
    :meth:`from_jwks` / :meth:`from_public_keys` for a fixed local set.

    Args:
        jwks_url: Where the JWKS document is published.
        issuer: Required ``iss`` claim.
        audience: Required ``aud`` claim.
        http_timeout: Hard limit, in seconds, on one fetch of the document.
        cache_ttl: Seconds before fetched keys are refreshed.
        min_refresh_interval: Fetches are at least this many seconds apart,
            however many unknown ``kid`` values arrive.
        leeway_s: Clock skew tolerated on ``exp`` and ``iat``.
        verified_cache_size: How many verified tokens to remember, so a client
            sending the same token with every request pays for the signature
            check once (an Ed25519 check and the JWT parsing were a tenth of the
            messaging service's CPU per message).
    """

    def __init__(
        self,
        jwks_url: str | None = None,
        *,
        issuer: str = "mentor-match",
        audience: str = "mentor-match",
        http_timeout: float = 2.0,
        cache_ttl: float = 300.0,
        min_refresh_interval: float = 10.0,
        leeway_s: float = 5.0,
        verified_cache_size: int = 4096,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.http_timeout = http_timeout
        self.cache_ttl = cache_ttl
        self.min_refresh_interval = min_refresh_interval
        self.leeway_s = leeway_s
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at: float | None = None
        self._last_attempt_at: float | None = None
        self._last_fetch_failed = False
        self._refresh_lock = asyncio.Lock()
        self.fetch_count = 0
        self.verified_cache_size = verified_cache_size
        self._verified: dict[str, _VerifiedToken] = {}

    @classmethod
    def from_public_keys(
        cls,
        keys: Mapping[str, Ed25519PublicKey],
        *,
        issuer: str = "mentor-match",
        audience: str = "mentor-match",
        leeway_s: float = 5.0,
    ) -> JwksKeySet:
        """A fixed key set that never fetches (the profile service's own keys)."""
        key_set = cls(None, issuer=issuer, audience=audience, leeway_s=leeway_s)
        key_set._keys = dict(keys)
        return key_set

    @classmethod
    def from_jwks(
        cls,
        document: Mapping[str, Any],
        *,
        issuer: str = "mentor-match",
        audience: str = "mentor-match",
        leeway_s: float = 5.0,
    ) -> JwksKeySet:
        """A fixed key set built from a JWKS document."""
        return cls.from_public_keys(
            parse_jwks(document), issuer=issuer, audience=audience, leeway_s=leeway_s
        )

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> JwksKeySet:
        """A key set fetching from ``settings.resolved_jwks_url``."""
        return cls(
            settings.resolved_jwks_url, issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )

    @property
    def kids(self) -> frozenset[str]:
        """The ids of the keys known now."""
        return frozenset(self._keys)

    def _is_stale(self) -> bool:
        if self.jwks_url is None:
            return False
        if self._fetched_at is None:
            return True
        return time.monotonic() - self._fetched_at > self.cache_ttl

    async def _fetch(self, url: str) -> dict[str, Ed25519PublicKey]:
        async with httpx.AsyncClient(timeout=self.http_timeout) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        if not isinstance(document, Mapping):
            raise ValueError("the JWKS document is not a JSON object")
        return parse_jwks(document)

    async def refresh(self, *, reason: str = "requested") -> bool:
        """Fetch the key document now, unless a fetch happened too recently.

        A failed fetch keeps the keys already known (a profile-service restart
        must not sign everyone out).

        Returns:
            Whether a fetch was made and succeeded.
        """
        url = self.jwks_url
        if url is None:
            return False
        async with self._refresh_lock:
            now = time.monotonic()
            if (
                self._last_attempt_at is not None
                and now - self._last_attempt_at < self.min_refresh_interval
            ):
                return False
            self._last_attempt_at = now
            self.fetch_count += 1
            try:
                keys = await asyncio.wait_for(self._fetch(url), timeout=self.http_timeout)
            except (httpx.HTTPError, TimeoutError, ValueError) as exc:
                self._last_fetch_failed = True
                log.warning(
                    "jwks_fetch_failed",
                    reason=reason,
                    error_type=type(exc).__name__,
                    known_keys=len(self._keys),
                )
                return False
            self._keys = keys
            self._fetched_at = time.monotonic()
            self._last_fetch_failed = False
            log.info("jwks_fetched", reason=reason, kids=sorted(keys))
            return True

    async def key_for(self, kid: str) -> Ed25519PublicKey:
        """The public key named ``kid``, refreshing the set if needed.

        Raises:
            InvalidToken: No such key, even after a refresh.
            KeySetUnavailable: No keys at all, because the document cannot be fetched.
        """
        if self._is_stale():
            await self.refresh(reason="expired")
        key = self._keys.get(kid)
        if key is None and self.jwks_url is not None:
            await self.refresh(reason="unknown_kid")
            key = self._keys.get(kid)
        if key is not None:
            return key
        if not self._keys and self._last_fetch_failed:
            raise KeySetUnavailable("signing keys cannot be fetched")
        raise InvalidToken("unknown_kid")

    async def verify_token(self, token: str) -> Principal:
        """Check ``token``'s signature, issuer, audience and lifetime.

        Only EdDSA is accepted, decided before any key is looked up, so ``alg:
        none`` and HMAC tokens signed with the public key are refused and never
        trigger a key fetch. A token carrying ``token_use`` other than
        ``"access"`` (a refresh token, say) is refused.

        Raises:
            TokenExpired: The token's ``exp`` has passed.
            InvalidToken: Any other reason not to trust it.
            KeySetUnavailable: Keys are needed but cannot be fetched.
        """
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("malformed")
        remembered = self._verified.get(token)
        # Still valid only while unexpired and signed by a key still published:
        # a key withdrawn from the JWKS withdraws its tokens too.
        if remembered is not None:
            if self._is_stale():
                await self.refresh(reason="expired")
            if time.time() < remembered.expires_at + self.leeway_s and remembered.kid in self._keys:
                return remembered.principal
            del self._verified[token]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("algorithm_not_allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > 200:
            raise InvalidToken("missing_kid")
        key = await self.key_for(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from exc
        principal = _principal_from_claims(claims)
        self._remember(token, _VerifiedToken(principal, kid, float(claims["exp"])))
        return principal

    def _remember(self, token: str, verified: _VerifiedToken) -> None:
        if self.verified_cache_size <= 0:
            return
        while len(self._verified) >= self.verified_cache_size:
            # Oldest first: dicts keep insertion order.
            del self._verified[next(iter(self._verified))]
        self._verified[token] = verified


@dataclass(frozen=True, slots=True)
class _VerifiedToken:
    principal: Principal
    kid: str
    expires_at: float


def _principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    subject, token_id = claims.get("sub"), claims.get("jti")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("bad_subject")
    if not isinstance(token_id, str) or not token_id:
        raise InvalidToken("bad_token_id")
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidToken("bad_roles")
    if claims.get("token_use", "access") != "access":
        raise InvalidToken("not_an_access_token")
    expires = claims.get("exp")
    return Principal(
        id=subject,
        roles=frozenset(roles),
        token_id=token_id,
        expires_at=float(expires) if isinstance(expires, int | float) else None,
    )


_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="Access token from POST /v1/auth/token on the profile service",
)


def _key_set(request: Request) -> JwksKeySet:
    key_set = getattr(request.app.state, "key_set", None)
    if not isinstance(key_set, JwksKeySet):
        raise RuntimeError("app.state.key_set must be a JwksKeySet, set by the service's lifespan")
    return key_set


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the caller named by the ``Authorization: Bearer`` token.

    Raises:
        Unauthorized: No token (``not_authenticated``), an expired one
            (``token_expired``) or an invalid one (``invalid_token``); 401 with
            ``WWW-Authenticate: Bearer``.
        ServiceUnavailable: The signing keys cannot be fetched (503, ``auth_unavailable``).
    """
    if credentials is None:
        raise Unauthorized("Sign in to continue", code="not_authenticated")
    return await _verify(request, credentials.credentials)


async def get_stream_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    access_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> Principal:
    """Like :func:`get_principal`, but also accepts ``?access_token=`` for SSE.

    Browsers' ``EventSource`` cannot send headers. The query string never
    reaches the logs (the request middleware logs the path only).
    """
    token = credentials.credentials if credentials is not None else access_token
    if not token:
        raise Unauthorized("Sign in to continue", code="not_authenticated")
    return await _verify(request, token)


async def _verify(request: Request, token: str) -> Principal:
    try:
        principal = await _key_set(request).verify_token(token)
    except TokenExpired as exc:
        raise Unauthorized(
            "Your sign-in has expired", code="token_expired", bearer_error="invalid_token"
        ) from exc
    except InvalidToken as exc:
        log.info("token_rejected", reason=exc.reason)
        raise Unauthorized(
            "The access token is not valid", code="invalid_token", bearer_error="invalid_token"
        ) from exc
    except KeySetUnavailable as exc:
        raise ServiceUnavailable(
            "Sign-in cannot be checked right now, try again shortly", code="auth_unavailable"
        ) from exc
    erased: ErasedSubjects | None = getattr(request.app.state, "erased_subjects", None)
    if erased is not None and await erased.contains(principal.id):
        log.info("token_rejected", reason="subject_erased")
        raise Unauthorized(
            "This account has been deleted", code="token_revoked", bearer_error="invalid_token"
        )
    structlog.contextvars.bind_contextvars(account_id=principal.id)
    return principal


async def get_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """FastAPI dependency: the caller, who must be an administrator (403 otherwise)."""
    if not principal.is_admin:
        raise Forbidden("This needs an administrator", code="admin_required")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
AdminPrincipal = Annotated[Principal, Depends(get_admin)]
StreamPrincipal = Annotated[Principal, Depends(get_stream_principal)]
