"""The profile service's reference lists (departments, professions, grades, regions)."""

from __future__ import annotations

import time

from fastapi import Request

from web_service.deps import backend_of

REFERENCE_TTL_S = 600.0


async def reference_lists(request: Request) -> dict[str, list[dict[str, str]]]:
    """Departments, professions, grades and regions (cached for ten minutes)."""
    state = request.app.state
    cached: tuple[float, dict[str, list[dict[str, str]]]] | None = getattr(
        state, "reference_cache", None
    )
    if cached and cached[0] > time.monotonic():
        return cached[1]
    lists: dict[str, list[dict[str, str]]] = await backend_of(request).json(
        "profile", "GET", "/v1/reference"
    )
    state.reference_cache = (time.monotonic() + REFERENCE_TTL_S, lists)
    return lists


def names_of(lists: dict[str, list[dict[str, str]]]) -> dict[str, dict[str, str]]:
    """``{"departments": {code: name}, ...}`` to show names for stored codes."""
    return {
        kind: {entry["code"]: entry["name"] for entry in entries} for kind, entries in lists.items()
    }


async def department_names(request: Request) -> dict[str, str]:
    """Department code -> name."""
    return names_of(await reference_lists(request))["departments"]
