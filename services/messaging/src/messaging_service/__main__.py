"""``python -m messaging_service``: run the service, configured by environment variables."""

from __future__ import annotations

from mentor_shared.web.app import serve
from messaging_service.api.app import create_messaging_app
from messaging_service.settings import MessagingSettings


def main() -> None:
    """Serve the messaging service on ``MESSAGING_PORT`` (8003)."""
    settings = MessagingSettings()
    serve(create_messaging_app(settings), settings)


if __name__ == "__main__":
    main()
