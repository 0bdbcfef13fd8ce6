"""Request and response bodies of the matching API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from matching_service.domain.matches import Match, MatchRole, MatchStatus
from mentor_shared.events.schemas import ProfileUpserted
from mentor_shared.privacy import anonymised

Role = Literal["mentor", "coach", "mentee"]


class CardPublic(BaseModel):
    """What a suggestion or a match shows of a person (never contact details)."""

    display_name: str
    department: str | None = None
    profession: str | None = None
    grade: str | None = None
    region: str | None = None
    usual_reply_days: int | None = Field(
        default=None,
        description=(
            "Usually replies to requests within this many days: the median of their "
            "recent reply times, rounded up; null before three replies (and on "
            "anonymised cards)"
        ),
    )
    last_active: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}$",
        description=(
            "The month (YYYY-MM, UTC) they were last active: saved their profile, sent, "
            "accepted or declined a request. Only the month is ever kept; null when "
            "unknown (and on anonymised cards)"
        ),
    )

    @classmethod
    def of(
        cls,
        profile: ProfileUpserted | None,
        *,
        reveal: bool = False,
        usual_reply_days: int | None = None,
        last_active: str | None = None,
    ) -> CardPublic:
        """A card; anonymous people show initials, department and grade only, unless
        ``reveal`` (``mentor_shared.privacy.anonymised``, the one anonymity rule).

        Args:
            profile: The stored profile; None when matching no longer holds it.
            reveal: The two people share a match request (a mentee appears anonymised
                only until they send a request).
            usual_reply_days: Their usual reply time in days, when known.
            last_active: The month they were last active, when known.
        """
        if profile is None:
            return cls(display_name="Former member")
        card = {
            "display_name": profile.display_name,
            "department": profile.department,
            "profession": profile.profession,
            "grade": profile.grade,
            "region": profile.region,
        }
        if profile.anonymous and not reveal:
            return cls.model_validate(anonymised(card))
        return cls.model_validate(
            {**card, "usual_reply_days": usual_reply_days, "last_active": last_active}
        )


class SuggestionPublic(BaseModel):
    """One ranked candidate."""

    profile_id: str
    score: float
    reasons: list[str]
    card: CardPublic


class SearchFilters(BaseModel):
    """Hard filters of a free-text search."""

    model_config = ConfigDict(extra="forbid")

    department: str | None = None
    exclude_own_department: StrictBool = False
    min_grade: str | None = None
    region: str | None = None
    accept_remote: StrictBool = Field(
        default=True,
        description="With a region: people open to remote mentoring pass it wherever they are.",
    )


class SearchCreate(BaseModel):
    """``POST /v1/search``."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000)
    role: Role = "mentor"
    filters: SearchFilters = Field(default_factory=SearchFilters)
    limit: int = Field(default=10, ge=1, le=50)


class SuggestedFilterPublic(BaseModel):
    """A filter the person's own words ask for; never applied without them choosing it."""

    filter: Literal["exclude_own_department", "min_grade", "region", "accept_remote"] = Field(
        description="The query parameter of GET /v1/suggestions (or field of the search "
        "filters) that applies it."
    )
    value: str | bool = Field(
        description="The value to set: true/false, a grade code or a region code."
    )
    label: str = Field(description='What it does, in words ("Only show people ...").')
    applied: bool = Field(description="Whether the request this answers already applies it.")
    evidence: str = Field(description="The person's own clause it was read from.")


class SuggestedFiltersPublic(BaseModel):
    """``GET /v1/suggestions/filters`` and ``POST /v1/search/filters``."""

    suggested_filters: list[SuggestedFilterPublic]


class MatchCreate(BaseModel):
    """``POST /v1/matches``."""

    model_config = ConfigDict(extra="forbid")

    mentor_id: str = Field(min_length=1, max_length=200)
    message: str = Field(default="", max_length=4000)
    role: MatchRole | None = None


class DeclineBody(BaseModel):
    """``POST /v1/matches/{id}/decline``."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


class EndBody(BaseModel):
    """``POST /v1/matches/{id}/end``."""

    model_config = ConfigDict(extra="forbid")

    rating: int | None = Field(default=None, ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class DeclineOpenBody(BaseModel):
    """``POST /v1/matches/decline-open``."""

    model_config = ConfigDict(extra="forbid")

    message: str | None = Field(
        default=None,
        max_length=1000,
        description="One kind message sent with every decline (the decline's reason)",
    )


class SavedPublic(BaseModel):
    """One person on the caller's shortlist."""

    profile_id: str
    saved_at: datetime
    card: CardPublic
    taking_requests: bool = Field(
        description=(
            "False when they no longer mentor or coach, stopped accepting requests, "
            "paused them, or have no place left; they stay on the list"
        )
    )
    paused_until: date | None = Field(
        description="Their pause of new requests ends on this date, while it runs"
    )


def _shown_fields(match: Match) -> dict[str, Any]:
    """The fields of a match both of its people see, in every view of it."""
    return {
        "id": match.id,
        "role": match.role,
        "status": match.status,
        "message": match.message,
        "reason": match.reason,
        "created_at": match.created_at,
        "answered_at": match.answered_at,
        "ended_at": match.ended_at,
    }


