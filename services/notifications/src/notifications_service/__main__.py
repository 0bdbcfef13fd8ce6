"""``python -m notifications_service``: run the service, configured by environment variables."""

from __future__ import annotations

from mentor_shared.web.app import serve
from notifications_service.api.app import create_notifications_app
from notifications_service.settings import NotificationsSettings


def main() -> None:
    """Start the HTTP server with the consumer and delivery worker."""
    settings = NotificationsSettings()
    serve(create_notifications_app(settings), settings)


if __name__ == "__main__":
    main()
