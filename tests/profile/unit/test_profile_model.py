"""Profiles, accounts and contact grants."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from mentor_shared.events.envelope import new_event
from mentor_shared.events.schemas import (
    AccountEmailVerified,
    AccountRegistered,
    MatchAccepted,
    ProfileUpserted,
    Roles,
)
from profile_service.domain.accounts import Account
from profile_service.domain.allowlist import parse_email
from profile_service.domain.commands import GrantContact
from profile_service.domain.contact import Contact, normalise_phone
from profile_service.domain.errors import ContactNotShared, InvalidProfile, InvalidReference
from profile_service.domain.grants import ContactGrant, contact_for
from profile_service.domain.profiles import (
    DISPLAY_NAME_MAX,
    FREE_TEXT_MAX,
    LIST_ITEM_MAX,
    LIST_MAX_ITEMS,
    AnonymisedCard,
    Profile,
    ProfileUpdate,
    PublicProfile,
    initials,
    pause_limit,
    public_view,
    to_profile_upserted,
)
from profile_service.domain.reference import ReferenceData, default_reference_data

NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
REFERENCE = default_reference_data()
EDITABLE_FIELDS = {
    "display_name", "department", "profession", "grade", "region", "travel_regions",
    "remote_ok", "job_title", "roles", "capacity", "accepting_requests", "expertise",
    "expertise_text", "goals", "goals_text", "experience_text", "anonymous", "contact",
    "skills_offered", "skills_sought", "paused_until",
}  # fmt: skip


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return default_reference_data()


@pytest.fixture
def profile(reference: ReferenceData) -> Profile:
    return Profile.new("p-1", "Priya Patel", contact_email="priya.patel@dwp.gov.uk").apply_update(
        ProfileUpdate(
            department="dwp",
            profession="policy",
            grade="HEO",
            region="north-west",
            roles=Roles(mentee=True),
            goals=["Leading a team"],
            goals_text="I want to move into a first line-management role.",
            contact=Contact(email="priya.patel@dwp.gov.uk", phone="07700 900123"),
        ),
        reference,
    )


def test_profile_has_exactly_the_design_fields_plus_id_and_version() -> None:
    assert set(Profile.model_fields) == EDITABLE_FIELDS | {"id", "version"}
    assert set(ProfileUpdate.model_fields) == EDITABLE_FIELDS


def test_new_profile_starts_at_version_one_with_defaults() -> None:
    profile = Profile.new("p-1", "  Sam Jones ", contact_email="Sam.Jones@HO.gov.uk")
    assert profile.version == 1
    assert profile.display_name == "Sam Jones"
    assert profile.contact.email == "Sam.Jones@ho.gov.uk"
    assert profile.roles == Roles()
    assert profile.remote_ok
    assert profile.accepting_requests
    assert not profile.anonymous
    assert profile.capacity == 0
    assert profile.expertise == []
    assert profile.goals_text == ""


def test_update_changes_only_the_fields_given_and_increments_version(
    profile: Profile, reference: ReferenceData
) -> None:
    updated = profile.apply_update(ProfileUpdate(job_title="Policy adviser"), reference)
    assert updated.version == profile.version + 1
    assert updated.job_title == "Policy adviser"
    assert updated.model_dump(exclude={"job_title", "version"}) == profile.model_dump(
        exclude={"job_title", "version"}
    )


def test_update_that_changes_nothing_keeps_the_version(
    profile: Profile, reference: ReferenceData
) -> None:
    assert profile.apply_update(ProfileUpdate(grade="heo"), reference) is profile
    assert profile.apply_update(ProfileUpdate(), reference) is profile


def test_update_can_clear_a_nullable_field_with_an_explicit_null(
    profile: Profile, reference: ReferenceData
) -> None:
    updated = profile.apply_update(ProfileUpdate(region=None), reference)
    assert updated.region is None
    assert updated.version == profile.version + 1


def test_update_refuses_null_for_a_field_that_cannot_be_empty(
    profile: Profile, reference: ReferenceData
) -> None:
    with pytest.raises(InvalidProfile) as raised:
        profile.apply_update(ProfileUpdate(display_name=None, capacity=None), reference)
    fields = {detail["field"] for detail in raised.value.details}
    assert fields == {"display_name", "capacity"}


def test_reference_codes_are_checked_and_stored_canonically(
    profile: Profile, reference: ReferenceData
) -> None:
    updated = profile.apply_update(
        ProfileUpdate(grade="g7", department="HMT", travel_regions=["LONDON", "london", "wales"]),
        reference,
    )
    assert (updated.grade, updated.department) == ("G7", "hmt")
    assert updated.travel_regions == ["london", "wales"]


def test_every_unknown_reference_code_is_reported(
    profile: Profile, reference: ReferenceData
) -> None:
    with pytest.raises(InvalidReference) as raised:
        profile.apply_update(
            ProfileUpdate(department="mom", grade="G8", travel_regions=["london", "narnia"]),
            reference,
        )
    assert raised.value.details == [
        {"field": "department", "code": "mom"},
        {"field": "grade", "code": "G8"},
        {"field": "travel_regions", "code": "narnia"},
    ]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        ProfileUpdate.model_validate({"display_name": "A", "salary": 50000})
    with pytest.raises(ValidationError):
        ProfileUpdate.model_validate({"roles": {"mentor": True, "sponsor": True}})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"display_name": "x" * (DISPLAY_NAME_MAX + 1)}, "display_name"),
        ({"display_name": "   "}, "display_name"),
        ({"expertise_text": "x" * (FREE_TEXT_MAX + 1)}, "expertise_text"),
        ({"goals_text": "x" * (FREE_TEXT_MAX + 1)}, "goals_text"),
        ({"experience_text": "x" * (FREE_TEXT_MAX + 1)}, "experience_text"),
        ({"expertise": [f"topic {i}" for i in range(LIST_MAX_ITEMS + 1)]}, "expertise"),
        ({"goals": ["x" * (LIST_ITEM_MAX + 1)]}, "goals"),
        ({"goals": ["  "]}, "goals"),
        ({"capacity": 21}, "capacity"),
        ({"capacity": -1}, "capacity"),
        ({"job_title": "x" * 121}, "job_title"),
    ],
)
def test_limits_are_enforced(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ProfileUpdate.model_validate(changes)
    assert raised.value.errors()[0]["loc"][0] == field


def test_limits_at_the_boundary_are_accepted(profile: Profile, reference: ReferenceData) -> None:
    update = ProfileUpdate(
        display_name="x" * DISPLAY_NAME_MAX,
        expertise_text="x" * FREE_TEXT_MAX,
        expertise=[f"{i:03d}" + "x" * (LIST_ITEM_MAX - 3) for i in range(LIST_MAX_ITEMS)],
        capacity=20,
    )
    updated = profile.apply_update(update, reference)
    assert len(updated.expertise) == LIST_MAX_ITEMS
    assert updated.capacity == 20


def test_list_items_are_trimmed_and_repeats_dropped() -> None:
    update = ProfileUpdate(expertise=[" Data  science ", "data science", "Policy"])
    assert update.expertise == ["Data science", "Policy"]


def test_blank_job_title_is_stored_as_none(profile: Profile, reference: ReferenceData) -> None:
    with_title = profile.apply_update(ProfileUpdate(job_title="Analyst"), reference)
    assert with_title.apply_update(ProfileUpdate(job_title="  "), reference).job_title is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07700 900123", "+447700900123"),
        ("07700-900-123", "+447700900123"),
        ("020 7946 0000", "+442079460000"),
        ("+44 (0)20 7946 0000", "+442079460000"),
        ("+44 7700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("(01632) 960 001", "+441632960001"),
        ("+353 1 234 5678", "+35312345678"),
    ],
)
def test_phone_numbers_are_stored_in_international_form(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["12345", "7700 900123", "+44 07700 900123", "07700 9001234567", "call me", "+4+4 20", "+0"],
)
def test_phone_numbers_that_are_not_plausible_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"number|\+"):
        normalise_phone(raw)


def test_contact_validates_email_and_phone() -> None:
    assert Contact(email=" ", phone="").model_dump() == {"email": None, "phone": None}
    with pytest.raises(ValidationError):
        Contact(email="not-an-address")
    with pytest.raises(ValidationError):
        Contact(phone="12")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Priya Patel", "P. P."),
        ("Mary-Jane van Dyke", "M. V. D."),
        ("cher", "C."),
        ("  Seán   Ó Briain ", "S. Ó. B."),
        ("(Jo) Bloggs", "B."),
        ("李 小龙", "李. 小."),
        ("123", "?"),
    ],
)
def test_initials_follow_the_shared_anonymity_rule(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_profile_upserted_carries_matchable_fields_and_no_contact(profile: Profile) -> None:
    event = to_profile_upserted(profile)
    assert isinstance(event, ProfileUpserted)
    assert event.profile_id == profile.id
    assert event.version == profile.version
    assert event.initials == "P. P."
    assert event.grade == "HEO"
    assert event.goals == ["Leading a team"]
    payload = new_event(event, subject=profile.id, source="profile").to_bytes().decode()
    assert "priya.patel@dwp.gov.uk" not in payload
    assert "900123" not in payload
    assert "contact" not in event.model_dump()
    assert set(event.model_dump()) - {"profile_id", "initials"} <= set(Profile.model_fields)


def test_anonymous_mentee_appears_as_initials_department_and_grade(
    profile: Profile, reference: ReferenceData
) -> None:
    anonymous = profile.apply_update(ProfileUpdate(anonymous=True), reference)
    card = public_view(anonymous, reveal_identity=False)
    assert card == AnonymisedCard(id="p-1", initials="P. P.", department="dwp", grade="HEO")
    assert "Priya" not in card.model_dump_json()
    revealed = public_view(anonymous, reveal_identity=True)
    assert isinstance(revealed, PublicProfile)
    assert revealed.display_name == "Priya Patel"


def test_public_view_never_includes_contact_details(profile: Profile) -> None:
    view = public_view(profile, reveal_identity=False)
    assert isinstance(view, PublicProfile)
    assert view.display_name == "Priya Patel"
    assert view.initials == "P. P."
    assert "contact" not in view.model_dump()
    assert "900123" not in view.model_dump_json()


def _grant(active: bool = True) -> ContactGrant:
    accepted = MatchAccepted(match_id="m-1", mentee_id="p-1", mentor_id="p-2")
    grant = ContactGrant.from_accepted(accepted, at=NOW)
    return grant if active else grant.end(at=NOW)


def test_contact_is_shown_to_the_other_person_of_an_active_match(profile: Profile) -> None:
    assert contact_for(profile, "p-2", [_grant()]).phone == "+447700900123"


def test_owner_always_sees_their_own_contact(profile: Profile) -> None:
    assert contact_for(profile, "p-1", []) == profile.contact


@pytest.mark.parametrize(
    ("viewer", "grants"),
    [("p-2", []), ("p-2", [_grant(active=False)]), ("p-3", [_grant()])],
    ids=["no match", "match ended", "someone outside the match"],
)
def test_contact_is_hidden_without_an_active_match(
    profile: Profile, viewer: str, grants: list[ContactGrant]
) -> None:
    with pytest.raises(ContactNotShared):
        contact_for(profile, viewer, grants)


def test_ending_a_grant_is_idempotent() -> None:
    ended = _grant().end(at=NOW)
    assert not ended.active
    assert ended.ended_at == NOW
    assert ended.end(at=datetime(2027, 1, 1, tzinfo=UTC)) is ended
    assert not ended.allows("p-1", "p-2")


def test_grant_allows_both_directions_but_not_self() -> None:
    grant = _grant()
    assert grant.allows("p-1", "p-2")
    assert grant.allows("p-2", "p-1")
    assert not grant.allows("p-1", "p-1")


def test_registered_account_waits_for_verification_and_has_member_role() -> None:
    account = Account.register(
        "a-1", parse_email("Jo@DWP.gov.uk"), display_name="Jo", password_hash="hash", now=NOW
    ).account
    assert account.email == "Jo@dwp.gov.uk"
    assert account.email_key == "jo@dwp.gov.uk"
    assert not account.email_verified
    assert account.claimed
    assert account.can_sign_in
    assert account.roles == ["member"]
    verified = account.verify_email(now=NOW)
    assert verified.email_verified
    assert verified.email_verified_at == NOW
    assert verified.verify_email(now=datetime(2027, 1, 1, tzinfo=UTC)) is verified
    assert account.grant_admin().roles == ["member", "admin"]


def test_imported_account_cannot_sign_in_until_claimed() -> None:
    account = Account.import_(
        "a-2", parse_email("coach@hmrc.gov.uk"), "Coach", ProfileUpdate(), REFERENCE, now=NOW
    ).account
    assert not account.claimed
    assert account.password_hash is None
    assert not account.can_sign_in
    claimed = account.claim("hash", now=NOW)
    assert claimed.claimed
    assert claimed.can_sign_in
    assert claimed.email_verified


def test_a_registration_is_unlisted_and_announces_only_the_account() -> None:
    registration = Account.register(
        "a-3", parse_email("Ada@DWP.gov.uk"), display_name=" Ada Lovelace ", now=NOW
    )
    account, profile = registration.account, registration.profile
    assert account.password_hash is None
    assert not account.email_verified
    assert not account.listed
    assert (profile.id, profile.version, profile.display_name) == ("a-3", 1, "Ada Lovelace")
    assert profile.contact.email == "Ada@dwp.gov.uk"
    assert registration.events == (
        AccountRegistered(account_id="a-3", email="Ada@dwp.gov.uk", display_name="Ada Lovelace"),
    )


def test_a_pre_verified_registration_keeps_its_profile_and_announces_it() -> None:
    profile = Profile.new("a-4", "Grace Hopper", contact_email="grace@dwp.gov.uk").apply_update(
        ProfileUpdate(roles=Roles(mentor=True), capacity=2), REFERENCE
    )
    registration = Account.register(
        "a-4",
        parse_email("grace@dwp.gov.uk"),
        profile=profile,
        password_hash="hash",
        verified=True,
        now=NOW,
    )
    assert registration.account.email_verified_at == NOW
    assert registration.account.listed
    assert registration.account.can_sign_in
    assert registration.profile is profile
    assert [type(event) for event in registration.events] == [
        AccountRegistered,
        AccountEmailVerified,
        ProfileUpserted,
    ]
    assert registration.events[2] == to_profile_upserted(profile)


def test_a_registration_takes_a_name_or_the_accounts_own_profile() -> None:
    email = parse_email("x@dwp.gov.uk")
    with pytest.raises(ValueError, match="own profile"):
        Account.register("a-5", email, profile=Profile.new("other", "X"), now=NOW)
    with pytest.raises(ValueError, match="own profile"):
        Account.register("a-5", email, now=NOW)
    with pytest.raises(ValueError, match="own profile"):
        Account.register("a-5", email, display_name="X", profile=Profile.new("a-5", "X"), now=NOW)


def test_an_import_is_listed_at_once_and_announces_only_the_profile() -> None:
    registration = Account.import_(
        "a-6",
        parse_email("coach@hmrc.gov.uk"),
        "Cora Coach",
        ProfileUpdate(roles=Roles(coach=True), capacity=3),
        REFERENCE,
        now=NOW,
    )
    assert not registration.account.claimed
    assert registration.account.listed
    assert registration.profile.version == 1
    assert registration.profile.roles.coach
    assert registration.profile.contact.email == "coach@hmrc.gov.uk"
    assert registration.events == (to_profile_upserted(registration.profile),)


def test_a_grant_is_made_from_the_accepted_matchs_command_as_from_its_event() -> None:
    command = GrantContact(match_id="m-1", mentee_id="p-1", mentor_id="p-2")
    assert ContactGrant.from_accepted(command, at=NOW) == _grant()


def test_a_pause_ends_at_most_six_calendar_months_ahead() -> None:
    assert pause_limit(date(2026, 12, 2)) == date(2027, 6, 2)
    assert pause_limit(date(2026, 8, 31)) == date(2027, 2, 28)
    assert pause_limit(date(2026, 5, 15)) == date(2026, 11, 15)
