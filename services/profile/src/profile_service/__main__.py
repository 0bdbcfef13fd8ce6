"""``python -m profile_service``: run the profile service, configured by environment."""

from __future__ import annotations

from mentor_shared.web.app import serve
from profile_service.api.app import create_profile_app
from profile_service.settings import ProfileSettings


def main() -> None:
    """Serve the profile service until interrupted."""
    settings = ProfileSettings()
    serve(create_profile_app(settings), settings)


if __name__ == "__main__":
    main()
