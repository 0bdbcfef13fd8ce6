"""Directory cursors sealed with a key only the profile service holds.

A cursor is the page's last position (a sort key derived from a name, and an id)
encrypted and authenticated with Fernet (AES-128-CBC and HMAC-SHA256): clients see
random-looking text, and one changed character makes it invalid. The key is
derived from the token signing key, which every replica already shares, so any
replica opens any replica's cursor; rotating the signing key ends old cursors
(their holders start again from the first page).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken

from profile_service.adapters.jwt_keys import SigningKey
from profile_service.domain.directory import (
    INVALID_CURSOR_MESSAGE,
    DirectoryPosition,
    InvalidCursor,
)

_PURPOSE = b"mentor-match profile directory cursor v1"


class SealedDirectoryCursors:
    """Seals and opens directory positions."""

    def __init__(self, key: bytes) -> None:
        """Args: key: 32 secret bytes."""
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    @classmethod
    def from_signing_key(cls, signing_key: SigningKey) -> SealedDirectoryCursors:
        """Cursors keyed by HKDF of the signing key (a separate key for a separate use)."""
        return cls(signing_key.derived_key(_PURPOSE))

    def seal(self, position: DirectoryPosition) -> str:
        """The opaque cursor for ``position``."""
        return self._fernet.encrypt(position.to_bytes()).decode("ascii").rstrip("=")

    def open(self, cursor: str) -> DirectoryPosition:
        """The position a cursor holds.

        Raises:
            InvalidCursor: Tampered with, made with another key, or not a cursor.
        """
        try:
            raw = self._fernet.decrypt(cursor + "=" * (-len(cursor) % 4))
        except (InvalidToken, ValueError, TypeError) as error:
            raise InvalidCursor(INVALID_CURSOR_MESSAGE) from error
        return DirectoryPosition.from_bytes(raw)
