"""A local SMTP server that keeps every email as an .eml file (for ``make run``).

Nothing leaves the machine: messages land in ``DATA_DIR/mail`` where the
operator (``mentor-match mail``) or a test can read them.
"""

from __future__ import annotations

import time
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        (self.folder / name).write_bytes(content)
        return "250 Message accepted for delivery"


class MailSink:
    """An SMTP server on ``host:port`` writing each message to ``folder``."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 1025) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_SaveToFolder(folder), hostname=host, port=port)

    def start(self) -> MailSink:
        """Start serving in a background thread."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._controller.stop()


def read_mail(folder: Path) -> list[tuple[Path, EmailMessage]]:
    """Every stored email, oldest first."""
    messages = []
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        messages.append((path, message))
    return messages
