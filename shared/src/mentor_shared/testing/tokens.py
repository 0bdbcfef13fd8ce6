"""Access tokens for tests: signed like the profile service's, accepted by a service
whose ``app.state.key_set`` is :meth:`TokenMaker.key_set`, or by a service process
pointed at a :class:`JwksServer` (``JWKS_URL``)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mentor_shared.auth import JwksKeySet, ed25519_public_jwk

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


class JwksServer:
    """Publishes a :class:`TokenMaker`'s public key as a JWKS document on a free port."""

    def __init__(self, tokens: TokenMaker) -> None:
        document = json.dumps(
            {"keys": [ed25519_public_jwk(tokens.kid, tokens.private.public_key())]}
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(document)))
                self.end_headers()
                self.wfile.write(document)

            def log_message(self, format: str, *args: Any) -> None:
                return None  # quiet: the document is fetched by every service started

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where the JWKS document is served."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/.well-known/jwks.json"

    def start(self) -> JwksServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
