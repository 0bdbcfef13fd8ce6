"""Secrets that must travel on the broker, sealed so the broker never holds them in clear.

Single-use links (verification, password reset, claim) are made by the profile
service and emailed by the notifications service; the event between them carries
them sealed (Fernet: AES-128-CBC with HMAC-SHA256, with a timestamp). Only services
holding the key can open them: an attacker reading a topic, its retained segments or
an outbox copy gets nothing usable.

The key is ``EVENT_SEAL_KEY`` (a Fernet key, shared by profile and notifications as
a secret in production) or, on the embedded defaults, one generated once at
``DATA_DIR/event-seal.key``, which every service of ``make run`` shares.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from mentor_shared.settings import ServiceSettings

KEY_FILE = "event-seal.key"


class SealError(Exception):
    """A sealed value could not be opened (wrong key, tampered or not sealed)."""


class Sealer:
    """Seals and opens short secrets with the services' shared key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Sealer:
        """The configured key, or the data folder's (created on first use, mode 0600)."""
        if settings.event_seal_key is not None:
            return cls(settings.event_seal_key.get_secret_value().encode())
        if settings.environment == "production":
            # Each container has its own data folder: a generated key would differ
            # between profile and notifications, and no emailed link would work.
            raise ValueError("EVENT_SEAL_KEY must be set in production")
        return cls(_key_file(settings.data_dir / KEY_FILE))

    def seal(self, text: str) -> str:
        """An opaque, authenticated, encrypted copy of ``text``."""
        return self._fernet.encrypt(text.encode()).decode()

    def open(self, sealed: str) -> str:
        """The text :meth:`seal` sealed.

        Raises:
            SealError: The value was not sealed with this key or was altered.
        """
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except (InvalidToken, ValueError) as exc:
            raise SealError("the sealed value cannot be opened") from exc


def _key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written aside, then linked into place: the link fails if another service
        # starting at the same moment got there first, and then both use its key.
        spare = path.with_name(f"{path.name}.{os.getpid()}")
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key())
        try:
            os.link(spare, path)
        except FileExistsError:
            pass
        finally:
            spare.unlink()
    return path.read_bytes().strip()
