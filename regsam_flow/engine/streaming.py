"""Results that stream: rows handed out one at a time while a read unit of
work stays open, so that a long answer (a million audit entries, a hundred
thousand areas) starts at once and needs flat memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import TypeVar, cast

from ..ports import UnitOfWork
from .context import EngineContext

__all__ = ["streamed"]

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
