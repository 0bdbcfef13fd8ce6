"""Write the generated evaluation sets to bench/data/ (reproducible from their seeds).

  python bench/make_eval_sets.py            # every set and split
  python bench/make_eval_sets.py --check    # regenerate in memory, fail if a file differs

Sets: "form" (eval_form.py) and "sheet" (eval_sheet.py), each with a dev split (may be
read while tuning) and a test split (only scored). The hand-written hard cases
are written by hand in eval_hard_cases.py; this script derives their judgements and
writes bench/data/eval_hard.json.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import eval_form
import eval_hard_cases
import eval_sheet
from eval_common import DATA, write

GENERATORS: dict[str, Callable[[str], dict[str, Any]]] = {
    "form": eval_form.generate,
    "sheet": eval_sheet.generate,
}
SPLITS = ("dev", "test")


def path_of(name: str, split: str) -> Path:
    """Where a generated set lives."""
    return DATA / f"eval_{name}_{split}.json"


def jobs() -> list[tuple[Path, Callable[[], dict[str, Any]]]]:
    """Every file this script writes, with the function that makes its content."""
    out: list[tuple[Path, Callable[[], dict[str, Any]]]] = [
        (path_of(name, split), functools.partial(generate, split))
        for name, generate in GENERATORS.items()
        for split in SPLITS
    ]
    out.append((DATA / "eval_hard.json", eval_hard_cases.generate))
    return out


def main() -> int:
    """Write (or check) every generated set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args()
    stale = []
    for target, make in jobs():
        if args.check:
            with tempfile.TemporaryDirectory() as folder:
                fresh = Path(folder) / target.name
                write(make(), fresh)
                if not target.is_file() or fresh.read_bytes() != target.read_bytes():
                    stale.append(target.name)
        else:
            write(make(), target)
            print(f"wrote {target} ({target.stat().st_size // 1024} KiB)")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
