"""Run every benchmark in bench/ and write one JSON summary (``make bench``).

Each benchmark prints one JSON document on stdout; this collects them with the
machine they ran on into bench/results/summary.json.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SKIP = {
    "run_all.py",
    "make_eval_sets.py",
    "eval_common.py",
    "eval_form.py",
    "eval_sheet.py",
    "eval_hard_cases.py",
}


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    memory_kib = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory_kib = int(meminfo.read_text().split("\n")[0].split()[1])
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }


def last_json_document(stdout: str) -> object:
    """The JSON document a benchmark printed last (log lines may precede it)."""
    start = stdout.rfind("\n{") + 1
    return json.loads(stdout[start:])


def main() -> int:
    results: dict[str, object] = {"machine": machine()}
    failures = 0
    for script in sorted(BENCH.glob("*.py")):
        if script.name in SKIP:
            continue
        print(f"running {script.name} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=False
        )
        elapsed = round(time.monotonic() - started, 1)
        try:
            results[script.stem] = last_json_document(done.stdout)
        except json.JSONDecodeError:
            failures += 1
            results[script.stem] = {
                "error": f"exit {done.returncode}, no JSON on stdout",
                "stderr_tail": done.stderr[-2000:],
            }
        print(f"  {script.name}: {elapsed} s", file=sys.stderr)
    out = BENCH / "results" / "summary.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
