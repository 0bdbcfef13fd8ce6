"""Profiles: the fields a person shows, their limits, and what others may see.

Profiles hold exactly the fields of DESIGN.md (``GET|PUT /v1/profiles/me``) plus
``id`` and ``version``. Every change increases ``version``; that number travels in
``profile.upserted`` so consumers can drop stale updates.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from mentor_shared.clock import utc_now
from mentor_shared.events.schemas import ProfileUpserted, Roles
from mentor_shared.privacy import anonymised, initials
from profile_service.domain.contact import Contact
from profile_service.domain.errors import InvalidProfile, InvalidReference
from profile_service.domain.reference import REFERENCE_FIELDS, ReferenceData
from profile_service.domain.skills import check_skill_ids

__all__ = [
    "DISPLAY_NAME_MAX",
    "FREE_TEXT_MAX",
    "JOB_TITLE_MAX",
    "LIST_ITEM_MAX",
    "LIST_MAX_ITEMS",
    "MAX_CAPACITY",
    "AnonymisedCard",
    "Profile",
    "ProfileFields",
    "ProfileUpdate",
    "PublicProfile",
    "Roles",
    "initials",
    "public_view",
    "to_profile_upserted",
]

DISPLAY_NAME_MAX = 100
JOB_TITLE_MAX = 120
FREE_TEXT_MAX = 2000
LIST_MAX_ITEMS = 20
LIST_ITEM_MAX = 120
MAX_CAPACITY = 20
CODE_MAX = 60

DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=DISPLAY_NAME_MAX)
]
JobTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=JOB_TITLE_MAX)]
FreeText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=FREE_TEXT_MAX)]
ListItem = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LIST_ITEM_MAX)
]
ItemList = Annotated[list[ListItem], Field(max_length=LIST_MAX_ITEMS)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=CODE_MAX)]
Capacity = Annotated[int, Field(ge=0, le=MAX_CAPACITY)]
SKILLS_MAX_ITEMS = 30
SkillId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=CODE_MAX,
        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
    ),
]
SkillList = Annotated[
    list[SkillId],
    Field(
        max_length=SKILLS_MAX_ITEMS,
        description="Skill ids from GET /v1/skills (matching service), confirmed by the person",
    ),
]


def _unique_items(items: list[str]) -> list[str]:
    """Drop repeats (ignoring case and spacing), keeping the first spelling and the order."""
    seen: set[str] = set()
    unique = []
    for item in items:
        text = " ".join(item.split())
        key = text.casefold()
        if key not in seen:
            seen.add(key)
            unique.append(text)
    return unique


MAX_PAUSE_MONTHS = 6
"""A pause of new requests ends at most this many calendar months ahead."""


def pause_limit(today: date) -> date:
    """The latest date a pause set on ``today`` may end: six calendar months ahead
    (the last day of that month when it is shorter, e.g. 31 August -> 28 February)."""
    month = today.month - 1 + MAX_PAUSE_MONTHS
    year, month = today.year + month // 12, month % 12 + 1
    day = min(today.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


class ProfileFields(BaseModel):
    """The profile fields anyone signed in may see (everything but contact details)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    display_name: DisplayName
    department: Code | None = None
    profession: Code | None = None
    grade: Code | None = None
    region: Code | None = None
    travel_regions: Annotated[list[Code], Field(max_length=20)] = Field(default_factory=list)
    remote_ok: bool = True
    job_title: JobTitle | None = None
    roles: Roles = Field(default_factory=Roles)
    capacity: Capacity = Field(default=0, description="Mentees or coachees at once")
    accepting_requests: bool = True
    paused_until: date | None = Field(
        default=None,
        description=(
            "New requests are paused until this date (not included): the person is not "
            "suggested and cannot be asked. Ends by itself on the date; null when not paused"
        ),
    )
    expertise: ItemList = Field(default_factory=list)
    expertise_text: FreeText = ""
    goals: ItemList = Field(default_factory=list)
    goals_text: FreeText = ""
    experience_text: FreeText = ""
    anonymous: bool = Field(
        default=False, description="Appear as initials, department and grade until requesting"
    )
    skills_offered: SkillList = Field(default_factory=list)
    skills_sought: SkillList = Field(default_factory=list)

    @field_validator("expertise", "goals", "travel_regions", "skills_offered", "skills_sought")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        return _unique_items(value)

    @field_validator("job_title")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class Profile(ProfileFields):
    """A person's profile; ``id`` is their account id."""

    id: str
    version: int = Field(ge=1)
    contact: Contact = Field(default_factory=Contact)

    @classmethod
    def new(
        cls,
        profile_id: str,
        display_name: str,
        *,
        contact_email: str | None = None,
        fields: ProfileUpdate | None = None,
        reference: ReferenceData | None = None,
    ) -> Profile:
        """The first version of a profile, made at registration or import.

        Args:
            fields: The rest of the profile, when it arrives whole (an import, a demo
                person); still version 1, since nobody saw an earlier one.
            reference: The lists ``fields`` is checked against (needed with it).

        Raises:
            InvalidProfile: The display name (or a field) breaks a limit.
            InvalidReference: ``fields`` names an unknown reference code.
        """
        blank = _validate_profile(
            {
                "id": profile_id,
                "version": 1,
                "display_name": display_name,
                "contact": {"email": contact_email},
            }
        )
        if fields is None:
            return blank
        if reference is None:
            raise ValueError("Profile.new needs the reference lists to apply fields")
        return blank.apply_update(fields, reference).model_copy(update={"version": 1})

    @property
    def initials(self) -> str:
        """Initials of the display name, as anonymised cards show them."""
        return initials(self.display_name)

    def apply_update(self, update: ProfileUpdate, reference: ReferenceData) -> Profile:
        """Apply the fields ``update`` sets (others stay) and return the next version.

        Reference codes are checked and returned in their canonical spelling. An update
        that changes nothing returns this same profile, with the same version, so no
        event needs publishing.

        Raises:
            InvalidProfile: A field breaks a limit or a non-nullable field was set to null.
            InvalidReference: A department, profession, grade or region is unknown.
            UnknownSkill: A skill id given is not in the vocabulary.
        """
        changes = update.model_dump(include=update.model_fields_set)
        # Only ids sent now are checked: ids stored earlier stay valid (ids are never
        # removed from the vocabulary, see docs/matching.md).
        for field in ("skills_offered", "skills_sought"):
            if changes.get(field):
                check_skill_ids(field, changes[field])
        candidate = _validate_profile({**self.model_dump(), **changes})
        candidate = candidate.with_canonical_references(reference)
        if candidate == self:
            return self
        return candidate.model_copy(update={"version": self.version + 1})

    def with_canonical_references(self, reference: ReferenceData) -> Profile:
        """This profile with reference codes checked and spelt as the lists spell them.

        Raises:
            InvalidReference: Listing every unknown code, not only the first.
        """
        canonical: dict[str, Any] = {}
        problems: list[dict[str, str]] = []
        for field, kind in REFERENCE_FIELDS.items():
            value = getattr(self, field)
            if value is None:
                continue
            if reference.is_valid(kind, value):
                canonical[field] = reference.validate(kind, value)
            else:
                problems.append({"field": field, "code": value})
        regions = []
        for value in self.travel_regions:
            if reference.is_valid("regions", value):
                regions.append(reference.validate("regions", value))
            else:
                problems.append({"field": "travel_regions", "code": value})
        if problems:
            fields = ", ".join(sorted({problem["field"] for problem in problems}))
            raise InvalidReference(
                f"Unknown codes in {fields}; see GET /v1/reference for the lists.",
                details=problems,
            )
        canonical["travel_regions"] = _unique_items(regions)
        return self.model_copy(update=canonical)


