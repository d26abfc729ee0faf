"""Run every benchmark (`make bench`): each benchmarks/<area>/bench*.py in turn, each writing its
results to benchmarks/results/<name>.json. Benchmarks measure; they never fail the build on a number.

    .venv/bin/python benchmarks/run_all.py [AREA ...]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(areas: list[str]) -> int:
    # local_model fetches 490 MB of weights and runs ~20 min: only when named (make bench-local-model).
    scripts = sorted(p for p in HERE.glob("*/bench*.py")
                     if p.parent.name in areas or (not areas and p.parent.name != "local_model"))
    failed = []
    for script in scripts:
        print(f"\n=== {script.relative_to(HERE.parent)}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"=== {script.parent.name}: exit {code} in {time.monotonic() - started:.1f}s", flush=True)
        if code:
            failed.append(script.parent.name)
    if failed:
        print(f"\nbenchmarks that did not complete: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
