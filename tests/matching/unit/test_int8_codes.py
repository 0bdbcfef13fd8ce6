"""Int8 row codes: the shipped product model, products, shortlists."""

from __future__ import annotations

from importlib import resources

import numpy as np
import onnx
import pytest

from matching_service.adapters.int8_codes import (
    SUBSET_PRODUCT_MODEL,
    RowCodes,
    _query_codes,
    quantise,
    smallest_in_each_row,
    sorted_distinct,
)
from matching_service.adapters.model_export import subset_product_model
from tests.matching.builders import unit_vectors

DIMENSION = 384


def test_the_shipped_subset_product_model_is_the_one_the_exporter_builds() -> None:
    shipped = (resources.files("matching_service") / "data" / SUBSET_PRODUCT_MODEL).read_bytes()
    assert (
        onnx.load_from_string(shipped).graph == onnx.load_from_string(subset_product_model()).graph
    )


def test_code_products_are_within_a_few_thousandths_of_float32() -> None:
    vectors = unit_vectors(3_000, DIMENSION, seed=31)
    queries = unit_vectors(7, DIMENSION, seed=32)
    codes = RowCodes(DIMENSION)
    codes.reset(vectors)
    for rows in (
        np.arange(5, 3_000, 3, dtype=np.int64),  # a third: gathered first
        np.arange(0, 3_000, 2, dtype=np.int64),  # half: every row multiplied, then picked
    ):
        approximate = codes.products(queries, rows)
        assert approximate.shape == (rows.size, 7)
        assert np.abs(approximate - vectors[rows] @ queries.T).max() < 0.005


def test_rows_appended_in_pieces_have_the_codes_of_one_reset() -> None:
    vectors = unit_vectors(5_000, DIMENSION, seed=33)
    whole, pieces = RowCodes(DIMENSION), RowCodes(DIMENSION)
    whole.reset(vectors)
    for start in range(0, 5_000, 700):
        pieces.append(vectors[start : start + 700])
    assert len(whole) == len(pieces) == 5_000
    queries = unit_vectors(3, DIMENSION, seed=34)
    rows = np.arange(5_000, dtype=np.int64)
    np.testing.assert_array_equal(whole.products(queries, rows), pieces.products(queries, rows))


def test_a_shortlist_holds_every_querys_exact_best_rows() -> None:
    vectors = unit_vectors(6_000, DIMENSION, seed=35)
    queries = unit_vectors(5, DIMENSION, seed=36)
    codes = RowCodes(DIMENSION)
    codes.reset(vectors)
    rows = np.arange(0, 6_000, 2, dtype=np.int64)
    picked = codes.shortlist(queries, rows, 40)
    assert picked.size < rows.size
    exact = np.argsort(-(vectors[rows] @ queries.T), axis=0)[:20]
    assert set(exact.ravel()) <= set(picked.tolist())


@pytest.mark.parametrize("share", [0.3, 0.45, 0.9])
def test_a_shortlist_is_each_querys_best_allowed_rows_by_their_code_products(
    share: float,
) -> None:
    """Below 40% of the rows the codes are gathered first; from it every row is scored
    and the rows outside the filter are sent last. Each query's best rows overall are
    left out of the filter, so a shortlist that let them in would differ."""
    vectors = unit_vectors(4_000, DIMENSION, seed=38)
    queries = unit_vectors(6, DIMENSION, seed=39)
    codes = RowCodes(DIMENSION)
    codes.reset(vectors)
    best_overall = np.argsort(-(vectors @ queries.T), axis=0)[:30].ravel()
    generator = np.random.default_rng(40)
    candidates = np.setdiff1d(np.arange(4_000), best_overall)
    rows = generator.choice(candidates, size=int(share * 4_000), replace=False)
    generator.shuffle(rows)  # a filter's rows need not come in storage order
    approximate = codes.products(queries, rows)
    # The largest reaches rows that score below 0, where the others (0) would be.
    for per_query in (1, 25, 200, rows.size * 4 // 5):
        picked = codes.shortlist(queries, rows, per_query)
        # What ordering by the code products gives (these rows score no ties).
        expected = sorted_distinct(np.argpartition(-approximate, per_query - 1, axis=0)[:per_query])
        assert picked.tolist() == expected.tolist()


@pytest.mark.parametrize("count", [1, 7, 100, 700])
def test_the_smallest_in_each_row_are_those_of_a_whole_partition(count: int) -> None:
    """The cut estimated on a sample, including rows whose sample holds their best
    values (row 0 here: every eighth column is its smallest), where it is too low."""
    generator = np.random.default_rng(41)
    scores = generator.standard_normal((5, 6_000)).astype(np.float32)
    scores[0, ::8] -= 10.0
    scores[1, :] = np.finfo(np.float32).max  # a row allowing nothing, as outside a filter
    scores[1, 3_000:] = generator.standard_normal(3_000)
    expected = sorted_distinct(np.argpartition(scores, count - 1, axis=1)[:, :count])
    np.testing.assert_array_equal(smallest_in_each_row(scores, count), expected)


def test_no_pair_of_byte_products_passes_int16_as_cpus_without_vnni_add_them() -> None:
    """Without VNNI, ONNX Runtime's uint8 x int8 kernel (vpmaddubsw) adds neighbouring
    byte products into a saturating int16; the codes must keep every pair below it."""
    vectors = unit_vectors(2_000, DIMENSION, seed=37)
    spiky = np.zeros((2, DIMENSION), dtype=np.float32)
    spiky[:, :2] = np.sqrt(0.5)  # two large neighbouring components: the worst case
    rows = np.vstack([vectors, spiky])
    row_codes = (quantise(rows)[0].view(np.uint8) ^ np.uint8(0x80)).astype(np.int32)
    query_codes = _query_codes(rows)[0].astype(np.int32)
    for query in query_codes:
        pairs = row_codes[:, 0::2] * query[0::2] + row_codes[:, 1::2] * query[1::2]
        assert pairs.max() <= np.iinfo(np.int16).max
        assert pairs.min() >= np.iinfo(np.int16).min


def test_sorted_distinct_gives_what_numpy_unique_gives() -> None:
    rng = np.random.default_rng(5)
    for values in (
        rng.integers(0, 40, 300),
        rng.integers(-3, 3, 7),
        np.array([9]),
        rng.integers(0, 9, (4, 6)),
        np.zeros(0, dtype=np.int64),
    ):
        assert np.array_equal(sorted_distinct(values), np.unique(values))
