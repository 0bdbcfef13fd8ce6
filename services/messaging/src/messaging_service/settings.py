"""Settings of the messaging service (environment variables, DESIGN.md "Running it")."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from mentor_shared.settings import ServiceSettings


class MessagingSettings(ServiceSettings):
    """The shared settings plus the messaging service's own."""

    service_name: str = "messaging"
    port: int = Field(default=8003, validation_alias=AliasChoices("MESSAGING_PORT", "PORT"))

    message_rate_limit: int = Field(
        default=30, ge=1, description="Messages one person may post per rate window"
    )
    message_rate_window_s: float = Field(default=60.0, gt=0)
    stream_keepalive_s: float = Field(
        default=15.0, gt=0, description="Seconds between SSE keep-alive comments"
    )
    stream_max_queue: int = Field(
        default=1000, ge=1, description="Messages a slow stream subscriber may fall behind"
    )
    page_size_default: int = Field(default=50, ge=1, le=200)
    kafka_fetch_max_wait_ms: int = Field(
        default=100,
        description=(
            "Higher than the shared default: the match events this service consumes only open"
            " and close conversations, and every fetch the development broker holds costs CPU"
            " that posting messages needs"
        ),
    )
