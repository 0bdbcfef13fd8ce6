"""A FAISS vector index of profile vectors, keyed by profile id, with snapshots.

Up to ``hnsw_threshold`` live vectors the index is exact (``IndexIDMap2`` over
``IndexFlatIP``): a filtered top-10 over 20k vectors takes about a millisecond, and
removal works in place (O(n), so batch upserts). Above it, HNSW (M=32, efConstruction
80, efSearch 64): a suggestion searches the profile vector and every goal phrase, and
at 50k an exact pass per query costs 3-8 ms where the graph walk costs 0.2-1 ms with
the same top ten (docs/matching.md has the measurement).

HNSW cannot remove vectors, so in HNSW mode a removed or replaced vector is
tombstoned: its internal id leaves the id mapping and is excluded from every search
by the id selector. An upsert adds the new vector under a fresh internal id. When
tombstones pass ``max_tombstone_ratio`` of the stored vectors, the index is rebuilt
from the live vectors (flat again if few enough are left).

Filters are applied inside the search: in flat mode a filtered search of several
queries, and in HNSW mode most filtered searches, take one exact pass over the
allowed vectors instead of FAISS's search with an id selector
(:mod:`matching_service.adapters.index_search` says when and why).

Thread safety: one writer at a time (callers serialise ``upsert``/``remove``, e.g.
one indexing worker); the index also holds a writer lock so a second writer waits
rather than corrupts. Searches may run from any thread: they take a short state
lock, and a rebuild prepares the new index outside that lock and swaps it in, so
searches continue on the old index meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import faiss as _faiss
import numpy as np
import numpy.typing as npt
import structlog

from matching_service.adapters.index_search import (
    DEFAULT_EXACT_SUBSET_RATIO,
    exact_pass_pays,
    exact_top_k,
    faiss_top_k,
)
from matching_service.adapters.index_snapshot import load_index, save_index
from matching_service.adapters.int8_codes import RowCodes, sorted_distinct

log = structlog.get_logger(__name__)

# FAISS's SWIG bindings ship type hints that miss most of the API (SearchParametersHNSW,
# the ``sel`` keyword): use the module untyped.
faiss: Any = _faiss

IndexKind = Literal["flat", "hnsw"]
DEFAULT_HNSW_THRESHOLD = 20_000
"""Live vectors from which the index is HNSW (the ``HNSW_THRESHOLD`` setting's default)."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result: a profile id and its inner product (cosine) with the query."""

    profile_id: str
    score: float


def _as_matrix(vectors: npt.ArrayLike, dimension: int) -> npt.NDArray[np.float32]:
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    if matrix.ndim != 2 or matrix.shape[1] != dimension:
        raise ValueError(f"expected vectors of dimension {dimension}, got shape {matrix.shape}")
    return matrix


class VectorIndex:
    """Profile vectors in FAISS, searchable with an allowed-id filter.

    Profile ids (strings) map to int64 ids assigned in sequence; the mapping is part
    of every snapshot, and a removed profile's id leaves it (erasure).
    """

    def __init__(
        self,
        dimension: int,
        *,
        hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
        hnsw_m: int = 32,
        ef_search: int = 64,
        ef_construction: int = 80,
        max_tombstone_ratio: float = 0.1,
        exact_subset_ratio: float = DEFAULT_EXACT_SUBSET_RATIO,
        search_threads: int | None = 1,
    ) -> None:
        """Create an empty index.

        Args:
            dimension: Vector length.
            hnsw_threshold: Live vectors above which the index switches to HNSW.
            hnsw_m: HNSW graph degree.
            ef_search: HNSW search breadth for unfiltered searches.
            ef_construction: HNSW build breadth.
            max_tombstone_ratio: Share of tombstoned vectors that triggers a rebuild.
            exact_subset_ratio: In HNSW mode, a filtered search of n queries is exact
                (one pass over the allowed rows) when the filter allows at most n
                times this share of the live vectors, and walks the graph above it.
            search_threads: OpenMP threads per search (in the calling thread only);
                None leaves FAISS's default. One suits a server answering many small
                queries; batch jobs may want more.
        """
        if dimension < 1 or hnsw_threshold < 1:
            raise ValueError("dimension and hnsw_threshold must be positive")
        self.dimension = dimension
        self.hnsw_threshold = hnsw_threshold
        self.hnsw_m = hnsw_m
        self.ef_search = ef_search
        self.ef_construction = ef_construction
        self.max_tombstone_ratio = max_tombstone_ratio
        self.exact_subset_ratio = exact_subset_ratio
        self.search_threads = search_threads
        # Multi-query searches (a goal phrase each) use BLAS from 20 queries on rather
        # than FAISS's default of 20 000-ish: about 9x faster for 64 queries.
        faiss.cvar.distance_compute_blas_threshold = 20
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._ids: dict[str, int] = {}
        self._names: dict[int, str] = {}
        self._next_id = 0
        self._tombstones: set[int] = set()
        # Per internal key: is it live, and (HNSW) its row in the graph's flat storage.
        self._live = np.zeros(0, dtype=bool)
        self._key_rows = np.zeros(0, dtype=np.int64)
        # Per storage row: its internal key (flat mode: rebuilt lazily after writes).
        self._row_ids = np.zeros(0, dtype=np.int64)
        self._flat_rows_stale = True
        self._kind: IndexKind = "flat"
        self._index: Any = self._new_index("flat")
        # HNSW mode: int8 codes of the graph's storage rows, same order (a first pass
        # for wide subset searches). Empty in flat mode, whose rows move on removal.
        self._codes = RowCodes(dimension)

    # --- construction -------------------------------------------------------------

    def _new_index(self, kind: IndexKind) -> Any:
        if kind == "flat":
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
        hnsw = faiss.IndexHNSWFlat(self.dimension, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = self.ef_construction
        hnsw.hnsw.efSearch = self.ef_search
        return faiss.IndexIDMap2(hnsw)

    def _hnsw(self) -> Any:
        return faiss.downcast_index(self._index.index)

    # --- reading ------------------------------------------------------------------

    @property
    def kind(self) -> IndexKind:
        """ "flat" (exact) or "hnsw"."""
        return self._kind

    def __len__(self) -> int:
        """Number of live (searchable) profiles."""
        return len(self._ids)

    def __contains__(self, profile_id: object) -> bool:
        return profile_id in self._ids

    def contains(self, profile_id: str) -> bool:
        """True when the profile has a vector in the index."""
        return profile_id in self._ids

    def profile_ids(self) -> frozenset[str]:
        """Every indexed profile id."""
        with self._lock:
            return frozenset(self._ids)

    @property
    def tombstones(self) -> int:
        """Tombstoned vectors waiting for a rebuild (HNSW mode only)."""
        return len(self._tombstones)

    def vectors_for(self, profile_ids: Iterable[str]) -> dict[str, npt.NDArray[np.float32]]:
        """The stored vectors of the given profiles (unknown ids are left out)."""
        with self._lock:
            found = [(pid, self._ids[pid]) for pid in profile_ids if pid in self._ids]
            if not found:
                return {}
            keys = np.array([key for _, key in found], dtype=np.int64)
            matrix = self._index.reconstruct_batch(keys)
        rows = np.asarray(matrix, dtype=np.float32)
        return {pid: rows[row] for row, (pid, _) in enumerate(found)}

    def key_of(self, profile_id: str) -> int | None:
        """The internal int64 key of a profile's current vector, or None.

        Keys stay valid until the profile is upserted again or removed; pass them to
        :meth:`search` as ``allowed_keys`` to skip mapping strings on every query.
        """
        return self._ids.get(profile_id)

    def search(
        self,
        query_vectors: npt.ArrayLike,
        k: int,
        allowed_ids: set[str] | frozenset[str] | None = None,
        *,
        allowed_keys: npt.NDArray[np.int64] | None = None,
    ) -> list[list[SearchHit]]:
        """Top-k by inner product for each query, among the allowed profiles only.

        Args:
            query_vectors: (n, d) or (d,) unit vectors.
            k: Results wanted per query.
            allowed_ids: Only these profiles may be returned; None allows everyone.
                The filter runs inside FAISS (an id selector), not after it.
            allowed_keys: The same filter as internal keys (:meth:`key_of`); stale
                keys are ignored. Takes precedence over ``allowed_ids``.

        Returns:
            One list per query, best first; shorter than k when fewer are allowed.
        """
        queries = _as_matrix(query_vectors, self.dimension)
        with self._lock:
            found = self._top_locked(queries, k, allowed_ids, allowed_keys)
            if found is None:
                return [[] for _ in range(queries.shape[0])]
            scores, labels = found
            names = self._names
            return [
                [
                    SearchHit(names[int(label)], float(score))
                    for score, label in zip(score_row, label_row, strict=True)
                    if label >= 0 and int(label) in names
                ]
                for score_row, label_row in zip(scores, labels, strict=True)
            ]

    def found_ids(
        self,
        query_vectors: npt.ArrayLike,
        k: int,
        *,
        allowed_keys: npt.NDArray[np.int64] | None = None,
    ) -> list[str]:
        """The distinct profiles among any query's top k (as :meth:`search`), sorted.

        For callers that re-score what was found: no hit objects are made (a suggestion's
        13 queries of 50 make 650).
        """
        queries = _as_matrix(query_vectors, self.dimension)
        with self._lock:
            found = self._top_locked(queries, k, None, allowed_keys)
            if found is None:
                return []
            labels = sorted_distinct(found[1])
            names = self._names
            return sorted(names[key] for key in labels[labels >= 0].tolist() if key in names)

    def _top_locked(
        self,
        queries: npt.NDArray[np.float32],
        k: int,
        allowed_ids: set[str] | frozenset[str] | None,
        allowed_keys: npt.NDArray[np.int64] | None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]] | None:
        """Scores and keys of each query's top k among the allowed; None when nothing
        can be found."""
        if k < 1 or queries.shape[0] == 0 or not self._ids:
            return None
        if allowed_keys is not None:
            keys: npt.NDArray[np.int64] | None = np.asarray(allowed_keys, dtype=np.int64)
            assert keys is not None
            # Distinct and sorted through a mask of every key (a key given twice would
            # come back twice from the subset search): 0.1 ms for 14k keys at 50k, where
            # np.unique took 2.9 ms.
            wanted = np.zeros(self._live.size, dtype=bool)
            wanted[keys[(keys >= 0) & (keys < self._live.size)]] = True
            keys = np.flatnonzero(wanted & self._live)
        elif allowed_ids is not None:
            keys = np.fromiter(
                (self._ids[pid] for pid in allowed_ids if pid in self._ids), dtype=np.int64
            )
        else:
            keys = None
        if keys is not None and keys.size == 0:
            return None
        k = min(k, len(self._ids) if keys is None else int(keys.size))
        return self._search_locked(queries, k, keys)

    def _search_locked(
        self, queries: npt.NDArray[np.float32], k: int, keys: npt.NDArray[np.int64] | None
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        if keys is not None and exact_pass_pays(
            hnsw=self._kind == "hnsw",
            queries=queries.shape[0],
            allowed_share=keys.size / max(1, len(self._ids)),
            exact_subset_ratio=self.exact_subset_ratio,
        ):
            return self._subset_search(queries, k, keys)
        if self._kind == "hnsw" and keys is None and self._tombstones:
            keys = np.flatnonzero(self._live)
        return faiss_top_k(
            self._index,
            queries,
            k,
            keys,
            key_space=self._live.size,
            live=len(self._ids),
            hnsw_ef_search=self.ef_search if self._kind == "hnsw" else None,
            threads=self.search_threads,
        )

    def _stored_vectors(self) -> npt.NDArray[np.float32]:
        """Zero-copy view of every stored vector, row order (valid under the lock only)."""
        flat = faiss.downcast_index(
            self._index.index if self._kind == "flat" else self._hnsw().storage
        )
        count = int(flat.ntotal)
        if count == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        view = faiss.rev_swig_ptr(flat.get_xb(), count * self.dimension)
        return np.asarray(view, dtype=np.float32).reshape(count, self.dimension)

    def _rows_of(self, keys: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        if self._kind == "flat" and self._flat_rows_stale:
            # remove_ids compacts the flat storage, so rows move after every removal.
            self._set_rows(faiss.vector_to_array(self._index.id_map).astype(np.int64))
            self._flat_rows_stale = False
        return self._key_rows[keys]

    def _subset_search(
        self, queries: npt.NDArray[np.float32], k: int, keys: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Exact search over the allowed vectors only (:func:`exact_top_k`)."""
        rows = self._rows_of(keys)
        found = rows >= 0
        stored = self._stored_vectors()
        # HNSW mode keeps int8 codes of its storage rows; flat mode's rows move on removal.
        codes = (
            self._codes if self._kind == "hnsw" and len(self._codes) == stored.shape[0] else None
        )
        return exact_top_k(queries, k, stored, rows[found], keys[found], codes)

    # --- writing ------------------------------------------------------------------

    def upsert(self, profile_ids: Sequence[str], vectors: npt.ArrayLike) -> None:
        """Add or replace the vectors of these profiles (one batch).

        Args:
            profile_ids: Distinct profile ids.
            vectors: (n, d) unit vectors, row i for profile_ids[i].
        """
        matrix = _as_matrix(vectors, self.dimension)
        if matrix.shape[0] != len(profile_ids):
            raise ValueError("need one vector per profile id")
        if len(set(profile_ids)) != len(profile_ids):
            raise ValueError("profile ids in one upsert must be distinct")
        if not profile_ids:
            return
        with self._write_lock:
            with self._lock:
                self._remove_locked(profile_ids)
                keys = np.arange(self._next_id, self._next_id + len(profile_ids), dtype=np.int64)
                self._next_id += len(profile_ids)
                self._grow_key_arrays()
                self._live[keys] = True
                if self._kind == "hnsw":
                    first_row = int(self._index.ntotal)
                    self._key_rows[keys] = np.arange(first_row, first_row + keys.size)
                    self._row_ids = np.concatenate([self._row_ids, keys])
                self._index.add_with_ids(matrix, keys)
                if self._kind == "hnsw":
                    self._codes.append(matrix)
                self._flat_rows_stale = True
                for profile_id, key in zip(profile_ids, keys, strict=True):
                    self._ids[profile_id] = int(key)
                    self._names[int(key)] = profile_id
            self._maybe_rebuild()

    def remove(self, profile_ids: Iterable[str]) -> int:
        """Remove these profiles' vectors; unknown ids are ignored.

        Returns:
            How many were removed.
        """
        with self._write_lock:
            with self._lock:
                removed = self._remove_locked(list(profile_ids))
            self._maybe_rebuild()
        return removed

    def _remove_locked(self, profile_ids: Sequence[str]) -> int:
        keys = [self._ids.pop(pid) for pid in profile_ids if pid in self._ids]
        for key in keys:
            del self._names[key]
        if not keys:
            return 0
        self._live[keys] = False
        if self._kind == "flat":
            self._index.remove_ids(np.array(keys, dtype=np.int64))
            self._flat_rows_stale = True
        else:
            self._tombstones.update(keys)
        return len(keys)

    def _needs_rebuild(self) -> bool:
        if self._kind == "flat":
            return len(self._ids) > self.hnsw_threshold
        stored = max(1, int(self._index.ntotal))
        return len(self._tombstones) > self.max_tombstone_ratio * stored

    def _maybe_rebuild(self) -> None:
        """Switch flat -> HNSW past the threshold, or compact an HNSW with many tombstones.

        Runs in the writer; the new index is built outside the state lock, so
        searches go on against the old one until the swap.
        """
        with self._lock:
            if not self._needs_rebuild():
                return
            names = dict(self._names)
            keys = np.array(sorted(names), dtype=np.int64)
            matrix = (
                self._index.reconstruct_batch(keys)
                if keys.size
                else np.zeros((0, self.dimension), dtype=np.float32)
            )
        kind: IndexKind = "hnsw" if keys.size > self.hnsw_threshold else "flat"
        log.info("vector_index_rebuild_started", kind=kind, vectors=int(keys.size))
        index = self._new_index(kind)
        codes = RowCodes(self.dimension)
        if keys.size:
            index.add_with_ids(np.ascontiguousarray(matrix, dtype=np.float32), keys)
            if kind == "hnsw":
                codes.reset(matrix)
        with self._lock:
            self._index = index
            self._codes = codes
            self._kind = kind
            self._tombstones = set()
            self._set_rows(keys if kind == "hnsw" else np.zeros(0, dtype=np.int64))
            self._flat_rows_stale = True
        log.info("vector_index_rebuilt", kind=kind, vectors=int(keys.size))

    def _grow_key_arrays(self) -> None:
        """Make the per-key arrays cover every key handed out (doubling, amortised O(1))."""
        if self._live.size >= self._next_id:
            return
        size = max(self._next_id, 2 * self._live.size, 1024)
        live = np.zeros(size, dtype=bool)
        live[: self._live.size] = self._live
        rows = np.full(size, -1, dtype=np.int64)
        rows[: self._key_rows.size] = self._key_rows
        self._live, self._key_rows = live, rows

    def _set_rows(self, row_ids: npt.NDArray[np.int64]) -> None:
        """Index the storage rows (row -> key, key -> row)."""
        self._row_ids = np.asarray(row_ids, dtype=np.int64)
        self._key_rows = np.full(self._live.size, -1, dtype=np.int64)
        self._key_rows[self._row_ids] = np.arange(self._row_ids.size)

    # --- snapshots ----------------------------------------------------------------

    def save(self, path: Path, metadata: Mapping[str, Any] | None = None) -> None:
        """Write a snapshot atomically (temporary file, fsync, then rename).

        Args:
            path: Snapshot file (``.npz`` content, see
                :mod:`~matching_service.adapters.index_snapshot`).
            metadata: JSON-serialisable facts to keep with it, e.g. the event
                positions the snapshot covers.
        """
        save_index(self, path, metadata)

    @classmethod
    def load(cls, path: Path) -> tuple[VectorIndex, dict[str, Any]]:
        """Read a snapshot written by :meth:`save`.

        Returns:
            The index and the metadata saved with it.
        """
        return load_index(cls, path)
