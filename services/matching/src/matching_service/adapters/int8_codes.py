"""Int8 codes of unit vectors: the phrase store's rows, and the index's first pass.

A row is kept as int8 codes with one float32 scale (:func:`quantise`). The phrase store
keeps only these. The vector index keeps them beside its float32 storage
(:class:`RowCodes`) for a first pass over many allowed rows: the subset search is
memory-bound on this kind of machine (one core reads about 5 GB/s, and 14k allowed
rows of float32 at 384-d are 21 MB), and the codes are a quarter of the bytes. The
codes are multiplied by ONNX Runtime's ``MatMulInteger`` (compiled int8 kernels):
numpy has no int8 product, and casting the codes to float32 first costs what the
smaller read saves (docs/matching.md, Measured).
"""

from __future__ import annotations

import functools
import math
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

_LEVELS = 127
_SCALE_STEPS = 1 << 16
SUBSET_PRODUCT_MODEL = "subset_product.onnx"
"""Package data (``matching_service/data``): one MatMulInteger, built by
:func:`matching_service.adapters.model_export.subset_product_model`."""
_QUERY_LEVELS = 63
_MIN_CAPACITY = 1024
_QUANTISE_BLOCK_ROWS = 4096
_SAMPLE_STRIDE = 8
_SAMPLE_MARGIN = 1.6
"""A row's cut is its sample's ``margin * count / stride``-th smallest value: at 50k
columns and 100 a row, about 160 columns fall under it; by the spread of a sample of
one in eight, fewer than 100 fall under it for about one row in a hundred (that row
is then partitioned whole)."""
_WHOLE_PRODUCT_SHARE_INVERSE = 2.5
"""From 1/2.5 of the rows, the product runs over every row and the wanted ones are
picked after: gathering 40% of the rows costs as much as reading them all."""


def quantise(vectors: npt.ArrayLike) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """Int8 codes and a scale per row: row i is ``codes[i] * scales[i]``.

    The scale is the row's largest component over 127, rounded up to 16 significant
    bits: a code (7 bits) times it is exact in float32, and the largest code is always
    127, so quantising a dequantised row gives the same codes and scale back.
    """
    matrix = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(matrix).max(axis=1) if matrix.size else np.zeros(matrix.shape[0], np.float32)
    mantissa, exponent = np.frexp(np.maximum(peak, np.finfo(np.float32).tiny) / _LEVELS)
    scales = np.ldexp(np.ceil(mantissa * _SCALE_STEPS) / _SCALE_STEPS, exponent)
    scales = scales.astype(np.float32)
    codes = np.clip(np.rint(matrix / scales[:, None]), -_LEVELS, _LEVELS)
    return codes.astype(np.int8), scales


