#!/usr/bin/env python
"""Start-up of ``regsam-flow serve``: from launching the process to the
first 200 of ``/health`` (what a load balancer or a test waits for).

    .venv/bin/python benchmarks/bench_serve.py          # 10 starts
    .venv/bin/python benchmarks/bench_serve.py -n 20

Each start is a fresh process on a free loopback port over one SQLite
database (made once, in a temp folder); beside it, as the floor, the time
``python -c "import fastapi, uvicorn"`` takes.  Medians are printed,
nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regsam_flow import Engine
from tests.service_process import start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10, help="starts to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rf-bench-serve-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'regsam.db'}"
        Engine(url).init("root", name="Root", email="root@regsam.example")
        serve: list[float] = []
        floor: list[float] = []
        for _ in range(args.n):
            svc = start(url, Path(tmp) / "home")
            serve.append(svc.started_in)
            svc.stop()
            t = time.monotonic()
            subprocess.run([sys.executable, "-c", "import fastapi, uvicorn"], check=True)
            floor.append(time.monotonic() - t)
    print(
        f"serve, launch to /health 200: median {statistics.median(serve):.3f} s "
        f"(min {min(serve):.3f}, max {max(serve):.3f}; {args.n} starts)"
    )
    print(f"python -c 'import fastapi, uvicorn': median {statistics.median(floor):.3f} s")


if __name__ == "__main__":
    main()
