"""In-memory phrase vectors per profile, for re-ranking, with snapshots.

Every phrase vector of a side is one row of a single int8 matrix with a float32 scale
per row (:mod:`matching_service.adapters.int8_codes`): a quarter of float32's memory (50k people with four phrases each: 307 MB as
float32, 154 MB as float16, 78 MB here) and cosines within a few thousandths of
float32's, below the gaps that decide a ranking (docs/matching.md). Reading is one
gather and one conversion for all the candidates of a suggestion, instead of one
small array per person. Storing a vector read back from the store gives exactly the
same vector again (see :func:`quantise`).

A replaced or removed profile leaves its rows behind until they pass
``_COMPACT_SHARE`` of the rows in use; then the live rows are copied together.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from matching_service.adapters.int8_codes import dequantise, quantise, stored_form
from matching_service.adapters.snapshot_files import write_atomically, yield_to_requests
from matching_service.domain.phrase_vectors import FloatMatrix, PhraseVectors

_Stored = TypeVar("_Stored", np.int8, np.float32)

SNAPSHOT_FORMAT = 2
"""2: int8 codes with a float32 scale per row; 1 (still read): float16 vectors."""
_MIN_ROWS = 1024
_COMPACT_SHARE = 0.5
"""Dead rows are dropped once they are this share of the rows in use."""


class PhraseStore:
    """Each profile's phrases and their unit vectors, for one side (offers or seeks).

    Thread safety: as for the vector index, one writer at a time; reads from any thread.
    """

    def __init__(self, dimension: int) -> None:
        """Create an empty store for vectors of ``dimension``."""
        self.dimension = dimension
        self._lock = threading.Lock()
        self._phrases: dict[str, tuple[str, ...]] = {}
        self._starts: dict[str, int] = {}
        self._codes = np.zeros((0, dimension), dtype=np.int8)
        self._scales = np.zeros(0, dtype=np.float32)
        self._used = 0
        self._live = 0

    def __len__(self) -> int:
        return len(self._phrases)

    def __contains__(self, profile_id: object) -> bool:
        return profile_id in self._phrases

    def stored_form(self, vectors: FloatMatrix) -> FloatMatrix:
        """The vectors as :meth:`get` would give them back after :meth:`put`."""
        return stored_form(vectors)

    def put(self, profile_id: str, phrases: PhraseVectors) -> None:
        """Store (or replace) a profile's phrases; an empty set removes them."""
        if len(phrases) == 0:
            self.remove([profile_id])
            return
        if phrases.vectors.shape[1] != self.dimension:
            raise ValueError("phrase vectors have the wrong dimension")
        codes, scales = quantise(phrases.vectors)
        with self._lock:
            self._drop(profile_id)
            start = self._allocate(codes.shape[0])
            self._codes[start : start + codes.shape[0]] = codes
            self._scales[start : start + codes.shape[0]] = scales
            self._phrases[profile_id] = phrases.phrases
            self._starts[profile_id] = start
            self._live += codes.shape[0]
            self._compact_if_sparse()

    def get(self, profile_id: str) -> PhraseVectors | None:
        """A profile's phrases with their float32 vectors, or None."""
        return self.get_many([profile_id]).get(profile_id)

    def get_many(self, profile_ids: Iterable[str]) -> dict[str, PhraseVectors]:
        """The phrases of these profiles (unknown ids left out), read at once.

        The vectors are views into one float32 matrix, in the order asked for.
        """
        with self._lock:
            ids = [pid for pid in profile_ids if pid in self._phrases]
            if not ids:
                return {}
            phrases = [self._phrases[pid] for pid in ids]
            rows = self._rows_of(ids)
            vectors = dequantise(self._codes[rows], self._scales[rows])
        found: dict[str, PhraseVectors] = {}
        offset = 0
        for pid, texts in zip(ids, phrases, strict=True):
            found[pid] = PhraseVectors(texts, vectors[offset : offset + len(texts)])
            offset += len(texts)
        return found

    def remove(self, profile_ids: Iterable[str]) -> None:
        """Forget these profiles' phrases (unknown ids are ignored)."""
        with self._lock:
            for profile_id in profile_ids:
                self._drop(profile_id)
            self._compact_if_sparse()

    def _drop(self, profile_id: str) -> None:
        phrases = self._phrases.pop(profile_id, None)
        if phrases is not None:
            del self._starts[profile_id]
            self._live -= len(phrases)

    def _allocate(self, count: int) -> int:
        if self._used + count > self._codes.shape[0]:
            size = max(_MIN_ROWS, 2 * (self._used + count))
            self._codes = _resized(self._codes, size)
            self._scales = _resized(self._scales, size)
        start = self._used
        self._used += count
        return start

    def _compact_if_sparse(self) -> None:
        dead = self._used - self._live
        if dead <= _MIN_ROWS or dead <= _COMPACT_SHARE * self._used:
            return
        ids = list(self._starts)
        rows = self._rows_of(ids)
        size = max(_MIN_ROWS, 2 * rows.size)
        self._codes = _resized(self._codes[rows], size)
        self._scales = _resized(self._scales[rows], size)
        counts = [len(self._phrases[pid]) for pid in ids]
        self._starts = dict(zip(ids, (np.cumsum(counts) - counts).tolist(), strict=True))
        self._used = self._live = int(rows.size)

    def _rows_of(self, ids: list[str]) -> npt.NDArray[np.int64]:
        """Rows of these profiles' phrases, profile after profile."""
        if not ids:
            return np.zeros(0, dtype=np.int64)
        counts = np.fromiter((len(self._phrases[pid]) for pid in ids), dtype=np.int64)
        starts = np.fromiter((self._starts[pid] for pid in ids), dtype=np.int64)
        rows: npt.NDArray[np.int64] = np.arange(int(counts.sum())) + np.repeat(
            starts - (np.cumsum(counts) - counts), counts
        )
        return rows

    def save(self, path: Path) -> None:
        """Write a snapshot atomically."""
        # Only references are taken under the lock, which every suggestion's read of its
        # candidates takes too. Rows in use are never written again (a profile's new
        # phrases are appended; growth and compaction build new arrays), so the copies
        # and the loops over 50k people run outside it.
        with self._lock:
            phrases = dict(self._phrases)
            ids = list(phrases)
            rows = self._rows_of(ids)
            all_codes, all_scales = self._codes, self._scales
        codes, scales = all_codes[rows], all_scales[rows]
        counts = np.array([len(phrases[pid]) for pid in ids], dtype=np.int64)
        texts = [phrase for pid in ids for phrase in phrases[pid]]
        header = {"format": SNAPSHOT_FORMAT, "dimension": self.dimension}
        write_atomically(
            path,
            {
                "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
                "profile_ids": np.array(ids, dtype=np.str_),
                "counts": counts,
                # Phrases as one JSON list: fixed-width numpy strings would pad every
                # phrase to the longest one.
                "phrases": np.frombuffer(_json_list(texts).encode(), dtype=np.uint8),
                "codes": codes,
                "scales": scales,
            },
        )

    @classmethod
    def load(cls, path: Path) -> PhraseStore:
        """Read a snapshot written by :meth:`save` (or by the float16 format before it)."""
        with np.load(path, allow_pickle=False) as snapshot:
            header = json.loads(bytes(snapshot["header"]).decode())
            version = header.get("format")
            if version == SNAPSHOT_FORMAT:
                codes, scales = snapshot["codes"], snapshot["scales"]
            elif version == 1:
                codes, scales = quantise(snapshot["vectors"])
            else:
                raise ValueError(f"unsupported snapshot format {version!r}")
            store = cls(int(header["dimension"]))
            texts: list[str] = json.loads(bytes(snapshot["phrases"]).decode())
            counts = [int(count) for count in snapshot["counts"]]
            ids = [str(profile_id) for profile_id in snapshot["profile_ids"]]
        starts = (np.cumsum(counts, dtype=np.int64) - counts).tolist() if counts else []
        for profile_id, start, count in zip(ids, starts, counts, strict=True):
            store._phrases[profile_id] = tuple(texts[start : start + count])
            store._starts[profile_id] = start
        store._codes = _resized(np.asarray(codes, dtype=np.int8), max(_MIN_ROWS, len(texts)))
        store._scales = _resized(np.asarray(scales, dtype=np.float32), store._codes.shape[0])
        store._used = store._live = len(texts)
        return store


def _resized(array: npt.NDArray[_Stored], rows: int) -> npt.NDArray[_Stored]:
    """A copy with room for ``rows`` rows (the rows beyond the old ones are zero)."""
    grown = np.zeros((rows, *array.shape[1:]), dtype=array.dtype)
    kept = min(rows, array.shape[0])
    grown[:kept] = array[:kept]
    return grown


_PHRASES_PER_SLICE = 20_000
"""Phrases encoded between two pauses (about 1 ms of work)."""


def _json_list(texts: list[str]) -> str:
    """``json.dumps(texts)``, a slice at a time with a pause between slices: one call
    over 250,000 phrases holds the interpreter lock throughout (see
    :func:`~matching_service.adapters.snapshot_files.yield_to_requests`). Same text."""
    slices: list[str] = []
    for start in range(0, len(texts), _PHRASES_PER_SLICE):
        if start:
            yield_to_requests()
        slices.append(json.dumps(texts[start : start + _PHRASES_PER_SLICE])[1:-1])
    return "[" + ", ".join(slices) + "]"
