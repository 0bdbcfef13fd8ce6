"""Settings of the matching service (environment variables, DESIGN.md "Running it")."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field

from matching_service.domain.ranking_weights import RankingWeights
from mentor_shared.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    """The shared settings plus the matching service's own.

    The ``weight_*`` fields map onto :class:`RankingWeights` (see docs/matching.md):
    score = semantic * semantic_fit + profession * same_profession + grade * grade_fit
    + region * region_fit + skills * skill_overlap - open_requests * request_pressure
    - slow_replies * slowness.
    """

    service_name: str = "matching"
    port: int = Field(default=8002, validation_alias=AliasChoices("MATCHING_PORT", "PORT"))

    embedder: Literal["onnx", "torch", "hashing"] = Field(
        default="onnx",
        description="onnx (int8, default), torch (sentence-transformers) or hashing (tests only)",
    )
    model_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("MATCHING_MODEL_DIR", "MODEL_DIR", "model_dir"),
        description="The int8 model folder `mentor-match export-model` wrote "
        "(default: <python environment>/share/mentor-match/models/all-minilm-l6-v2-int8)",
    )
    consumer_group: str = Field(
        default="matching-index",
        validation_alias=AliasChoices("MATCHING_CONSUMER_GROUP", "consumer_group"),
        description="Profile consumer group; each replica needs its own (it holds its own index)",
    )
    hnsw_threshold: int = Field(
        default=20_000, ge=1, description="Vectors from which the index switches to HNSW"
    )
    snapshot_interval_s: float = Field(default=30.0, gt=0)
    expiry_check_interval_s: float = Field(default=3600.0, gt=0)
    request_expiry_days: float = Field(default=14.0, gt=0)
    reminder_days: float = Field(default=7.0, gt=0)
    max_open_requests: int = Field(default=3, ge=1)
    keep_other_requests_on_accept: bool = False
    rerequest_after_days: float = Field(
        default=30.0,
        ge=0,
        description="Days before a mentee may ask the same person again after a decline, "
        "their own withdrawal or an expiry (0: at once)",
    )
    match_requests_per_day: int = Field(
        default=10,
        ge=1,
        description="Match requests one account may make per day (429 beyond it), "
        "counted in the store so every replica shares the limit",
    )

    weight_semantic: float = Field(default=0.96, ge=0)
    weight_profession: float = Field(default=0.02, ge=0)
    weight_grade: float = Field(default=0.02, ge=0)
    weight_region: float = Field(default=0.02, ge=0)
    weight_open_requests: float = Field(default=0.10, ge=0)
    weight_slow_replies: float = Field(default=0.05, ge=0)
    weight_skills: float = Field(
        default=0.30,
        ge=0,
        description="Weight of the overlap of the mentee's sought and the mentor's offered "
        "skill tags (docs/matching.md, Skills)",
    )
    open_requests_saturation: int = Field(
        default=5,
        ge=1,
        description="Waiting requests at which the full open-requests penalty applies",
    )
    reply_ok_hours: float = Field(
        default=48.0, ge=0, description="Expected reply times up to this carry no penalty"
    )
    slow_reply_hours: float = Field(
        default=168.0, gt=0, description="Expected reply time at which the full penalty applies"
    )
    candidate_pool: int = Field(default=50, ge=1)
    load_cache_s: float = Field(default=5.0, ge=0)
    """How long suggestions share one reading of every mentor's load (0: read on each)."""

    def ranking_weights(self) -> RankingWeights:
        """The ranking weights these settings describe (other knobs keep their defaults)."""
        return RankingWeights(
            semantic=self.weight_semantic,
            profession=self.weight_profession,
            grade=self.weight_grade,
            region=self.weight_region,
            open_requests=self.weight_open_requests,
            slow_replies=self.weight_slow_replies,
            skills=self.weight_skills,
            open_requests_saturation=self.open_requests_saturation,
            reply_ok_hours=self.reply_ok_hours,
            slow_reply_hours=self.slow_reply_hours,
            candidate_pool=self.candidate_pool,
        )

    def index_dir(self) -> Path:
        """Where index snapshots live."""
        return self.data_dir / "matching" / "index"
