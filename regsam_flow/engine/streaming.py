"""Results that stream: rows handed out one at a time while a read unit of
work stays open, so that a long answer (a million audit entries, a hundred
thousand areas) starts at once and needs flat memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from typing import TypeVar, cast

from ..model import AreaAggregate
from ..ports import UnitOfWork
from .context import EngineContext

__all__ = ["AREA_BATCH", "batched_areas", "streamed"]

T = TypeVar("T")


def streamed(ctx: EngineContext, start: Callable[[UnitOfWork], Iterator[T]]) -> Iterator[T]:
    """The rows ``start`` yields, read in a read unit of work of ``ctx``.

    ``start`` runs at once, before this returns: what it checks (the person,
    their access) raises here, with nothing handed out.  The unit of work is
    closed when the rows run out, when the iterator is closed
    (``close()``) or when it is dropped unfinished."""
    stack = ExitStack()
    try:
        uow = stack.enter_context(ctx.read())
        rows = start(uow)
    except BaseException:
        stack.close()
        raise
    out = _rows(stack, rows)
    next(out)  # enter the generator: closing it now also closes the unit of work
    return cast(Iterator[T], out)


def _rows(stack: ExitStack, rows: Iterator[T]) -> Iterator[T | None]:
    with stack:
        yield None
        yield from rows


#: Areas read at once by :func:`batched_areas` (bound parameters per query).
AREA_BATCH = 500


def batched_areas(uow: UnitOfWork, area_ids: Sequence[str]) -> Iterator[AreaAggregate]:
    """The aggregates of ``area_ids`` in their order, read
    :data:`AREA_BATCH` at a time (:meth:`UnitOfWork.load_areas`); areas
    gone meanwhile are left out."""
    for start in range(0, len(area_ids), AREA_BATCH):
        batch = area_ids[start : start + AREA_BATCH]
        found = uow.load_areas(batch)
        for area_id in batch:
            if area_id in found:
                yield found[area_id]
