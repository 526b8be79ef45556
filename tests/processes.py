"""Running test code in several real processes at once."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

#: Children start fresh interpreters, as separate users' processes would.
CTX = multiprocessing.get_context("spawn")
TIMEOUT_S = 60.0


def run_children(target: Callable[..., None], args: list[tuple[Any, ...]]) -> dict[int, Any]:
    """Start one process per args tuple (plus a barrier, so they start
    together, and a queue); collect the ``(n, report)`` each puts."""
    queue = CTX.Queue()
    barrier = CTX.Barrier(len(args))
    procs = [CTX.Process(target=target, args=(*a, barrier, queue), daemon=True) for a in args]
    for p in procs:
        p.start()
    results: dict[int, Any] = {}
    try:
        for _ in procs:
            n, res = queue.get(timeout=TIMEOUT_S)
            results[n] = res
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():  # pragma: no cover - only when a child hangs
                p.kill()
                p.join()
    assert [p.exitcode for p in procs] == [0] * len(procs)
    return results
