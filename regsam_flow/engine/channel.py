"""Through which channel a change is made, for its audit entry.

A front end that acts for a signed-in person (the service: ``web`` for a
session cookie or a trusted proxy, ``api`` for a personal API token) wraps
its engine calls in :func:`via`; every audit entry written inside carries
``channel`` (and ``token``, the API token's name) in its details.  The
CLI and embedders write no channel.  A context variable, so each thread and
task has its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["CHANNELS", "channel_details", "via"]

#: The channels a change can come through.
CHANNELS = ("web", "api")

_current: ContextVar[dict[str, str] | None] = ContextVar("regsam_flow_channel", default=None)


@contextmanager
def via(channel: str, token_name: str | None = None) -> Iterator[None]:
    """Audit every change inside as made through ``channel`` (with the
    API token's ``token_name``, never the token itself)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    details = {"channel": channel}
    if token_name:
        details["token"] = token_name
    reset = _current.set(details)
    try:
        yield
    finally:
        _current.reset(reset)


def channel_details(details: dict[str, Any] | None) -> dict[str, Any] | None:
    """``details`` with the current channel added (unchanged outside :func:`via`)."""
    current = _current.get()
    if current is None:
        return details
    return {**(details or {}), **current}
