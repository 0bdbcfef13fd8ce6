"""Ports of the matching service: what the application needs from the outside."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from matching_service.domain.ranking import PhraseVectors


class Embedder(Protocol):
    """Turns texts into unit vectors (inner product = cosine).

    Implementations are synchronous and CPU-bound: the service calls ``embed`` from a
    worker thread, never on the event loop.
    """

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        ...

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts.

        Args:
            texts: The texts, possibly empty.

        Returns:
            A float32 array of shape (len(texts), dimension), each row L2-normalised.
        """
        ...


class VectorSearchHit(Protocol):
    """One hit of a vector search."""

    @property
    def profile_id(self) -> str: ...
    @property
    def score(self) -> float: ...


class ProfileVectorIndex(Protocol):
    """One vector per profile, searchable with an allowed-id filter applied in the search.

    One writer at a time (callers serialise upserts and removals); searches from any
    thread.
    """

    def __len__(self) -> int: ...

    def contains(self, profile_id: str) -> bool:
        """True when the profile has a vector."""
        ...

    def key_of(self, profile_id: str) -> int | None:
        """Internal int64 key of the profile's current vector, or None."""
        ...

    def upsert(self, profile_ids: Sequence[str], vectors: npt.NDArray[np.float32]) -> None:
        """Add or replace vectors (row i for profile_ids[i])."""
        ...

    def remove(self, profile_ids: Iterable[str]) -> int:
        """Remove vectors; returns how many existed."""
        ...

    def search(
        self,
        query_vectors: npt.NDArray[np.float32],
        k: int,
        allowed_ids: set[str] | frozenset[str] | None = None,
        *,
        allowed_keys: npt.NDArray[np.int64] | None = None,
    ) -> Sequence[Sequence[VectorSearchHit]]:
        """Top-k per query among the allowed profiles (ids or keys), best first."""
        ...

    def vectors_for(self, profile_ids: Iterable[str]) -> Mapping[str, npt.NDArray[np.float32]]:
        """Stored vectors of these profiles (unknown ids left out)."""
        ...


class PhraseVectorStore(Protocol):
    """Each profile's phrases with their vectors, for re-ranking."""

    def __len__(self) -> int: ...

    def put(self, profile_id: str, phrases: PhraseVectors) -> None:
        """Store or replace a profile's phrases (empty removes them)."""
        ...

    def get(self, profile_id: str) -> PhraseVectors | None:
        """A profile's phrases, or None."""
        ...

    def remove(self, profile_ids: Iterable[str]) -> None:
        """Forget these profiles' phrases."""
        ...
