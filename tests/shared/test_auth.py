"""Access-token verification: signatures, claims, key fetching and the FastAPI dependencies."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import APIRouter, Response
from fastapi.testclient import TestClient

from mentor_shared.auth import (
    AdminPrincipal,
    CurrentPrincipal,
    InvalidToken,
    JwksKeySet,
    KeySetUnavailable,
    Principal,
    TokenExpired,
    ed25519_public_jwk,
    parse_jwks,
)
from mentor_shared.settings import ServiceSettings
from mentor_shared.web.app import build_server, create_app

ISSUER = "mentor-match"
AUDIENCE = "mentor-match"


@dataclass
class SigningKey:
    kid: str
    private: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def jwk(self) -> dict[str, str]:
        return ed25519_public_jwk(self.kid, self.private.public_key())


def sign(key: SigningKey, *, kid: str | None = None, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "acct-123",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 900,
        "jti": str(uuid.uuid4()),
        "roles": ["member"],
    }
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": kid or key.kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)]
    )


@pytest.fixture(scope="module")
def key_one() -> SigningKey:
    return SigningKey("key-2026-01")


@pytest.fixture(scope="module")
def key_two() -> SigningKey:
    return SigningKey("key-2026-02")


@pytest.fixture
def local_keys(key_one: SigningKey) -> JwksKeySet:
    return JwksKeySet.from_jwks({"keys": [key_one.jwk]}, issuer=ISSUER, audience=AUDIENCE)


def valid_claims() -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": "acct-123",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 900,
        "jti": "j-1",
        "roles": ["member", "admin"],
    }


# --- verification against a local key set --------------------------------------------


async def test_a_valid_token_yields_the_principal(
    local_keys: JwksKeySet, key_one: SigningKey
) -> None:
    expires = int(time.time()) + 600
    token = sign(key_one, sub="acct-9", jti="token-1", roles=["member", "admin"], exp=expires)

    principal = await local_keys.verify_token(token)

    assert principal == Principal(
        id="acct-9",
        roles=frozenset({"member", "admin"}),
        token_id="token-1",
        expires_at=float(expires),
    )
    assert principal.is_admin


async def test_members_are_not_administrators(local_keys: JwksKeySet, key_one: SigningKey) -> None:
    principal = await local_keys.verify_token(sign(key_one))

    assert principal.roles == frozenset({"member"})
    assert not principal.is_admin


async def test_an_expired_token_is_refused_as_expired(
    local_keys: JwksKeySet, key_one: SigningKey
) -> None:
    now = int(time.time())

    with pytest.raises(TokenExpired):
        await local_keys.verify_token(sign(key_one, iat=now - 3600, exp=now - 60))


async def test_a_remembered_token_still_expires(key_one: SigningKey) -> None:
    key_set = JwksKeySet.from_jwks({"keys": [key_one.jwk]}, leeway_s=0.0)
    token = sign(key_one, exp=int(time.time()) + 1)
    assert (await key_set.verify_token(token)).id == "acct-123"
    assert (await key_set.verify_token(token)).id == "acct-123"

    await asyncio.sleep(2.1)

    with pytest.raises(TokenExpired):
        await key_set.verify_token(token)


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"aud": "another-service"}, "InvalidAudienceError"),
        ({"iss": "someone-else"}, "InvalidIssuerError"),
        ({"jti": None}, "MissingRequiredClaimError"),
        ({"exp": None}, "MissingRequiredClaimError"),
        ({"sub": None}, "MissingRequiredClaimError"),
        ({"iat": int(time.time()) + 3600}, "ImmatureSignatureError"),
        ({"roles": "admin"}, "bad_roles"),
        ({"roles": [1, 2]}, "bad_roles"),
        ({"token_use": "refresh"}, "not_an_access_token"),
    ],
)
async def test_tokens_with_wrong_or_missing_claims_are_refused(
    local_keys: JwksKeySet, key_one: SigningKey, override: dict[str, Any], reason: str
) -> None:
    with pytest.raises(InvalidToken) as refused:
        await local_keys.verify_token(sign(key_one, **override))

    assert refused.value.reason == reason


async def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(
    local_keys: JwksKeySet, key_one: SigningKey
) -> None:
    impostor = SigningKey(key_one.kid)

    with pytest.raises(InvalidToken) as refused:
        await local_keys.verify_token(sign(impostor))

    assert refused.value.reason == "InvalidSignatureError"


async def test_a_tampered_payload_is_refused(local_keys: JwksKeySet, key_one: SigningKey) -> None:
    header, _, signature = sign(key_one, roles=["member"]).split(".")
    claims = valid_claims()
    forged = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"

    with pytest.raises(InvalidToken):
        await local_keys.verify_token(forged)


async def test_alg_none_is_refused(local_keys: JwksKeySet, key_one: SigningKey) -> None:
    token = unsigned_token({"alg": "none", "typ": "JWT", "kid": key_one.kid}, valid_claims())

    with pytest.raises(InvalidToken) as refused:
        await local_keys.verify_token(token)

    assert refused.value.reason == "algorithm_not_allowed"


@pytest.mark.parametrize("secret_form", ["raw", "pem", "jwk_x"])
async def test_hmac_signed_with_the_public_key_is_refused(
    local_keys: JwksKeySet, key_one: SigningKey, secret_form: str
) -> None:
    public = key_one.private.public_key()
    secret = {
        "raw": public.public_bytes(Encoding.Raw, PublicFormat.Raw),
        "pem": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        "jwk_x": key_one.jwk["x"].encode(),
    }[secret_form]
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key_one.kid}).encode())
    payload = b64(json.dumps(valid_claims()).encode())
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()

    with pytest.raises(InvalidToken) as refused:
        await local_keys.verify_token(f"{header}.{payload}.{b64(mac)}")

    assert refused.value.reason == "algorithm_not_allowed"


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", "x" * 9000])
async def test_malformed_tokens_are_refused(local_keys: JwksKeySet, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        await local_keys.verify_token(garbage)


async def test_a_token_without_kid_is_refused(local_keys: JwksKeySet, key_one: SigningKey) -> None:
    token = jwt.encode(valid_claims(), key_one.private, algorithm="EdDSA")

    with pytest.raises(InvalidToken) as refused:
        await local_keys.verify_token(token)

    assert refused.value.reason == "missing_kid"


async def test_a_local_key_set_refuses_unknown_kids_without_fetching(
    local_keys: JwksKeySet, key_two: SigningKey
) -> None:
    with pytest.raises(InvalidToken) as refused:
        await local_keys.verify_token(sign(key_two))

    assert refused.value.reason == "unknown_kid"
    assert local_keys.fetch_count == 0


async def test_a_key_set_built_from_public_keys_verifies_its_own_tokens(
    key_one: SigningKey,
) -> None:
    key_set = JwksKeySet.from_public_keys({key_one.kid: key_one.private.public_key()})

    assert (await key_set.verify_token(sign(key_one))).id == "acct-123"


def test_published_jwk_round_trips_and_foreign_keys_are_skipped(key_one: SigningKey) -> None:
    document = {
        "keys": [
            key_one.jwk,
            {"kty": "RSA", "kid": "rsa-1", "n": "abc", "e": "AQAB"},
            {"kty": "OKP", "crv": "X25519", "kid": "x-1", "x": key_one.jwk["x"]},
            {"kty": "OKP", "crv": "Ed25519", "kid": "enc-1", "use": "enc", "x": key_one.jwk["x"]},
            {"kty": "OKP", "crv": "Ed25519", "x": key_one.jwk["x"]},
            {"kty": "OKP", "crv": "Ed25519", "kid": "short", "x": "AAAA"},
        ]
    }

    keys = parse_jwks(document)

    assert set(keys) == {key_one.kid}
    assert key_one.jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": key_one.jwk["x"],
        "kid": key_one.kid,
        "use": "sig",
        "alg": "EdDSA",
    }
    assert keys[key_one.kid].public_bytes(
        Encoding.Raw, PublicFormat.Raw
    ) == key_one.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- fetching from a real JWKS endpoint ------------------------------------------------


@dataclass
class JwksEndpoint:
    """A real HTTP server publishing a JWKS document the test can change."""

    url: str
    keys: list[dict[str, str]]
    hits: int = 0
    failing: bool = False
    delay_s: float = 0.0


@contextmanager
def serve_jwks(initial: list[dict[str, str]]) -> Iterator[JwksEndpoint]:
    settings = ServiceSettings(service_name="jwks", environment="test", host="127.0.0.1", port=0)
    endpoint = JwksEndpoint(url="", keys=list(initial))
    router = APIRouter()

    @router.get("/.well-known/jwks.json")
    async def jwks(response: Response) -> dict[str, Any]:
        endpoint.hits += 1
        if endpoint.delay_s:
            await asyncio.sleep(endpoint.delay_s)
        if endpoint.failing:
            response.status_code = 503
            return {"error": "down"}
        return {"keys": endpoint.keys}

    app = create_app(settings, title="jwks", version="1", lifespan=None, routers=[router])
    server = build_server(app, settings)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("JWKS server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    endpoint.url = f"http://127.0.0.1:{port}/.well-known/jwks.json"
    try:
        yield endpoint
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def jwks_server(key_one: SigningKey) -> Iterator[JwksEndpoint]:
    with serve_jwks([key_one.jwk]) as endpoint:
        yield endpoint


async def test_keys_are_fetched_over_http_once_and_cached(
    jwks_server: JwksEndpoint, key_one: SigningKey
) -> None:
    key_set = JwksKeySet(jwks_server.url, issuer=ISSUER, audience=AUDIENCE)

    for _ in range(5):
        assert (await key_set.verify_token(sign(key_one))).id == "acct-123"

    assert jwks_server.hits == 1
    assert key_set.kids == {key_one.kid}


async def test_an_unknown_kid_triggers_a_refresh_that_finds_a_rotated_key(
    jwks_server: JwksEndpoint, key_one: SigningKey, key_two: SigningKey
) -> None:
    key_set = JwksKeySet(jwks_server.url, min_refresh_interval=0.0)
    await key_set.verify_token(sign(key_one))
    jwks_server.keys = [key_one.jwk, key_two.jwk]

    principal = await key_set.verify_token(sign(key_two, sub="acct-2"))

    assert principal.id == "acct-2"
    assert jwks_server.hits == 2
    # Both keys stay valid during the rotation.
    assert (await key_set.verify_token(sign(key_one))).id == "acct-123"
    assert jwks_server.hits == 2


async def test_a_retired_key_stops_verifying_after_the_cache_expires(
    jwks_server: JwksEndpoint, key_one: SigningKey, key_two: SigningKey
) -> None:
    jwks_server.keys = [key_one.jwk, key_two.jwk]
    key_set = JwksKeySet(jwks_server.url, cache_ttl=0.0, min_refresh_interval=0.0)
    await key_set.verify_token(sign(key_one))
    jwks_server.keys = [key_two.jwk]

    with pytest.raises(InvalidToken) as refused:
        await key_set.verify_token(sign(key_one))

    assert refused.value.reason == "unknown_kid"
    assert (await key_set.verify_token(sign(key_two))).id == "acct-123"


async def test_a_remembered_token_stops_verifying_when_its_key_is_retired(
    jwks_server: JwksEndpoint, key_one: SigningKey, key_two: SigningKey
) -> None:
    jwks_server.keys = [key_one.jwk, key_two.jwk]
    key_set = JwksKeySet(jwks_server.url, cache_ttl=0.0, min_refresh_interval=0.0)
    token = sign(key_one)
    assert (await key_set.verify_token(token)).id == "acct-123"
    jwks_server.keys = [key_two.jwk]

    with pytest.raises(InvalidToken) as refused:
        await key_set.verify_token(token)

    assert refused.value.reason == "unknown_kid"


async def test_forged_kids_cannot_make_it_hammer_the_profile_service(
    jwks_server: JwksEndpoint, key_one: SigningKey
) -> None:
    key_set = JwksKeySet(jwks_server.url, min_refresh_interval=10.0)
    await key_set.verify_token(sign(key_one))

    for n in range(20):
        with pytest.raises(InvalidToken):
            await key_set.verify_token(sign(key_one, kid=f"forged-{n}"))

    assert jwks_server.hits == 1


async def test_concurrent_requests_share_one_fetch(
    jwks_server: JwksEndpoint, key_one: SigningKey
) -> None:
    jwks_server.delay_s = 0.1
    key_set = JwksKeySet(jwks_server.url)

    principals = await asyncio.gather(*(key_set.verify_token(sign(key_one)) for _ in range(10)))

    assert len(principals) == 10
    assert jwks_server.hits == 1


async def test_a_failed_refresh_keeps_the_keys_already_known(
    jwks_server: JwksEndpoint, key_one: SigningKey
) -> None:
    key_set = JwksKeySet(jwks_server.url, cache_ttl=0.0, min_refresh_interval=0.0)
    await key_set.verify_token(sign(key_one))
    jwks_server.failing = True

    principal = await key_set.verify_token(sign(key_one))

    assert principal.id == "acct-123"
    assert jwks_server.hits == 2


async def test_the_fetch_is_time_limited(jwks_server: JwksEndpoint, key_one: SigningKey) -> None:
    jwks_server.delay_s = 0.8
    key_set = JwksKeySet(jwks_server.url, http_timeout=0.2)

    started = time.perf_counter()
    with pytest.raises(KeySetUnavailable):
        await key_set.verify_token(sign(key_one))

    assert time.perf_counter() - started < 0.6


async def test_an_unreachable_key_server_means_unavailable_not_invalid(
    key_one: SigningKey,
) -> None:
    with serve_jwks([]) as stopped_soon:
        url = stopped_soon.url
    key_set = JwksKeySet(url, http_timeout=0.5)

    with pytest.raises(KeySetUnavailable):
        await key_set.verify_token(sign(key_one))


# --- FastAPI dependencies ----------------------------------------------------------------


def auth_router() -> APIRouter:
    router = APIRouter()

    @router.get("/v1/me")
    async def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {"id": principal.id, "roles": sorted(principal.roles)}

    @router.get("/v1/admin/stats")
    async def stats(admin: AdminPrincipal) -> dict[str, str]:
        return {"admin": admin.id}

    return router


@pytest.fixture
def client(local_keys: JwksKeySet) -> Iterator[TestClient]:
    settings = ServiceSettings(service_name="auth-test", environment="test")
    app = create_app(settings, title="t", version="1", lifespan=None, routers=[auth_router()])
    app.state.key_set = local_keys
    with TestClient(app) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_member_reaches_routes_needing_a_principal(
    client: TestClient, key_one: SigningKey
) -> None:
    response = client.get("/v1/me", headers=bearer(sign(key_one, sub="acct-5")))

    assert response.status_code == 200
    assert response.json() == {"id": "acct-5", "roles": ["member"]}


def test_no_token_is_a_401_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/v1/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        "error": {"code": "not_authenticated", "message": "Sign in to continue", "details": None}
    }


def test_a_non_bearer_scheme_is_treated_as_no_token(client: TestClient) -> None:
    response = client.get("/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_invalid_token_is_a_401_invalid_token(client: TestClient, key_two: SigningKey) -> None:
    response = client.get("/v1/me", headers=bearer(sign(key_two)))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["error"]["code"] == "invalid_token"


def test_an_expired_token_is_a_401_token_expired(client: TestClient, key_one: SigningKey) -> None:
    now = int(time.time())

    response = client.get("/v1/me", headers=bearer(sign(key_one, iat=now - 3600, exp=now - 60)))

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "token_expired"


def test_a_member_is_forbidden_from_admin_routes(client: TestClient, key_one: SigningKey) -> None:
    response = client.get("/v1/admin/stats", headers=bearer(sign(key_one)))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "admin_required"


def test_an_administrator_reaches_admin_routes(client: TestClient, key_one: SigningKey) -> None:
    token = sign(key_one, sub="acct-admin", roles=["member", "admin"])

    response = client.get("/v1/admin/stats", headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {"admin": "acct-admin"}


def test_admin_routes_still_need_a_token(client: TestClient) -> None:
    assert client.get("/v1/admin/stats").status_code == 401


def test_unreachable_signing_keys_are_a_503_not_a_sign_out(key_one: SigningKey) -> None:
    with serve_jwks([]) as stopped_soon:
        url = stopped_soon.url
    settings = ServiceSettings(service_name="auth-test", environment="test")
    app = create_app(settings, title="t", version="1", lifespan=None, routers=[auth_router()])
    app.state.key_set = JwksKeySet(url, http_timeout=0.5)

    with TestClient(app) as test_client:
        response = test_client.get("/v1/me", headers=bearer(sign(key_one)))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "auth_unavailable"


def test_routes_document_bearer_authentication_in_openapi(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    schemes = schema["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    assert schema["paths"]["/v1/me"]["get"]["security"]


def test_key_set_from_settings_points_at_the_profile_service() -> None:
    settings = ServiceSettings(profile_url="http://profile:8001/", jwt_audience="aud-x")

    key_set = JwksKeySet.from_settings(settings)

    assert key_set.jwks_url == "http://profile:8001/.well-known/jwks.json"
    assert key_set.audience == "aud-x"
