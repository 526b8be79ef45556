"""The scheduler: APScheduler drives the clock, the database says what is due.

``ReminderScheduler`` runs one send pass at start (catching up on whatever
fell due while no scheduler ran), then every ``poll_seconds`` (so changes
other processes make, e.g. through the CLI, are followed within a minute
without a restart), and additionally wakes exactly when the next reminder
is due.  Its jobs live in APScheduler's memory store only: the database is
the single source of truth, and the claim (a lease row) in the database is
what keeps two schedulers from sending the same reminder.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regsam_flow.engine import Engine, SendReport

__all__ = ["ReminderScheduler", "run_until_signalled"]

log = logging.getLogger("regsam_flow.scheduler")


class ReminderScheduler:
    """Send passes on an APScheduler background thread."""

    def __init__(
        self,
        engine: Engine,
        poll_seconds: float = 30.0,
        worker: str | None = None,
        on_pass: Callable[[SendReport], None] | None = None,
    ) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        from regsam_flow.engine.delivery import worker_name

        if poll_seconds <= 0:
            raise ValueError("poll_seconds must be positive")
        self.engine = engine
        self.poll = timedelta(seconds=poll_seconds)
        self.worker = worker or worker_name()
        self.on_pass = on_pass
        self._lock = threading.Lock()
        self._scheduler = BackgroundScheduler(
            timezone=timezone.utc,
            # never drop a run missed while busy or asleep; fold piled-up runs
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def start(self) -> None:
        now = datetime.now(timezone.utc)
        self._scheduler.add_job(
            self.run_pass,
            "interval",
            seconds=self.poll.total_seconds(),
            id="poll",
            next_run_time=now,
        )
        self._scheduler.start()
        log.info(
            "scheduler %s started: polling every %ss, mail to %s",
            self.worker,
            self.poll.total_seconds(),
            self._target(),
        )

    def _target(self) -> str:
        """Where the mail goes (no secrets), or why that is unknown."""
        try:
            return self.engine.notifier.target() or "unknown"
        except Exception as exc:  # a bad mail setting: each pass reports it again
            return f"not usable ({type(exc).__name__})"

    def stop(self) -> None:
        self._scheduler.shutdown(wait=True)
        log.info("scheduler %s stopped", self.worker)

    def run_pass(self) -> None:
        """One send pass, then a wake-up for the next due reminder."""
        with self._lock:
            try:
                report = self.engine.send_due(worker=self.worker, every=self.poll.total_seconds())
            except Exception:  # keep the scheduler alive; the next pass tries again
                log.exception("send pass failed")
                return
            if report.sent or report.retrying or report.failed or report.superseded:
                log.info(
                    "sent %s, retrying %s, failed %s, superseded %s",
                    report.sent,
                    report.retrying,
                    report.failed,
                    report.superseded,
                )
            m = report.messages
            if m.sent or m.retrying or m.failed or m.cancelled:
                log.info(
                    "KG mails: sent %s, retrying %s, failed %s, cancelled %s",
                    m.sent,
                    m.retrying,
                    m.failed,
                    m.cancelled,
                )
            if self.on_pass is not None:
                self.on_pass(report)
            try:
                self._plan_wake()
            except Exception:  # the poll job still runs
                log.exception("next wake-up not planned")

    def _plan_wake(self) -> None:
        nxt = self.engine.next_reminder_at()
        if nxt is None:
            return
        poll_job = self._scheduler.get_job("poll")
        next_poll = getattr(poll_job, "next_run_time", None)
        if next_poll is not None and nxt >= next_poll:
            return
        run_at = max(nxt, datetime.now(timezone.utc))
        self._scheduler.add_job(
            self.run_pass, "date", run_date=run_at, id="wake", replace_existing=True
        )
        log.debug("next reminder due %s: wake-up planned", nxt.isoformat())


def run_until_signalled(scheduler: ReminderScheduler, stop: threading.Event | None = None) -> None:
    """Start, wait for SIGTERM or SIGINT (or ``stop``), stop cleanly."""
    stop = stop or threading.Event()

    def handle(signum: int, _frame: Any) -> None:
        log.info("received signal %s: stopping", signum)
        stop.set()

    old = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            old[sig] = signal.signal(sig, handle)
    scheduler.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        scheduler.stop()
        for sig, handler in old.items():
            signal.signal(sig, handler)
