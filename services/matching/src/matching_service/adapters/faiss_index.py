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

Filters are applied inside the search with an id selector: the search only scores
allowed ids. Internal keys are handed out in sequence, so the selector is an
``IDSelectorBitmap`` (one bit per key; cheaper to build and to test than the hash
set of ``IDSelectorBatch``, same semantics). Under a filter HNSW must widen its walk
(efSearch is raised in inverse proportion to the allowed share to keep recall), so a
filtered search is often exact instead, as in flat mode:

- in flat mode, several queries at once (the matcher sends the profile vector and one
  per goal phrase) gather the allowed vectors and multiply, one BLAS product instead
  of one selector scan per query;
- in HNSW mode, the allowed rows' int8 codes
  (:class:`~matching_service.adapters.int8_codes.RowCodes`, a quarter of the bytes)
  pick each query's best ``2k`` in one pass for all the queries, and only those are
  multiplied exactly. The graph is walked instead only where that is cheaper: the
  pass costs about the same for one query as for three, a walk is paid per query and
  widens as the allowed share falls. So the walks are taken when the queries times
  ``exact_subset_ratio`` stay below the allowed share: one query above 0.35 of the
  live vectors (the break-even measured at 50k), two above 0.7, never three
  (docs/matching.md).

Without a filter HNSW mode walks the graph (about 0.2 ms a query at 50k, where one
exact pass reads every stored vector: 77 MB at 50k).

Thread safety: one writer at a time (callers serialise ``upsert``/``remove``, e.g.
one indexing worker); the index also holds a writer lock so a second writer waits
rather than corrupts. Searches may run from any thread: they take a short state
lock, and a rebuild prepares the new index outside that lock and swaps it in, so
searches continue on the old index meanwhile.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import faiss as _faiss
import numpy as np
import numpy.typing as npt
import structlog

from matching_service.adapters.int8_codes import RowCodes, sorted_distinct

log = structlog.get_logger(__name__)

# FAISS's SWIG bindings ship type hints that miss most of the API (SearchParametersHNSW,
# the ``sel`` keyword): use the module untyped.
faiss: Any = _faiss

