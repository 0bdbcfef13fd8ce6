"""``python -m web_service``: serve the web frontend, configured by environment variables."""

from __future__ import annotations

from mentor_shared.web.app import serve
from web_service.app import create_web_app
from web_service.settings import WebSettings


def main() -> None:
    """Serve the web app on ``WEB_PORT`` (8000)."""
    settings = WebSettings()
    serve(create_web_app(settings), settings)


if __name__ == "__main__":
    main()
