"""How the vector index answers a query: an exact pass over the allowed rows, or FAISS.

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
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import faiss as _faiss
import numpy as np
import numpy.typing as npt

from matching_service.adapters.int8_codes import RowCodes

# FAISS's SWIG bindings ship type hints that miss most of the API (SearchParametersHNSW,
# the ``sel`` keyword): use the module untyped.
faiss: Any = _faiss

_MAX_EF_SEARCH = 1024
_FILTERED_EF_FACTOR = 4
"""Filtered HNSW searches use efSearch = factor * ef_search / allowed share (capped):
the walk meets allowed nodes at that share only. Measured on 50k clustered vectors,
recall@10 against exact: factor 1 gave 0.79-0.94 for shares 0.5-0.1, factor 2 gave
0.93-0.98."""
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


def exact_pass_pays(
    *, hnsw: bool, queries: int, allowed_share: float, exact_subset_ratio: float
) -> bool:
    """Whether a filtered search of ``queries`` queries should take the exact pass.

    Args:
        hnsw: The index is HNSW (else flat).
        queries: Queries searched at once.
        allowed_share: The allowed vectors' share of the live vectors.
        exact_subset_ratio: See :data:`DEFAULT_EXACT_SUBSET_RATIO`.
    """
    if hnsw:
        # One pass for every query, or a walk widened for the filter per query.
        return queries * exact_subset_ratio >= allowed_share
    return queries >= _SUBSET_MIN_QUERIES


def exact_top_k(
    queries: npt.NDArray[np.float32],
    k: int,
    stored: npt.NDArray[np.float32],
    rows: npt.NDArray[np.int64],
    keys: npt.NDArray[np.int64],
    codes: RowCodes | None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Exact search over the allowed vectors only, as one matrix product.

    FAISS's selector path scans every stored id once per query, without BLAS;
    gathering the allowed vectors once serves many queries (one per goal phrase)
    in a single product, and is exact where HNSW's filtered walk loses recall.

    Args:
        queries: (n, d) query vectors.
        k: Results wanted per query.
        stored: Every stored vector, in storage row order.
        rows: The allowed rows of ``stored``.
        keys: The internal key of each allowed row.
        codes: int8 codes of every stored row for a first pass over wide subsets;
            None where there are none (flat mode).

    Returns:
        Scores and keys of each query's top k, best first.
    """
    k = min(k, int(rows.size))
    if k == 0:
        return (
            np.zeros((queries.shape[0], 0), dtype=np.float32),
            np.zeros((queries.shape[0], 0), dtype=np.int64),
        )
    shortlist = _SHORTLIST_FACTOR * k
    if codes is not None and rows.size >= _FIRST_PASS_MIN_ROWS and rows.size > shortlist:
        # Exact products for each query's best rows by the int8 codes only.
        picked = codes.shortlist(queries, rows, shortlist)
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


def faiss_top_k(
    index: Any,
    queries: npt.NDArray[np.float32],
    k: int,
    keys: npt.NDArray[np.int64] | None,
    *,
    key_space: int,
    live: int,
    hnsw_ef_search: int | None,
    threads: int | None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """FAISS's own search, restricted to ``keys`` by an id selector.

    Args:
        index: The FAISS index (an ``IndexIDMap2``).
        queries: (n, d) query vectors.
        k: Results wanted per query.
        keys: The allowed internal keys; None allows every key.
        key_space: Keys handed out so far (the size of the selector's bitmap).
        live: Live vectors (the allowed share widens a filtered HNSW walk).
        hnsw_ef_search: HNSW search breadth unfiltered; None for a flat index.
        threads: OpenMP threads for the search (see :func:`_omp_threads`).

    Returns:
        Scores and keys of each query's top k, best first; key -1 pads.
    """
    # Keys are dense (handed out in sequence), so a bitmap selector is both the
    # cheapest to build and to test: no hashing, one bit per key.
    bitmap = _bitmap(keys, key_space) if keys is not None else None
    selector = _bitmap_selector(bitmap) if bitmap is not None else None
    if hnsw_ef_search is None:
        params: Any = faiss.SearchParameters(sel=selector) if selector is not None else None
    else:
        ef = hnsw_ef_search
        if keys is not None:
            share = keys.size / max(1, live)
            ef = min(_MAX_EF_SEARCH, max(ef, math.ceil(_FILTERED_EF_FACTOR * ef / share)))
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
    with _omp_threads(threads):
        scores, labels = index.search(queries, k, params=params)
    return np.asarray(scores, dtype=np.float32), np.asarray(labels, dtype=np.int64)


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