def dequantise(
    codes: npt.NDArray[np.int8], scales: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """The float32 rows of :func:`quantise`'s output."""
    # One pass: the codes are cast in cache-sized chunks inside the multiply, instead of
    # a float32 copy written out and read back (0.82 -> 0.50 ms for 1,600 rows).
    rows: npt.NDArray[np.float32] = np.multiply(codes, scales[:, None], dtype=np.float32)
    return rows


def stored_form(vectors: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Vectors as they come back from their codes."""
    return dequantise(*quantise(vectors))


def _query_codes(
    queries: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """Queries as int8 codes within +-63, and their scales.

    Without VNNI instructions ONNX Runtime's uint8 x int8 kernel adds two neighbouring
    byte products into an int16 that saturates: a row code of 255 (127 + 128) times a
    query code of 127, twice, passes 32,767. Within +-63 a pair stays below it (32,130),
    so the products are exact integers on every x86 CPU, at the cost of one bit of the
    queries' precision.
    """
    matrix = np.asarray(queries, dtype=np.float32)
    peak = np.abs(matrix).max(axis=1) if matrix.size else np.zeros(matrix.shape[0], np.float32)
    scales = (np.maximum(peak, np.finfo(np.float32).tiny) / _QUERY_LEVELS).astype(np.float32)
    codes = np.clip(np.rint(matrix / scales[:, None]), -_QUERY_LEVELS, _QUERY_LEVELS)
    return codes.astype(np.int8), scales


@functools.cache
def _subset_product() -> Any:
    """The ONNX Runtime session of the subset product, made on first use."""
    import onnxruntime as ort  # type: ignore[import-untyped]

    options = ort.SessionOptions()
    # One thread, like the index's searches: a server answers many small queries.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    model = resources.files("matching_service") / "data" / SUBSET_PRODUCT_MODEL
    return ort.InferenceSession(model.read_bytes(), options, providers=["CPUExecutionProvider"])


class RowCodes:
    """Int8 codes of a matrix's rows, appended and reset in step with the matrix.

    Stored as uint8 (the code plus 128), the operand ONNX Runtime's int8 product kernels
    take on the left. Not thread-safe: the owner serialises writes and reads (the vector
    index does it under its state lock).
    """

    def __init__(self, dimension: int) -> None:
        """Empty codes for rows of ``dimension``."""
        self.dimension = dimension
        self._codes = np.zeros((0, dimension), dtype=np.uint8)
        self._scales = np.zeros(0, dtype=np.float32)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def reset(self, matrix: npt.ArrayLike) -> None:
        """Replace every row with the codes of ``matrix``'s rows (no room to spare)."""
        rows = np.asarray(matrix, dtype=np.float32).reshape(-1, self.dimension)
        self._codes = np.zeros((rows.shape[0], self.dimension), dtype=np.uint8)
        self._scales = np.zeros(rows.shape[0], dtype=np.float32)
        self._count = 0
        self.append(rows)

    def append(self, matrix: npt.ArrayLike) -> None:
        """Add the codes of ``matrix``'s rows after the rows held."""
        rows = np.asarray(matrix, dtype=np.float32).reshape(-1, self.dimension)
        end = self._count + rows.shape[0]
        if end > self._codes.shape[0]:
            # A quarter to spare: amortised growth without doubling a 50k index's 19 MB.
            size = max(_MIN_CAPACITY, end + end // 4)
            grown = np.zeros((size, self.dimension), dtype=np.uint8)
            grown[: self._count] = self._codes[: self._count]
            grown_scales = np.zeros(size, dtype=np.float32)
            grown_scales[: self._count] = self._scales[: self._count]
            self._codes, self._scales = grown, grown_scales
        # In blocks: quantising makes float32 temporaries of its input, which for a
        # whole 50k index (loading a snapshot, a rebuild) would be hundreds of MB.
        for start in range(0, rows.shape[0], _QUANTISE_BLOCK_ROWS):
            codes, scales = quantise(rows[start : start + _QUANTISE_BLOCK_ROWS])
            at = self._count + start
            self._codes[at : at + codes.shape[0]] = codes.view(np.uint8) ^ np.uint8(0x80)
            self._scales[at : at + codes.shape[0]] = scales
        self._count = end

    def products(
        self, queries: npt.NDArray[np.float32], rows: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        """Approximate ``matrix[rows] @ queries.T``, shape (len(rows), len(queries)).

        Rows and queries are both int8 here (the queries within +-63, see
        :func:`_query_codes`): on unit vectors the products are within about 0.005 of
        float32's.
        """
        query_codes, query_scales = _query_codes(queries)
        products, whole = self._code_products(query_codes, rows)
        if whole:
            products = products[rows]
        scales = self._scales[rows, None] * query_scales
        scaled: npt.NDArray[np.float32] = np.multiply(products, scales, dtype=np.float32)
        return scaled

    def shortlist(
        self, queries: npt.NDArray[np.float32], rows: npt.NDArray[np.int64], per_query: int
    ) -> npt.NDArray[np.int64]:
        """Positions in ``rows`` of each query's ``per_query`` best rows by the codes.

        The rows' order for one query is that of :meth:`products`, without its costs:
        a query's own scale orders nothing, so only the rows' scales are applied; under
        a wide filter every row is scored and the others sent last, instead of picked
        out first; and each query's scores are one contiguous row to partition. At 50k
        rows, 63% of them allowed, 6 queries: 7.4 -> 5.5 ms (docs/matching.md).

        Returns:
            Their union, ascending, for an exact pass over them.
        """
        if per_query >= rows.size:
            return np.arange(rows.size, dtype=np.int64)
        query_codes, _ = _query_codes(queries)
        products, whole = self._code_products(query_codes, rows)
        by_query = np.ascontiguousarray(products.T)
        if not whole:
            # Negated, so that the best come first in the partition.
            scores = np.multiply(by_query, -self._scales[rows], dtype=np.float32)
            return smallest_in_each_row(scores, per_query)
        weights = np.zeros(self._count, dtype=np.float32)
        weights[rows] = -self._scales[rows]
        scores = np.multiply(by_query, weights, dtype=np.float32)
        # Rows outside the filter score 0 here; the largest float sends them last.
        # (NaN would too, but numpy partitions arrays holding NaN about 5x slower.)
        outside = np.full(self._count, np.finfo(np.float32).max, dtype=np.float32)
        outside[rows] = 0.0
        scores += outside
        position = np.full(self._count, -1, dtype=np.int64)
        position[rows] = np.arange(rows.size, dtype=np.int64)
        return np.sort(position[smallest_in_each_row(scores, per_query)])

    def _code_products(
        self, query_codes: npt.NDArray[np.int8], rows: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int32], bool]:
        """Integer products of the queries' codes with ``rows``' codes, or with every
        held row's (then the second value is True): shape (rows, queries)."""
        held = self._codes[: self._count]
        # Many rows: multiplying every row in place reads less than gathering these
        # first (at 50k: 4.5 ms for all rows; a gather of 14k costs 1.8 ms and its
        # product 0.8 ms).
        whole = bool(rows.size * _WHOLE_PRODUCT_SHARE_INVERSE >= self._count)
        codes = held if whole else np.take(held, rows, axis=0)
        (products,) = _subset_product().run(
            None, {"codes": codes, "queries": np.ascontiguousarray(query_codes.T)}
        )
        return products, whole


def smallest_in_each_row(scores: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.int64]:
    """The columns holding any row's ``count`` smallest values, ascending.

    ``np.argpartition`` over every column, without its cost: each row's cut is first
    estimated on every ``_SAMPLE_STRIDE``-th column, only the columns at or under some
    row's cut are partitioned, and a row with fewer than ``count`` of them (its
    sample happened to hold its best) is partitioned whole. Ties at a row's boundary
    may be cut either way, as by ``np.argpartition``. At 50k columns and 100 a row:
    6 rows 1.14 -> 0.39 ms, 13 rows 1.66 -> 1.05 ms.
    """
    columns = scores.shape[1]
    if count >= columns:
        return np.arange(columns, dtype=np.int64)
    sample = scores[:, ::_SAMPLE_STRIDE]
    rank = math.ceil(count * _SAMPLE_MARGIN / _SAMPLE_STRIDE)
    if rank >= sample.shape[1]:
        return sorted_distinct(np.argpartition(scores, count - 1, axis=1)[:, :count])
    cuts = np.partition(sample, rank, axis=1)[:, rank]
    under = scores <= cuts[:, None]
    short = np.count_nonzero(under, axis=1) < count
    for row in np.flatnonzero(short):
        under[row] = False
        under[row, np.argpartition(scores[row], count - 1)[:count]] = True
    candidates = np.flatnonzero(under.any(axis=0))
    best = np.argpartition(scores[:, candidates], count - 1, axis=1)[:, :count]
    return sorted_distinct(candidates[best])


def sorted_distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The distinct values of an array of any shape, ascending, in one dimension:
    ``np.unique`` without its overhead (numpy 2.4's takes 0.17 ms for 1,100 values, a
    sort and a mask 0.02 ms)."""
    ordered = np.sort(np.asarray(values, dtype=np.int64).ravel())
    if ordered.size == 0:
        return ordered
    distinct: npt.NDArray[np.int64] = ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
    return distinct