IndexKind = Literal["flat", "hnsw"]
SNAPSHOT_FORMAT = 1
_MAX_EF_SEARCH = 1024
_FILTERED_EF_FACTOR = 4
"""Filtered HNSW searches use efSearch = factor * ef_search / allowed share (capped):
the walk meets allowed nodes at that share only. Measured on 50k clustered vectors,
recall@10 against exact: factor 1 gave 0.79-0.94 for shares 0.5-0.1, factor 2 gave
0.93-0.98."""
DEFAULT_HNSW_THRESHOLD = 20_000
"""Live vectors from which the index is HNSW (the ``HNSW_THRESHOLD`` setting's default)."""
DEFAULT_EXACT_SUBSET_RATIO = 0.35
"""In HNSW mode, n queries under a filter allowing at most n times this share of the
live vectors search exactly. At 50k imported coaches, the int8 pass took 0.6-6.8 ms
for one to three queries (shares 0.05-0.99); one widened walk 1.6 ms at a 0.99 share, 3.8
at 0.63 and 5.1 at 0.4; two walks 4.0 ms at 0.99 and 7.0 at 0.63 against 6.4 and 5.9
for the pass; three walks 7.2-14.6 ms against 5.1-6.8."""
_SUBSET_MIN_QUERIES = 4
"""In flat mode, from this many queries at once a filtered search gathers the allowed
vectors and multiplies (one pass for all queries) instead of one FAISS selector scan
per query."""
_FULL_PRODUCT_SHARE_INVERSE = 2
"""A subset search multiplies by every stored vector when at least 1/this of them are allowed."""
_GATHER_BLOCK_ROWS = 256
"""Allowed rows gathered per block of a subset search (384 KB at 384-d: stays in cache)."""
_FIRST_PASS_MIN_ROWS = 2048
"""From this many allowed rows, an HNSW-mode subset search first scores the rows' int8
codes and computes exact products only for each query's best ``_SHORTLIST_FACTOR * k``
(below it the float32 product costs about a millisecond anyway)."""
_SHORTLIST_FACTOR = 2
"""The int8 products are within ~0.005 of the exact ones: a row of the exact top k
falls outside the best 2k by the codes only when k others score within that of it."""


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
        if keys is not None:
            share = keys.size / max(1, len(self._ids))
            if self._kind == "hnsw":
                # One pass for every query, or a walk widened for the filter per query.
                if queries.shape[0] * self.exact_subset_ratio >= share:
                    return self._subset_search(queries, k, keys)
            elif queries.shape[0] >= _SUBSET_MIN_QUERIES:
                return self._subset_search(queries, k, keys)
        if self._kind == "hnsw" and keys is None and self._tombstones:
            keys = np.flatnonzero(self._live)
        # Keys are dense (handed out in sequence), so a bitmap selector is both the
        # cheapest to build and to test: no hashing, one bit per key.
        bitmap = _bitmap(keys, self._live.size) if keys is not None else None
        selector = _bitmap_selector(bitmap) if bitmap is not None else None
        if self._kind == "flat":
            params: Any = faiss.SearchParameters(sel=selector) if selector is not None else None
        else:
            ef = self.ef_search
            if keys is not None:
                share = keys.size / max(1, len(self._ids))
                ef = min(_MAX_EF_SEARCH, max(ef, math.ceil(_FILTERED_EF_FACTOR * ef / share)))
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
        with _omp_threads(self.search_threads):
            scores, labels = self._index.search(queries, k, params=params)
        return np.asarray(scores, dtype=np.float32), np.asarray(labels, dtype=np.int64)

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
            row_ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
            self._key_rows = np.full(self._live.size, -1, dtype=np.int64)
            self._key_rows[row_ids] = np.arange(row_ids.size)
            self._row_ids = row_ids
            self._flat_rows_stale = False
        return self._key_rows[keys]

    def _subset_search(
        self, queries: npt.NDArray[np.float32], k: int, keys: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Exact search over the allowed vectors only, as one matrix product.

        FAISS's selector path scans every stored id once per query, without BLAS;
        gathering the allowed vectors once serves many queries (one per goal phrase)
        in a single product, and is exact where HNSW's filtered walk loses recall.
        """
        rows = self._rows_of(keys)
        found = rows >= 0
        rows, keys = rows[found], keys[found]
        k = min(k, int(rows.size))
        if k == 0:
            return (
                np.zeros((queries.shape[0], 0), dtype=np.float32),
                np.zeros((queries.shape[0], 0), dtype=np.int64),
            )
        stored = self._stored_vectors()
        shortlist = _SHORTLIST_FACTOR * k
        if (
            self._kind == "hnsw"
            and rows.size >= _FIRST_PASS_MIN_ROWS
            and rows.size > shortlist
            and len(self._codes) == stored.shape[0]
        ):
            # Exact products for each query's best rows by the int8 codes only.
            picked = self._codes.shortlist(queries, rows, shortlist)
            rows, keys = rows[picked], keys[picked]
            scores = _gathered_product(queries, stored, rows)
            key_at = keys
        elif rows.size * _FULL_PRODUCT_SHARE_INVERSE >= stored.shape[0]:
            # Most rows are allowed: a product over the stored matrix in place (no
            # copy) with the others masked out is cheaper than gathering the allowed
            # rows first (a 50k x 384 gather copies 77 MB on every query).
            scores = queries @ stored.T
            allowed = np.zeros(stored.shape[0], dtype=bool)
            allowed[rows] = True
            scores[:, ~allowed] = -np.inf
            key_at = np.full(stored.shape[0], -1, dtype=np.int64)
            key_at[rows] = keys
        else:
            scores = _gathered_product(queries, stored, rows)
            key_at = keys
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        best = np.take_along_axis(top, order, axis=1)
        return np.take_along_axis(top_scores, order, axis=1), key_at[best]

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
        """Index the HNSW storage rows (row -> key, key -> row)."""
        self._row_ids = np.asarray(row_ids, dtype=np.int64)
        self._key_rows = np.full(self._live.size, -1, dtype=np.int64)
        self._key_rows[self._row_ids] = np.arange(self._row_ids.size)

    # --- snapshots ----------------------------------------------------------------

    def save(self, path: Path, metadata: Mapping[str, Any] | None = None) -> None:
        """Write a snapshot atomically (temporary file, fsync, then rename).

        Args:
            path: Snapshot file (``.npz`` content).
            metadata: JSON-serialisable facts to keep with it, e.g. the event
                positions the snapshot covers.
        """
        # Writers wait (the index must not change while it is read); searches do not:
        # they take only the state lock, held here just to copy the small state.
        # Serialising a 50k HNSW index under it stalled every suggestion meanwhile.
        with self._write_lock:
            with self._lock:
                header = {
                    "format": SNAPSHOT_FORMAT,
                    "dimension": self.dimension,
                    "kind": self._kind,
                    "next_id": self._next_id,
                    "hnsw_threshold": self.hnsw_threshold,
                    "hnsw_m": self.hnsw_m,
                    "ef_search": self.ef_search,
                    "ef_construction": self.ef_construction,
                    "max_tombstone_ratio": self.max_tombstone_ratio,
                    "exact_subset_ratio": self.exact_subset_ratio,
                    "metadata": dict(metadata or {}),
                }
                index = self._index
                profile_ids = list(self._ids)
                keys = list(self._ids.values())
                tombstones = sorted(self._tombstones)
            arrays = {
                "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
                "index": faiss.serialize_index(index),
                "profile_ids": np.array(profile_ids, dtype=np.str_),
                "keys": np.array(keys, dtype=np.int64),
                "tombstones": np.array(tombstones, dtype=np.int64),
            }
        write_atomically(path, arrays)
        log.info("vector_index_saved", vectors=len(arrays["keys"]), kind=header["kind"])

    @classmethod
    def load(cls, path: Path) -> tuple[VectorIndex, dict[str, Any]]:
        """Read a snapshot written by :meth:`save`.

        Returns:
            The index and the metadata saved with it.
        """
        with np.load(path, allow_pickle=False) as snapshot:
            header = json.loads(bytes(snapshot["header"]).decode())
            if header.get("format") != SNAPSHOT_FORMAT:
                raise ValueError(f"unsupported snapshot format {header.get('format')!r}")
            index = cls(
                int(header["dimension"]),
                hnsw_threshold=int(header["hnsw_threshold"]),
                hnsw_m=int(header["hnsw_m"]),
                ef_search=int(header["ef_search"]),
                ef_construction=int(header["ef_construction"]),
                max_tombstone_ratio=float(header["max_tombstone_ratio"]),
                exact_subset_ratio=float(header["exact_subset_ratio"]),
            )
            index._index = faiss.deserialize_index(np.ascontiguousarray(snapshot["index"]))
            index._kind = header["kind"]
            index._next_id = int(header["next_id"])
            keys = [int(key) for key in snapshot["keys"]]
            index._ids = dict(zip((str(pid) for pid in snapshot["profile_ids"]), keys, strict=True))
            index._names = {key: pid for pid, key in index._ids.items()}
            index._tombstones = {int(key) for key in snapshot["tombstones"]}
        index._grow_key_arrays()
        index._live[list(index._names)] = True
        if index._kind == "hnsw":
            index._hnsw().hnsw.efSearch = index.ef_search
            index._set_rows(faiss.vector_to_array(index._index.id_map).astype(np.int64))
            index._codes.reset(index._stored_vectors())
        log.info("vector_index_loaded", vectors=len(index), kind=index.kind)
        return index, dict(header["metadata"])


def _gathered_product(
    queries: npt.NDArray[np.float32], stored: npt.NDArray[np.float32], rows: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """``queries @ stored[rows].T``, gathering a cache-sized block of rows at a time.

    Gathering every allowed row first writes them all to memory for the product to read
    back; block by block they stay in cache between the two. Five queries over 13,800 of
    50,000 rows: 10.3 ms gathered at once, 6.4 ms by blocks (docs/matching.md).
    """
    products = np.empty((rows.size, queries.shape[0]), dtype=np.float32)
    transposed = np.ascontiguousarray(queries.T)
    for start in range(0, rows.size, _GATHER_BLOCK_ROWS):
        block = rows[start : start + _GATHER_BLOCK_ROWS]
        np.matmul(stored[block], transposed, out=products[start : start + block.size])
    return products.T


def _bitmap(keys: npt.NDArray[np.int64], size: int) -> npt.NDArray[np.uint8]:
    """A little-endian bitmap with the bits of ``keys`` set (FAISS's IDSelectorBitmap layout)."""
    mask = np.zeros(max(size, 1), dtype=bool)
    mask[keys] = True
    return np.packbits(mask, bitorder="little")


def _bitmap_selector(bitmap: npt.NDArray[np.uint8]) -> Any:
    # FAISS keeps a raw pointer: the caller holds ``bitmap`` until the search returns.
    return faiss.IDSelectorBitmap(bitmap.size, faiss.swig_ptr(bitmap))


@contextmanager
def _omp_threads(threads: int | None) -> Iterator[None]:
    """Run FAISS with this many OpenMP threads in the calling thread, then restore.

    OpenMP's thread count is per calling thread, so this neither reaches nor disturbs
    other threads (an embedder running torch elsewhere keeps its threads). One thread
    serves a single filtered query as fast and avoids OpenMP spin-waits when the
    cores are busy with other requests.
    """
    if threads is None:
        yield
        return
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


SNAPSHOT_PAUSE_S = 0.002
"""How long a snapshot's Python work pauses between slices (:func:`yield_to_requests`)."""


def yield_to_requests() -> None:
    """Pause a snapshot's Python work briefly so that suggestions run meanwhile.

    A snapshot runs in a worker thread beside the requests. While it turns 50,000
    profiles into JSON it holds the interpreter lock almost all the time, and a
    suggestion, which gives the lock up around each numpy and FAISS call, waited up to
    0.4 s for it (``bench/matching.py --only snapshot``). Pausing 2 ms every slice of
    about 1 ms of work bounds that wait; the snapshot takes about twice as long.
    """
    time.sleep(SNAPSHOT_PAUSE_S)


def write_atomically(path: Path, arrays: Mapping[str, npt.NDArray[Any]]) -> None:
    """Write arrays as an ``.npz`` file: temporary file, fsync, rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with temporary.open("wb") as file:
            np.savez(file, allow_pickle=False, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
