"""Argon2id hashing: parameters, verification, rehash detection and the dummy check."""

from __future__ import annotations

import time

import pytest
from argon2 import Type, extract_parameters

from profile_service.adapters.argon2_hasher import Argon2PasswordHasher
from profile_service.service.ports import PasswordHasher

PASSWORD = "plum umbrella dentist"


@pytest.fixture(scope="module")
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher()


def test_hasher_satisfies_the_port(hasher: Argon2PasswordHasher) -> None:
    port: PasswordHasher = hasher
    assert port.verify(port.hash(PASSWORD), PASSWORD)


def test_hashes_are_argon2id_with_at_least_the_minimum_cost(hasher: Argon2PasswordHasher) -> None:
    parameters = extract_parameters(hasher.hash(PASSWORD))
    assert parameters.type is Type.ID
    assert parameters.memory_cost >= 19456
    assert parameters.time_cost >= 2
    assert parameters.parallelism == 1


def test_each_hash_has_its_own_salt(hasher: Argon2PasswordHasher) -> None:
    assert hasher.hash(PASSWORD) != hasher.hash(PASSWORD)


def test_verify_accepts_the_password_and_refuses_others(hasher: Argon2PasswordHasher) -> None:
    stored = hasher.hash(PASSWORD)
    assert hasher.verify(stored, PASSWORD)
    assert not hasher.verify(stored, PASSWORD + " ")
    assert not hasher.verify(stored, "Plum umbrella dentist")


def test_verify_treats_an_unreadable_stored_hash_as_no_match(
    hasher: Argon2PasswordHasher,
) -> None:
    assert not hasher.verify("not-a-hash", PASSWORD)
    assert hasher.needs_rehash("not-a-hash")


def test_unicode_passwords_verify_whichever_normal_form_is_typed(
    hasher: Argon2PasswordHasher,
) -> None:
    composed, decomposed = "café au lait au bureau", "cafe\u0301 au lait au bureau"
    assert hasher.verify(hasher.hash(composed), decomposed)


def test_hashes_made_with_weaker_parameters_need_rehashing(hasher: Argon2PasswordHasher) -> None:
    stronger = Argon2PasswordHasher(memory_cost_kib=19456, time_cost=3)
    old = hasher.hash(PASSWORD)
    assert not hasher.needs_rehash(old)
    assert stronger.needs_rehash(old)
    assert stronger.verify(old, PASSWORD)


@pytest.mark.parametrize(
    "parameters",
    [{"memory_cost_kib": 19455}, {"time_cost": 1}, {"parallelism": 0}],
)
def test_parameters_below_the_minimum_are_refused(parameters: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be at least"):
        Argon2PasswordHasher(**parameters)


def test_dummy_verify_does_the_same_work_as_a_real_verification(
    hasher: Argon2PasswordHasher,
) -> None:
    stored = hasher.hash(PASSWORD)

    def median_seconds(action: object) -> float:
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            action()  # type: ignore[operator]
            timings.append(time.perf_counter() - started)
        return sorted(timings)[2]

    real = median_seconds(lambda: hasher.verify(stored, "wrong password here"))
    dummy = median_seconds(lambda: hasher.dummy_verify("wrong password here"))
    # Same parameters, same work: a dummy far cheaper than a real check would reveal
    # which email addresses have accounts. Loose bounds because the machine is shared.
    assert 0.4 < dummy / real < 2.5
