"""What every durable message the engine sends shares (review reminders,
the KG's mails): the actor of the entries a send pass writes, the lease a
worker holds while sending, and what a failed attempt leads to."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from ..model import ReminderChange
from ..ports import DeliveryError
from ..schedule import backoff
from .context import EngineContext

__all__ = ["LEASE", "SYSTEM", "error_text", "failure_change", "lease_end", "worker_name"]

SYSTEM = "regsam-flow"  # the actor of entries the scheduler writes
LEASE = timedelta(minutes=10)


def worker_name() -> str:
    """A name for this send pass's worker, unique across machines and runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def lease_end(ctx: EngineContext, now: datetime) -> datetime:
    """Leases run on the engine's clock, also when a pass pretends another ``now``."""
    return max(now, ctx.clock.now()) + LEASE


def error_text(exc: Exception) -> str:
    """The reason an attempt failed, as stored and audited (no more than 1000 characters)."""
    return f"{type(exc).__name__}: {exc}"[:1000]


def failure_change(
    attempts: int, exc: Exception, max_attempts: int | None, now: datetime
) -> tuple[ReminderChange, bool]:
    """The change after failed attempt number ``attempts``, and whether it
    is final (``failed``): a permanent :class:`DeliveryError`, the last
    attempt, or no policy (``max_attempts`` None) gives up; anything else is
    tried again after :func:`~regsam_flow.schedule.backoff`."""
    error = error_text(exc)
    permanent = isinstance(exc, DeliveryError) and exc.permanent
    if max_attempts is None or permanent or attempts >= max_attempts:
        change = ReminderChange(status="failed", attempts=attempts, last_error=error, release=True)
        return change, True
    change = ReminderChange(
        attempts=attempts, last_error=error, next_attempt_at=now + backoff(attempts), release=True
    )
    return change, False
