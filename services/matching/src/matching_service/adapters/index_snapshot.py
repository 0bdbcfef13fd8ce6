"""Vector index snapshots: the ``.npz`` file a :class:`VectorIndex` is saved to and read from.

A snapshot holds a JSON header (format, the index's settings and kind, the next key to
hand out, and the caller's metadata), FAISS's own serialisation of the index, the
profile ids with their keys, and the tombstoned keys. :meth:`VectorIndex.save` and
:meth:`VectorIndex.load` call these functions, which read and restore the index's
internal state as the index itself would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import faiss as _faiss
import numpy as np
import structlog

from matching_service.adapters.snapshot_files import write_atomically

if TYPE_CHECKING:
    from matching_service.adapters.faiss_index import VectorIndex

log = structlog.get_logger(__name__)

# FAISS's SWIG bindings ship type hints that miss most of the API: use the module untyped.
faiss: Any = _faiss

SNAPSHOT_FORMAT = 1


def save_index(index: VectorIndex, path: Path, metadata: Mapping[str, Any] | None = None) -> None:
    """Write a snapshot atomically (temporary file, fsync, then rename).

    Args:
        index: The index to save.
        path: Snapshot file (``.npz`` content).
        metadata: JSON-serialisable facts to keep with it, e.g. the event
            positions the snapshot covers.
    """
    # Writers wait (the index must not change while it is read); searches do not:
    # they take only the state lock, held here just to copy the small state.
    # Serialising a 50k HNSW index under it stalled every suggestion meanwhile.
    with index._write_lock:
        with index._lock:
            header = {
                "format": SNAPSHOT_FORMAT,
                "dimension": index.dimension,
                "kind": index._kind,
                "next_id": index._next_id,
                "hnsw_threshold": index.hnsw_threshold,
                "hnsw_m": index.hnsw_m,
                "ef_search": index.ef_search,
                "ef_construction": index.ef_construction,
                "max_tombstone_ratio": index.max_tombstone_ratio,
                "exact_subset_ratio": index.exact_subset_ratio,
                "metadata": dict(metadata or {}),
            }
            faiss_index = index._index
            profile_ids = list(index._ids)
            keys = list(index._ids.values())
            tombstones = sorted(index._tombstones)
        arrays = {
            "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
            "index": faiss.serialize_index(faiss_index),
            "profile_ids": np.array(profile_ids, dtype=np.str_),
            "keys": np.array(keys, dtype=np.int64),
            "tombstones": np.array(tombstones, dtype=np.int64),
        }
    write_atomically(path, arrays)
    log.info("vector_index_saved", vectors=len(arrays["keys"]), kind=header["kind"])


def load_index(cls: type[VectorIndex], path: Path) -> tuple[VectorIndex, dict[str, Any]]:
    """Read a snapshot written by :func:`save_index`.

    Args:
        cls: The index class to build.
        path: Snapshot file.

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
