"""Where pages send the browser next: post/redirect/get, and the sign-in page."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi.responses import RedirectResponse


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
