"""Signed one-click unsubscribe tokens: who, which kind of email, until when.

The token is ``<payload>.<signature>`` where the payload is base64url of
``account_id|kind|expires`` (Unix seconds) and the signature an HMAC-SHA256 of
it with the service's secret, so a link works without signing in, cannot be
altered to unsubscribe someone else, and stops working when it expires
(``UNSUBSCRIBE_LINK_TTL_DAYS``). Links made before they carried an expiry are
treated as expired.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from notifications_service.domain.errors import ExpiredUnsubscribeToken, InvalidUnsubscribeToken
from notifications_service.domain.model import EMAIL_KINDS, EmailKind


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def make_unsubscribe_token(
    secret: str, account_id: str, kind: EmailKind, *, expires_at: float
) -> str:
    """A token naming ``account_id`` and ``kind``, valid until ``expires_at``
    (Unix seconds), signed with ``secret``."""
    payload = _b64(f"{account_id}|{kind}|{int(expires_at)}".encode())
    return f"{payload}.{_signature(secret, payload)}"


def read_unsubscribe_token(
    secret: str, token: str, *, now: float | None = None
) -> tuple[str, EmailKind]:
    """(account_id, kind) from a token.

    Raises:
        InvalidUnsubscribeToken: Forged, altered or malformed.
        ExpiredUnsubscribeToken: Genuine but past its expiry (or made before
            tokens carried one).
    """
    payload, _, signature = token.partition(".")
    if not payload or not signature or len(token) > 1000:
        raise InvalidUnsubscribeToken
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise InvalidUnsubscribeToken
    try:
        fields = _unb64(payload).decode().split("|")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidUnsubscribeToken from exc
    if len(fields) == 2:
        raise ExpiredUnsubscribeToken
    if len(fields) != 3 or not fields[2].isdigit():
        raise InvalidUnsubscribeToken
    account_id, kind, expires = fields
    for known in EMAIL_KINDS:
        if known == kind and account_id:
            if int(expires) < (time.time() if now is None else now):
                raise ExpiredUnsubscribeToken
            return account_id, known
    raise InvalidUnsubscribeToken
