"""Where pages send the browser next: post/redirect/get, back after a button's action,
and the sign-in page."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import RedirectResponse

from web_service.backend import ApiError, attempt
from web_service.sessions import WebSession


def next_path(value: str | None, default: str = "/") -> str:
    """A local path to go back to after signing in (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def redirect(url: str) -> RedirectResponse:
    """Post/redirect/get: 303 See Other."""
    return RedirectResponse(url, status_code=303)


def sign_in_redirect(next_url: str) -> RedirectResponse:
    """To the sign-in page, coming back to ``next_url`` afterwards."""
    return redirect("/sign-in?" + urlencode({"next": next_path(next_url)}))


async def act_then_redirect(
    session: WebSession,
    action: Awaitable[Any],
    *,
    back: str,
    done: tuple[str, str],
    refused: str = "That could not be done",
    refusals: tuple[int, ...] = (403, 404, 409, 422),
) -> RedirectResponse:
    """A button's action: do it, say in a banner how it went, and go ``back``.

    Args:
        session: Where the banner waits for the next page.
        action: The call(s) to the services.
        back: The page to show next.
        done: The banner's title and text when it worked.
        refused: The banner's title when a service refused (its message is the text).
        refusals: The statuses that are refusals to show; others go to the error pages.
    """
    outcome = await attempt(action, *refusals)
    if isinstance(outcome, ApiError):
        session.add_flash(refused, outcome.message, "info")
    else:
        session.add_flash(*done)
    return redirect(back)