class MatchPublic(BaseModel):
    """A match as one of its two people sees it."""

    id: str
    mentee_id: str
    mentor_id: str
    role: MatchRole
    status: MatchStatus
    message: str
    reason: str | None
    created_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    other: CardPublic | None = None

    @classmethod
    def of(cls, match: Match, other: CardPublic | None = None) -> MatchPublic:
        """The public view of a match."""
        return cls(
            **_shown_fields(match),
            mentee_id=match.mentee_id,
            mentor_id=match.mentor_id,
            other=other,
        )


class EventPublic(BaseModel):
    """The last profile event applied."""

    id: str
    type: str
    occurred_at: datetime


class IndexStatusPublic(BaseModel):
    """``GET /v1/index/status``."""

    profiles: int
    offers: int
    seeks: int
    last_event: EventPublic | None
    lag: int
    snapshot_at: datetime | None
    loaded: bool


class ProfileIndexStatus(BaseModel):
    """``GET /v1/index/status?profile_id=``."""

    profile_id: str
    version: int | None


class RebuildPublic(BaseModel):
    """Result of an index rebuild."""

    profiles: int
    offers: int
    seeks: int
    seconds: float


class CohortCreate(BaseModel):
    """``POST /v1/admin/cohorts``."""

    model_config = ConfigDict(extra="forbid")

    mentee_ids: list[str] = Field(min_length=1, max_length=2000)
    mentor_ids: list[str] = Field(min_length=1, max_length=2000)
    create_requests: StrictBool = False


class AssignmentPublic(BaseModel):
    """One proposed pair."""

    mentee_id: str
    mentor_id: str
    score: float
    reasons: list[str]
    match_id: str | None = None


class CohortPublic(BaseModel):
    """The optimal placement."""

    assignments: list[AssignmentPublic]
    unassigned: list[str]


class WeekPublic(BaseModel):
    """Requests and acceptances of one ISO week in one department."""

    week: str
    department: str | None
    requests: int
    accepted: int


class FeedbackPublic(BaseModel):
    """Feedback aggregates."""

    count: int
    mean_rating: float | None


class StatsPublic(BaseModel):
    """``GET /v1/admin/stats/matching``: aggregates only."""

    weekly: list[WeekPublic]
    feedback: FeedbackPublic


class ExportedMatch(BaseModel):
    """One of the caller's match requests, as they could already see it."""

    id: str
    side: Literal["mentee", "mentor"] = Field(description="The caller's part in it")
    role: MatchRole
    status: MatchStatus
    message: str = Field(description="The request message the mentee wrote")
    reason: str | None
    created_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    ended_by_you: bool
    rating: int | None = Field(description="The caller's own end-of-match rating, if any")
    comment: str | None = Field(description="The caller's own end-of-match comment, if any")
    other: CardPublic = Field(description="The other person's card, as the caller sees it")

    @classmethod
    def of(cls, match: Match, person_id: str, other: CardPublic) -> ExportedMatch:
        """The match from ``person_id``'s side; feedback only when they gave it."""
        theirs = match.ended_by == person_id
        return cls(
            **_shown_fields(match),
            side="mentee" if match.mentee_id == person_id else "mentor",
            ended_by_you=theirs,
            rating=match.rating if theirs else None,
            comment=match.comment if theirs else None,
            other=other,
        )


class ExportedSaved(BaseModel):
    """One person on the caller's shortlist, in their export."""

    profile_id: str
    saved_at: datetime
    card: CardPublic


class MatchingExport(BaseModel):
    """``GET /v1/me/export/matching``: what the matching service holds about the caller."""

    service: Literal["matching"] = "matching"
    subject_id: str
    exported_at: datetime
    profile: ProfileUpserted | None = Field(
        description="The caller's profile as matching holds it (from profile.upserted)"
    )
    matches: list[ExportedMatch] = Field(
        description="Their match requests, as mentee and as mentor or coach, newest first"
    )
    reply_hours: list[float] = Field(
        description="Their recent reply times in hours (mentors and coaches; load spreading)"
    )
    shortlist: list[ExportedSaved] = Field(
        description="The people they saved for later, as the cards they see"
    )
    last_active: str | None = Field(
        description="The month (YYYY-MM) matching last saw them active, or null"
    )


class SkillPublic(BaseModel):
    """One skill of the vocabulary."""

    id: str = Field(description="Stable id; what profiles store in skills_offered/skills_sought")
    name: str
    group: str = Field(description="Id of the skill's group")


class SkillGroupPublic(BaseModel):
    """A group of skills (a profession or an area)."""

    id: str
    name: str


class SkillVocabularyPublic(BaseModel):
    """``GET /v1/skills``: the whole vocabulary."""

    version: int = Field(description="Version of the vocabulary data file")
    groups: list[SkillGroupPublic]
    skills: list[SkillPublic]


class SkillSuggestCreate(BaseModel):
    """``POST /v1/skills/suggest``."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=6000, description="What the person wrote")
    side: Literal["offered", "sought"] = Field(
        description="offered: expertise and experience text; sought: goals text"
    )


class SkillSuggestionPublic(BaseModel):
    """A skill suggested for a text."""

    id: str
    name: str
