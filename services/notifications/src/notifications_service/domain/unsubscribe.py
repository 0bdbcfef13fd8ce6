"""Signed one-click unsubscribe tokens: who, and which kind of email.

The token is ``<payload>.<signature>`` where the payload is base64url of
``account_id|kind`` and the signature an HMAC-SHA256 of it with the service's
secret, so a link works without signing in and cannot be altered to
unsubscribe someone else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from notifications_service.domain.errors import InvalidUnsubscribeToken
from notifications_service.domain.model import EMAIL_KINDS, EmailKind


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def make_unsubscribe_token(secret: str, account_id: str, kind: EmailKind) -> str:
    """A token naming ``account_id`` and ``kind``, signed with ``secret``."""
    payload = _b64(f"{account_id}|{kind}".encode())
    return f"{payload}.{_signature(secret, payload)}"


def read_unsubscribe_token(secret: str, token: str) -> tuple[str, EmailKind]:
    """(account_id, kind) from a token; raises InvalidUnsubscribeToken if forged."""
    payload, _, signature = token.partition(".")
    if not payload or not signature or len(token) > 1000:
        raise InvalidUnsubscribeToken
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise InvalidUnsubscribeToken
    try:
        account_id, _, kind = _unb64(payload).decode().partition("|")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidUnsubscribeToken from exc
    for known in EMAIL_KINDS:
        if known == kind and account_id:
            return account_id, known
    raise InvalidUnsubscribeToken
