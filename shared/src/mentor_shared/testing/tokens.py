"""Access tokens for tests: signed like the profile service's, accepted by a service
whose ``app.state.key_set`` is :meth:`TokenMaker.key_set`."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mentor_shared.auth import JwksKeySet

ISSUER = AUDIENCE = "mentor-match"


@dataclass
class TokenMaker:
    """Signs EdDSA access tokens with a key of its own."""

    kid: str = "test-key"
    private: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def key_set(self) -> JwksKeySet:
        """The key set that verifies these tokens."""
        return JwksKeySet.from_public_keys(
            {self.kid: self.private.public_key()}, issuer=ISSUER, audience=AUDIENCE
        )

    def token(self, subject: str, *, admin: bool = False, ttl_s: int = 3600) -> str:
        """An access token for ``subject`` (an administrator's when ``admin``)."""
        now = int(time.time())
        claims = {
            "sub": subject,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + ttl_s,
            "jti": str(uuid.uuid4()),
            "roles": ["member", "admin"] if admin else ["member"],
        }
        return jwt.encode(claims, self.private, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, subject: str, *, admin: bool = False) -> dict[str, str]:
        """``Authorization`` header carrying a token for ``subject``."""
        return {"Authorization": f"Bearer {self.token(subject, admin=admin)}"}