_NOT_NULLABLE = (
    "display_name",
    "travel_regions",
    "remote_ok",
    "roles",
    "capacity",
    "accepting_requests",
    "expertise",
    "expertise_text",
    "goals",
    "goals_text",
    "experience_text",
    "anonymous",
    "contact",
)
"""Fields a profile always has: they may be left out of an update, never set to null."""


def _not_nullable_in_schema(schema: dict[str, Any]) -> None:
    # Left out means "unchanged"; null is refused (InvalidProfile), so the schema says so.
    for name in _NOT_NULLABLE:
        field = schema.get("properties", {}).get(name, {})
        options = field.pop("anyOf", None)
        if options is None:
            continue
        kept = [option for option in options if option.get("type") != "null"]
        field.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
        field.pop("default", None)


class ProfileUpdate(BaseModel):
    """A change to a profile: only the fields given are changed (unknown fields refused)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        json_schema_extra=_not_nullable_in_schema,
    )

    display_name: DisplayName | None = None
    department: Code | None = None
    profession: Code | None = None
    grade: Code | None = None
    region: Code | None = None
    travel_regions: Annotated[list[Code], Field(max_length=20)] | None = None
    remote_ok: bool | None = None
    job_title: JobTitle | None = None
    roles: Roles | None = None
    capacity: Capacity | None = None
    accepting_requests: bool | None = None
    paused_until: date | None = Field(
        default=None,
        description=(
            f"Pause new requests until this date (today at the earliest, at most "
            f"{MAX_PAUSE_MONTHS} months ahead); null ends a pause"
        ),
    )
    expertise: ItemList | None = None
    expertise_text: FreeText | None = None
    goals: ItemList | None = None
    goals_text: FreeText | None = None
    experience_text: FreeText | None = None
    anonymous: bool | None = None
    skills_offered: SkillList | None = None
    skills_sought: SkillList | None = None
    contact: Contact | None = None

    @field_validator("expertise", "goals", "travel_regions", "skills_offered", "skills_sought")
    @classmethod
    def _no_repeats(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _unique_items(value)

    @field_validator("paused_until")
    @classmethod
    def _pause_within_limits(cls, value: date | None) -> date | None:
        if value is None:
            return None
        today = utc_now().date()
        latest = pause_limit(today)
        if value < today:
            raise ValueError("The pause must end today or later")
        if value > latest:
            raise ValueError(
                f"A pause can last at most {MAX_PAUSE_MONTHS} months (until {latest.isoformat()})"
            )
        return value


def _validate_profile(data: dict[str, Any]) -> Profile:
    """Validate into a Profile, turning pydantic's errors into :class:`InvalidProfile`."""
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        details = [
            {
                "field": ".".join(str(part) for part in problem["loc"]),
                "message": problem["msg"],
            }
            for problem in error.errors(include_url=False, include_input=False)
        ]
        fields = ", ".join(dict.fromkeys(detail["field"] for detail in details))
        raise InvalidProfile(f"Check these fields: {fields}.", details=details) from None


