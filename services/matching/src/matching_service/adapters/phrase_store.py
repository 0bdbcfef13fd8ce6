"""In-memory phrase vectors per profile, for re-ranking, with snapshots.

Phrase vectors are kept as float16 (half the memory; cosines move by about 1e-3,
far below the gaps that decide a ranking): 50k people with ten phrases each take
about 400 MB as float32, 200 MB as float16.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from matching_service.adapters.faiss_index import write_atomically
from matching_service.domain.ranking import PhraseVectors

SNAPSHOT_FORMAT = 1


class PhraseStore:
    """Each profile's phrases and their unit vectors, for one side (offers or seeks).

    Thread safety: as for the vector index, one writer at a time; reads from any thread.
    """

    def __init__(self, dimension: int) -> None:
        """Create an empty store for vectors of ``dimension``."""
        self.dimension = dimension
        self._lock = threading.Lock()
        self._phrases: dict[str, tuple[str, ...]] = {}
        self._vectors: dict[str, npt.NDArray[np.float16]] = {}

    def __len__(self) -> int:
        return len(self._phrases)

    def __contains__(self, profile_id: object) -> bool:
        return profile_id in self._phrases

    def put(self, profile_id: str, phrases: PhraseVectors) -> None:
        """Store (or replace) a profile's phrases; an empty set removes them."""
        if len(phrases) == 0:
            self.remove([profile_id])
            return
        if phrases.vectors.shape[1] != self.dimension:
            raise ValueError("phrase vectors have the wrong dimension")
        with self._lock:
            self._phrases[profile_id] = phrases.phrases
            self._vectors[profile_id] = phrases.vectors.astype(np.float16)

    def get(self, profile_id: str) -> PhraseVectors | None:
        """A profile's phrases with their (float16) vectors, or None."""
        with self._lock:
            phrases = self._phrases.get(profile_id)
            vectors = self._vectors.get(profile_id)
        if phrases is None or vectors is None:
            return None
        # float16 as stored: ranking converts once, after stacking every candidate.
        return PhraseVectors(phrases, vectors)

    def get_many(self, profile_ids: Iterable[str]) -> dict[str, PhraseVectors]:
        """The phrases of these profiles (unknown ids left out), under one lock."""
        with self._lock:
            held = [
                (pid, self._phrases[pid], self._vectors[pid])
                for pid in profile_ids
                if pid in self._phrases
            ]
        return {pid: PhraseVectors(phrases, vectors) for pid, phrases, vectors in held}

    def remove(self, profile_ids: Iterable[str]) -> None:
        """Forget these profiles' phrases (unknown ids are ignored)."""
        with self._lock:
            for profile_id in profile_ids:
                self._phrases.pop(profile_id, None)
                self._vectors.pop(profile_id, None)

    def save(self, path: Path) -> None:
        """Write a snapshot atomically."""
        with self._lock:
            ids = list(self._phrases)
            counts = np.array([len(self._phrases[pid]) for pid in ids], dtype=np.int64)
            texts = [phrase for pid in ids for phrase in self._phrases[pid]]
            vectors = (
                np.vstack([self._vectors[pid] for pid in ids])
                if ids
                else np.zeros((0, self.dimension), dtype=np.float16)
            )
        header = {"format": SNAPSHOT_FORMAT, "dimension": self.dimension}
        write_atomically(
            path,
            {
                "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
                "profile_ids": np.array(ids, dtype=np.str_),
                "counts": counts,
                # Phrases as one JSON list: fixed-width numpy strings would pad every
                # phrase to the longest one.
                "phrases": np.frombuffer(json.dumps(texts).encode(), dtype=np.uint8),
                "vectors": vectors,
            },
        )

    @classmethod
    def load(cls, path: Path) -> PhraseStore:
        """Read a snapshot written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as snapshot:
            header = json.loads(bytes(snapshot["header"]).decode())
            if header.get("format") != SNAPSHOT_FORMAT:
                raise ValueError(f"unsupported snapshot format {header.get('format')!r}")
            store = cls(int(header["dimension"]))
            texts: list[str] = json.loads(bytes(snapshot["phrases"]).decode())
            vectors = snapshot["vectors"]
            start = 0
            for profile_id, count in zip(snapshot["profile_ids"], snapshot["counts"], strict=True):
                end = start + int(count)
                store._phrases[str(profile_id)] = tuple(texts[start:end])
                store._vectors[str(profile_id)] = np.array(vectors[start:end], dtype=np.float16)
                start = end
        return store
