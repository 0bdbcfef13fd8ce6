"""Domain errors carry a stable code, a message and details, grouped by HTTP family."""

from __future__ import annotations

import pytest

from profile_service.domain import errors
from profile_service.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RefreshTokenReused,
    Unauthenticated,
    WeakPassword,
)

FAMILIES = (InvalidInput, Unauthenticated, Forbidden, NotFound, Conflict)


def _all_errors() -> list[type[DomainError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, DomainError)
    ]


def test_error_body_has_code_message_and_details() -> None:
    error = WeakPassword("Use at least 12 characters.", details=[{"code": "too_short"}])
    assert error.to_dict() == {
        "code": "weak_password",
        "message": "Use at least 12 characters.",
        "details": [{"code": "too_short"}],
    }
    assert str(error) == "Use at least 12 characters."


def test_every_error_code_is_unique_and_snake_case() -> None:
    codes = [error.code for error in _all_errors()]
    assert len(codes) == len(set(codes))
    assert all(code.replace("_", "").isalpha() and code.islower() for code in codes)


@pytest.mark.parametrize(
    "error", [e for e in _all_errors() if e not in FAMILIES and e is not DomainError]
)
def test_every_concrete_error_belongs_to_exactly_one_http_family(error: type[DomainError]) -> None:
    assert sum(issubclass(error, family) for family in FAMILIES) == 1


def test_reused_refresh_token_keeps_the_family_out_of_the_response() -> None:
    error = RefreshTokenReused("Sign in again.", family_id="f-1")
    assert error.family_id == "f-1"
    assert "f-1" not in str(error.to_dict())
