"""backend.attempt: the refusals a page expects come back, any other error propagates."""

from __future__ import annotations

import pytest

from web_service.backend import ApiError, attempt


async def answer(value: object) -> object:
    return value


async def refuse(status: int) -> object:
    raise ApiError(status, "refused", "No")


async def test_an_answer_comes_back_as_it_is() -> None:
    assert await attempt(answer({"id": "1"}), 422) == {"id": "1"}


async def test_an_expected_refusal_comes_back_instead_of_being_raised() -> None:
    refusal = await attempt(refuse(409), 404, 409)
    assert isinstance(refusal, ApiError)
    assert refusal.status == 409


async def test_a_refusal_the_page_does_not_expect_propagates() -> None:
    with pytest.raises(ApiError) as raised:
        await attempt(refuse(403), 404, 409)
    assert raised.value.status == 403
