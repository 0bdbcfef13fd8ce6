"""A person's phrases with their unit vectors, and the profile vector made from them.

Retrieval (the vector index) searches one profile vector per person and side;
re-ranking (:mod:`matching_service.domain.ranking`) compares the phrases themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]
StoredMatrix = npt.NDArray[np.floating[Any]]
"""Phrase vectors: float32 as the phrase store gives them; another float type is
converted where it is multiplied."""


@dataclass(frozen=True, slots=True)
class PhraseVectors:
    """One side of a person's phrases with their unit vectors (row i embeds phrase i).

    Attributes:
        phrases: The phrases.
        vectors: (n, d) unit vectors, float32.
    """

    phrases: tuple[str, ...]
    vectors: StoredMatrix

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.phrases):
            raise ValueError("need one vector row per phrase")

    def __len__(self) -> int:
        return len(self.phrases)


def profile_vector(vectors: StoredMatrix) -> FloatMatrix | None:
    """A person's vector for one side: the renormalised mean of their phrase vectors.

    Args:
        vectors: (n, d) phrase vectors.

    Returns:
        A (d,) float32 unit vector, or None when there are no phrases.
    """
    if vectors.shape[0] == 0:
        return None
    mean = vectors.astype(np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm == 0.0:
        return None
    unit: FloatMatrix = (mean / norm).astype(np.float32)
    return unit
