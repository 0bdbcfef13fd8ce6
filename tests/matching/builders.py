"""Builders shared by the matching tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from matching_service.domain.model import PersonProfile, TargetRole


def person(profile_id: str, *roles: TargetRole, **fields: Any) -> PersonProfile:
    """A profile with sensible defaults: accepting, capacity 2, remote-friendly."""
    defaults: dict[str, Any] = {
        "roles": frozenset(roles or ("mentor",)),
        "capacity": 2,
        "accepting_requests": True,
        "remote_ok": True,
    }
    defaults.update(fields)
    if "travel_regions" in defaults:
        defaults["travel_regions"] = frozenset(defaults["travel_regions"])
    for key in ("expertise", "goals"):
        if key in defaults:
            defaults[key] = tuple(defaults[key])
    return PersonProfile(profile_id=profile_id, **defaults)


def unit_vectors(count: int, dimension: int = 16, seed: int = 0) -> npt.NDArray[np.float32]:
    """Random unit vectors."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, dimension)).astype(np.float32)
    unit: npt.NDArray[np.float32] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit


def ids(count: int, prefix: str = "p") -> list[str]:
    """Distinct profile ids."""
    return [f"{prefix}-{index}" for index in range(count)]


def brute_force(
    vectors: npt.NDArray[np.float32],
    names: Sequence[str],
    query: npt.NDArray[np.float32],
    k: int,
    allowed: set[str] | None = None,
) -> list[str]:
    """Exact top-k ids by inner product among allowed names (the reference)."""
    scores = vectors @ query
    order = np.argsort(-scores, kind="stable")
    ranked = [names[row] for row in order if allowed is None or names[row] in allowed]
    return ranked[:k]
