"""The ONNX Runtime int8 embedder against the torch model (exports the model once, ~15 s)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching_service.adapters.embedder import (
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    onnx_model_path,
)

TEXTS = [
    "Stakeholder management at board level",
    "I struggle to persuade directors to back my proposals.",
    "budget",
    "Leading large programmes, managing risks and budgets across several departments, "
    "building teams from scratch and coaching new managers through their first year. " * 4,
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def test_int8_vectors_stay_close_to_the_torch_model_and_the_export_is_cached(cache: Path) -> None:
    onnx = OnnxEmbedder(cache)
    exported = onnx_model_path(cache)
    assert exported.is_file()
    assert [path.name for path in cache.iterdir()] == [exported.name]
    vectors = onnx.embed(TEXTS)
    reference = SentenceTransformerEmbedder().embed(TEXTS)
    assert vectors.shape == (4, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float((vectors * reference).sum(axis=1).min()) > 0.97
    # Order of input does not change a text's vector (batches are sorted by length).
    reversed_vectors = onnx.embed(TEXTS[::-1])[::-1]
    np.testing.assert_allclose(reversed_vectors, vectors, atol=1e-4)
    modified = exported.stat().st_mtime_ns
    OnnxEmbedder(cache).embed(TEXTS[:1])
    assert exported.stat().st_mtime_ns == modified
    assert onnx.embed([]).shape == (0, 384)
