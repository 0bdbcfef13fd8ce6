"""The matching side's view of a person, built from a profile event.

The domain does not import the event schemas (they are pydantic models); any object
with the fields of ``mentor_shared.events.schemas.ProfileUpserted`` can be turned into
a :class:`PersonProfile` through :meth:`PersonProfile.from_fields`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal, Protocol

from matching_service.domain.availability import AvailabilityFields
from matching_service.domain.skills import load_vocabulary
from matching_service.domain.texts import PhraseSource, ProfilePhrases, profile_phrases
from mentor_shared.clock import utc_now

TargetRole = Literal["mentor", "coach", "mentee"]
"""The role a suggestion's candidate must play for the person asking."""

OFFERING_ROLES: frozenset[TargetRole] = frozenset({"mentor", "coach"})


class RoleFields(Protocol):
    """Which parts a person plays (``Roles`` of the profile event)."""

    @property
    def mentor(self) -> bool: ...
    @property
    def mentee(self) -> bool: ...
    @property
    def coach(self) -> bool: ...


class ProfileFields(AvailabilityFields, PhraseSource, Protocol):
    """The fields of a ``profile.upserted`` event that matching uses."""

    @property
    def profile_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def roles(self) -> RoleFields: ...
    @property
    def department(self) -> str | None: ...
    @property
    def profession(self) -> str | None: ...
    @property
    def grade(self) -> str | None: ...
    @property
    def region(self) -> str | None: ...
    @property
    def travel_regions(self) -> Sequence[str]: ...
    @property
    def remote_ok(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class PersonProfile:
    """Everything matching knows about one person (no contact details).

    Attributes:
        profile_id: The profile's id (a UUID string).
        version: The profile version this copy reflects.
        roles: The roles the person plays ("mentor", "coach", "mentee").
        capacity: How many mentees or coachees they take at once.
        accepting_requests: False when they stopped taking new requests.
        paused_until: New requests are paused until this date (not included), or None.
        anonymous: The person appears anonymised: to others they are initials,
            department and grade only, and never match a name, profession or region
            query or filter (``mentor_shared.privacy``, the one anonymity rule).
        offered_skills: Skill ids (:mod:`matching_service.domain.skills`) the person
            can help with: the ones they confirmed, else (once indexed) those tagged
            from their offer phrases (:meth:`tagged`).
        sought_skills: Skill ids they want to develop: confirmed, else tagged from
            their goal phrases.
    """

    profile_id: str
    version: int = 1
    roles: frozenset[TargetRole] = frozenset()
    department: str | None = None
    profession: str | None = None
    grade: str | None = None
    region: str | None = None
    travel_regions: frozenset[str] = frozenset()
    remote_ok: bool = True
    job_title: str | None = None
    expertise: tuple[str, ...] = ()
    expertise_text: str = ""
    experience_text: str = ""
    goals: tuple[str, ...] = ()
    goals_text: str = ""
    capacity: int = 0
    accepting_requests: bool = True
    anonymous: bool = False
    offered_skills: tuple[str, ...] = ()
    sought_skills: tuple[str, ...] = ()
    paused_until: date | None = None

    @classmethod
    def from_fields(cls, profile: ProfileFields) -> PersonProfile:
        """Build from a ``ProfileUpserted`` event (or anything with its fields).

        Keeps the skills the person confirmed (``skills_offered``, ``skills_sought``;
        ids not in the vocabulary are ignored); a side with none is tagged from the
        profile's phrases when it is indexed (:meth:`tagged`).
        """
        vocabulary = load_vocabulary()
        roles: set[TargetRole] = set()
        if profile.roles.mentor:
            roles.add("mentor")
        if profile.roles.coach:
            roles.add("coach")
        if profile.roles.mentee:
            roles.add("mentee")
        return cls(
            profile_id=profile.profile_id,
            version=profile.version,
            roles=frozenset(roles),
            department=profile.department,
            profession=profile.profession,
            grade=profile.grade,
            region=profile.region,
            travel_regions=frozenset(profile.travel_regions),
            remote_ok=profile.remote_ok,
            job_title=profile.job_title,
            expertise=tuple(profile.expertise),
            expertise_text=profile.expertise_text,
            experience_text=profile.experience_text,
            goals=tuple(profile.goals),
            goals_text=profile.goals_text,
            capacity=profile.capacity,
            accepting_requests=profile.accepting_requests,
            anonymous=profile.anonymous,
            offered_skills=vocabulary.known(getattr(profile, "skills_offered", ()) or ()),
            sought_skills=vocabulary.known(getattr(profile, "skills_sought", ()) or ()),
            paused_until=profile.paused_until,
        )

    def tagged(self, phrases: ProfilePhrases | None = None) -> PersonProfile:
        """This profile with each side that has no confirmed skills tagged from the
        phrases matching reads on that side (``phrases`` when already worked out).

        Those are its offers and goals (:func:`~matching_service.domain.texts.profile_phrases`):
        where a side states one, its self-description and preferences tag nothing ("I
        moved here from a contact centre"); a side of self-description alone is read as
        for its vectors, with department, grade and place names taken out.
        """
        if self.offered_skills and self.sought_skills:
            return self
        if phrases is None:
            phrases = profile_phrases(self)
        vocabulary = load_vocabulary()
        return replace(
            self,
            offered_skills=self.offered_skills or vocabulary.tag_all(phrases.offers),
            sought_skills=self.sought_skills or vocabulary.tag_all(phrases.seeks),
        )

    @property
    def offers_help(self) -> bool:
        """True when the person mentors or coaches."""
        return bool(self.roles & OFFERING_ROLES)


@dataclass(frozen=True, slots=True)
class CandidateLoad:
    """How busy a mentor or coach is, from the match store.

    Attributes:
        active_matches: Accepted matches still running (counts against capacity).
        open_requests: Requests waiting for their answer.
        median_reply_hours: Their usual time to answer a request: the median of their
            recent reply times (:mod:`matching_service.domain.replies`); None when
            unknown, or not read because it carries no penalty (see
            ``MatchingReadModel.pair_history``).
        oldest_wait_hours: Age of their oldest request still waiting; None when
            none waits.
    """

    active_matches: int = 0
    open_requests: int = 0
    median_reply_hours: float | None = None
    oldest_wait_hours: float | None = None

    @property
    def expected_reply_hours(self) -> float | None:
        """How long a new request can expect to wait for an answer.

        Their usual reply time, or the age of a request already waiting longer than
        that: a request not answered yet will take at least its current age, so a
        mentor sitting on requests drops before those requests expire and enter the
        median. Only the oldest waiting request counts (it bounds the others).
        """
        usual, waiting = self.median_reply_hours, self.oldest_wait_hours
        if usual is None or waiting is None:
            return waiting if usual is None else usual
        return max(usual, waiting)


@dataclass(frozen=True, slots=True)
class SuggestionQuery:
    """What the person asking wants, beyond their own profile.

    Attributes:
        role: The role candidates must play.
        department: Only candidates from this department, when set.
        exclude_own_department: Leave out candidates from the asker's department.
        min_grade: Only candidates at or above this grade, when set.
        region: Only candidates based in, or willing to travel to, this region.
        accept_remote: Candidates open to remote mentoring pass the region filter.
        allow_any_grade: Opt out of the rule that a mentor or coach is at or above the
            mentee's grade (or a mentee at or below the mentor's).
        limit: How many suggestions to return.
        profession: A profession the asker asked for: a preference, not a filter
            (candidates in it rank higher among equally good matches). Without it,
            profession does not count in the ranking.
        today: The date paused mentors are compared with (None: today in UTC).
    """

    role: TargetRole = "mentor"
    department: str | None = None
    exclude_own_department: bool = False
    min_grade: str | None = None
    region: str | None = None
    accept_remote: bool = True
    allow_any_grade: bool = False
    limit: int = 10
    profession: str | None = None
    today: date | None = None

    def on_date(self) -> date:
        """The date pauses are compared with."""
        return self.today or utc_now().date()


@dataclass(frozen=True, slots=True)
class PairHistory:
    """Candidates the asker may not be offered again, and who is busy.

    Attributes:
        excluded_ids: Candidates already requested by, or who declined, the asker.
        loads: Load of each candidate that has any; absent means idle.
    """

    excluded_ids: frozenset[str] = frozenset()
    loads: dict[str, CandidateLoad] = field(default_factory=dict)

    def load_of(self, profile_id: str) -> CandidateLoad:
        """The candidate's load, idle when unknown."""
        return self.loads.get(profile_id, _IDLE)


_IDLE = CandidateLoad()

GRADE_ORDER: tuple[str, ...] = (
    "AA",
    "AO",
    "EO",
    "HEO",
    "SEO",
    "G7",
    "G6",
    "SCS1",
    "SCS2",
    "SCS3",
    "SCS4",
)
"""Civil-service grades from most junior to most senior (codes profiles store)."""

GRADE_NAMES: dict[str, str] = {
    "AA": "Administrative Assistant",
    "AO": "Administrative Officer",
    "EO": "Executive Officer",
    "HEO": "Higher Executive Officer",
    "SEO": "Senior Executive Officer",
    "G7": "Grade 7",
    "G6": "Grade 6",
    "SCS1": "Deputy Director (SCS1)",
    "SCS2": "Director (SCS2)",
    "SCS3": "Director General (SCS3)",
    "SCS4": "Permanent Secretary (SCS4)",
}

_GRADE_RANK = {code: rank for rank, code in enumerate(GRADE_ORDER)}


def grade_rank(grade: str | None) -> int | None:
    """Position of a grade code in :data:`GRADE_ORDER`; None when unknown or unset."""
    if grade is None:
        return None
    return _GRADE_RANK.get(grade.strip().upper())
