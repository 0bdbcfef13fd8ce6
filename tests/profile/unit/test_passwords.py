"""Password policy: length not composition, common and predictable passwords refused."""

from __future__ import annotations

import pytest

from profile_service.domain.errors import WeakPassword
from profile_service.domain.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PasswordPolicy,
    load_common_passwords,
    normalise_password,
    parse_password_list,
)


@pytest.fixture(scope="module")
def policy() -> PasswordPolicy:
    return PasswordPolicy.default()


def codes(policy: PasswordPolicy, password: str, **person: str) -> list[str]:
    return [problem.code for problem in policy.problems(password, **person)]


@pytest.mark.parametrize(
    "password",
    [
        "plum umbrella dentist",
        "mitochondria42",
        "Wiltshire-Ferret-Lamp",
        "alllowercaseletters",
        "a quiet walk on wednesday",
        "Tr0ub4dor&3xx",
        "émile zola à paris",
        "雪が降る夜に散歩する猫たち",
    ],
)
def test_long_uncommon_passwords_need_no_digits_symbols_or_capitals(
    policy: PasswordPolicy, password: str
) -> None:
    assert policy.problems(password) == []
    policy.check(password)


def test_passwords_under_twelve_characters_are_too_short(policy: PasswordPolicy) -> None:
    assert codes(policy, "plum umbrel") == ["too_short"]
    assert codes(policy, "plum umbrell") == []


def test_a_256_character_passphrase_is_accepted_and_257_is_too_long(
    policy: PasswordPolicy,
) -> None:
    words = "plum umbrella dentist walrus lantern "
    passphrase = (words * 10)[:MAX_PASSWORD_LENGTH]
    assert len(passphrase) == MAX_PASSWORD_LENGTH
    assert policy.problems(passphrase) == []
    assert codes(policy, passphrase + "x") == ["too_long"]


def test_length_is_counted_in_characters_not_bytes(policy: PasswordPolicy) -> None:
    # Eleven characters but 33 bytes in UTF-8: still too short.
    assert codes(policy, "雪" * 11) != []
    assert "too_short" in codes(policy, "雪" * 11)


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "PASSWORD1234",
        "Password2024!",
        "P@ssw0rd2024!",
        "qwertyuiop12",
        "correct horse battery staple",
        "iloveyou1234",
        "sunshine847293",
        "MentorMatch2025",
        "CivilService123",
        "Summer2024!!",
        "hunter2hunter2",
        "passwordpassword",
        "1qaz2wsx3edc4rfv",
        "Liverpool2024!",
    ],
)
def test_common_passwords_and_padded_or_swapped_variants_are_refused(
    policy: PasswordPolicy, password: str
) -> None:
    assert codes(policy, password) == ["common_password"]


@pytest.mark.parametrize(
    "password",
    [
        "123456789012",
        "zyxwvutsrqpo",
        "abcabcabcabc",
        "343434343434",
        "            ",
        "zxcvbnmasdfg",
        "asdqwezxc123",
        "8901234567890",
    ],
)
def test_sequences_repetitions_and_keyboard_walks_are_refused(
    policy: PasswordPolicy, password: str
) -> None:
    assert codes(policy, password) == ["predictable_pattern"]


def test_password_containing_the_email_local_part_is_refused(policy: PasswordPolicy) -> None:
    problems = codes(policy, "xJane.Smith-rocks", email="jane.smith@cabinetoffice.gov.uk")
    assert problems == ["contains_email"]


def test_password_containing_the_display_name_is_refused(policy: PasswordPolicy) -> None:
    assert codes(policy, "my name is Priya Patel ok", display_name="Priya Patel") == [
        "contains_name"
    ]


def test_short_names_do_not_refuse_passwords_by_coincidence(policy: PasswordPolicy) -> None:
    assert codes(policy, "plum umbrella dentist", email="al@dwp.gov.uk", display_name="Al") == []


def test_check_raises_weak_password_listing_every_reason(policy: PasswordPolicy) -> None:
    with pytest.raises(WeakPassword) as raised:
        policy.check("janesmith1", email="jane.smith@co.gov.uk", display_name="Jane Smith")
    error = raised.value
    assert error.code == "weak_password"
    assert [detail["code"] for detail in error.details] == [
        "too_short",
        "contains_email",
        "contains_name",
    ]
    assert all(detail["message"] for detail in error.details)
    assert "12 characters" in error.message


def test_shipped_common_password_list_is_large_and_lower_case() -> None:
    common = load_common_passwords()
    assert len(common) >= 1000
    assert {"password", "123456", "qwerty", "iloveyou", "password1234"} <= common
    assert all(word == word.lower() for word in common)


def test_password_list_format_skips_comments_and_blank_lines() -> None:
    assert parse_password_list("# header\n\nHunter2\n letmein \n") == {"hunter2", "letmein"}


def test_a_policy_can_use_its_own_list() -> None:
    policy = PasswordPolicy(frozenset({"departmentname"}))
    assert [p.code for p in policy.problems("DepartmentName12")] == ["common_password"]
    assert policy.problems("password1234") == []


def test_policy_refuses_a_minimum_below_eight() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        PasswordPolicy(frozenset(), min_length=6)


def test_normalisation_makes_compatible_characters_equal() -> None:
    assert normalise_password("\uff50\uff41\uff53\uff53") == "pass"
    assert normalise_password("e\u0301") == "\u00e9"
    assert MIN_PASSWORD_LENGTH == 12
