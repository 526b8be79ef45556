"""The benchmarks' targets as data: each benchmark script measures its
ratios and, given ``--summary FILE``, appends one JSON line per target to
FILE; ``benchmarks/report.py`` runs the scripts and prints every target with
its ratio and PASS or MISS.  Nothing here asserts anything: a MISS is a
finding, not a failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["Target", "read_summary", "write_summary"]


@dataclass(frozen=True)
class Target:
    """One measured ratio and the limit it is held against.

    ``key`` is a stable id (``transition_wall_sqlite``); ``title`` says in
    words what is compared with what; ``ratio`` is measured / floor (or, with
    ``higher_is_better``, a rate over the floor's rate); ``limit`` is the
    target's bound; ``detail`` carries the figures behind the ratio.
    """

    key: str
    title: str
    ratio: float
    limit: float
    higher_is_better: bool = False
    detail: str = ""

    @property
    def passed(self) -> bool:
        if self.higher_is_better:
            return self.ratio >= self.limit
        return self.ratio <= self.limit

    def line(self) -> str:
        sign = ">=" if self.higher_is_better else "<="
        mark = "PASS" if self.passed else "MISS"
        return f"{mark}  {self.title}: {self.ratio:.2f}x (target {sign} {self.limit:g}x)"


def write_summary(path: str | Path | None, targets: Iterable[Target]) -> None:
    """Append the targets to ``path`` as JSON lines (nothing if ``path`` is None)."""
    if path is None:
        return
    with Path(path).open("a", encoding="utf-8") as f:
        for t in targets:
            f.write(json.dumps(asdict(t), ensure_ascii=False) + "\n")


def read_summary(path: str | Path) -> list[Target]:
    """The targets a run appended to ``path``, in order."""
    p = Path(path)
    if not p.exists():
        return []
    lines = p.read_text("utf-8").splitlines()
    return [Target(**json.loads(line)) for line in lines if line.strip()]
