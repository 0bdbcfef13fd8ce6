"""Snapshot files: written atomically, by work that leaves room for requests.

The vector index and the phrase store save their snapshots as ``.npz`` files with
:func:`write_atomically`; :func:`yield_to_requests` paces the Python work of a
snapshot that runs beside the requests.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

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