class PublicProfile(ProfileFields):
    """What another signed-in person sees of a profile: no contact details."""

    id: str
    version: int
    initials: str


class AnonymisedCard(BaseModel):
    """An anonymous mentee as others see them before they send a request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    anonymous: bool = True
    initials: str
    department: str | None
    grade: str | None


def public_view(profile: Profile, *, reveal_identity: bool) -> PublicProfile | AnonymisedCard:
    """What someone other than the owner may see of ``profile``.

    Args:
        profile: The profile shown.
        reveal_identity: True when the viewer may see an anonymous person in full (the
            owner, an administrator, or a mentor they have sent a request to).
    """
    if profile.anonymous and not reveal_identity:
        # The one anonymity rule (mentor_shared.privacy), as every service applies it.
        card = anonymised(
            {
                "display_name": profile.display_name,
                "department": profile.department,
                "grade": profile.grade,
            }
        )
        return AnonymisedCard(
            id=profile.id,
            initials=card["display_name"],
            department=card["department"],
            grade=card["grade"],
        )
    fields = profile.model_dump(exclude={"contact"})
    return PublicProfile(**fields, initials=profile.initials)


def to_profile_upserted(profile: Profile) -> ProfileUpserted:
    """The ``profile.upserted`` payload: what matching needs, never contact details.

    The name travels even for anonymous profiles (with ``anonymous=True``): a mentor
    must see who asked once a request is sent, so consumers honour the flag on cards.
    """
    return ProfileUpserted(
        profile_id=profile.id,
        version=profile.version,
        display_name=profile.display_name,
        initials=profile.initials,
        anonymous=profile.anonymous,
        roles=profile.roles,
        department=profile.department,
        profession=profile.profession,
        grade=profile.grade,
        region=profile.region,
        travel_regions=list(profile.travel_regions),
        remote_ok=profile.remote_ok,
        job_title=profile.job_title,
        expertise=list(profile.expertise),
        expertise_text=profile.expertise_text,
        experience_text=profile.experience_text,
        goals=list(profile.goals),
        goals_text=profile.goals_text,
        capacity=profile.capacity,
        accepting_requests=profile.accepting_requests,
        skills_offered=list(profile.skills_offered),
        skills_sought=list(profile.skills_sought),
        paused_until=profile.paused_until,
    )
