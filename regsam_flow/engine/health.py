"""An installation's health, for monitoring: the database reachable, its
schema this code's, the mail settings usable, a scheduler passing often
enough, no reminder failed.  It names no person and no area: counts and
times only.  The schedulers record their passes here too."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import InvalidInputError, RegsamFlowError
from ..i18n import _, format_datetime, ngettext
from ..model import SchedulerPass
from .context import EngineContext

__all__ = ["STALE_POLLS", "STALE_SLACK", "Health", "HealthProblem", "HealthService"]

log = logging.getLogger("regsam_flow.health")

#: A scheduler's last pass is overdue when it is older than this many of
#: its poll intervals plus :data:`STALE_SLACK` (a pass may take a while,
#: and the wake-up for a due reminder may come late on a loaded machine).
STALE_POLLS = 3
STALE_SLACK = timedelta(seconds=60)


def _utc_text(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _first_line(exc: BaseException) -> str:
    """What went wrong, shortly: the error's first line (a database
    driver's message names the server, never the password)."""
    text = str(exc).strip().splitlines()
    return (text[0][:300] if text else "") or type(exc).__name__


@dataclass(frozen=True)
class HealthProblem:
    """Something that needs attention: a stable English ``code`` and what
    a person reads (``message``, in the current language)."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Health:
    """What :meth:`HealthService.check` found.  ``failed_reminders`` and
    ``last_pass`` are None when the database could not be read (and
    ``schema_needed`` when it could not be reached);
    ``max_age`` is how old the last pass may be."""

    checked_at: datetime
    database: str
    reachable: bool
    schema: str | None
    schema_needed: str | None
    mail: str | None
    last_pass: SchedulerPass | None
    max_age: timedelta | None
    failed_reminders: int | None
    problems: tuple[HealthProblem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether nothing needs attention."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """Stable English keys; times in UTC (ISO 8601, ``Z``)."""
        last = self.last_pass
        return {
            "ok": self.ok,
            "checked_at": _utc_text(self.checked_at),
            "database": {"url": self.database, "reachable": self.reachable},
            "schema": {
                "found": self.schema,
                "expected": self.schema_needed,
                "current": self.schema is not None and self.schema == self.schema_needed,
            },
            "mail": {"target": self.mail},
            "scheduler": {
                "last_pass": _utc_text(last.at) if last else None,
                "worker": last.worker if last else None,
                "poll_seconds": last.poll_seconds if last else None,
                "age_seconds": (
                    round((self.checked_at - last.at).total_seconds(), 3) if last else None
                ),
                "max_age_seconds": self.max_age.total_seconds() if self.max_age else None,
            },
            "reminders": {"failed": self.failed_reminders},
            "problems": [p.to_dict() for p in self.problems],
        }


class HealthService:
    """Records the schedulers' passes and checks the installation's health."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    @staticmethod
    def check_interval(poll_seconds: float) -> None:
        """Refuse an interval between passes that is not a positive number."""
        if not poll_seconds > 0:
            raise InvalidInputError(
                _("the poll interval must be a positive number of seconds, not {value}").format(
                    value=poll_seconds
                ),
                field="poll_seconds",
            )

    def record_after_pass(self, worker: str | None, every: float) -> None:
        """Record a send pass that just ended (:meth:`Engine.send_due` with
        ``every``), under ``worker`` or, without one, ``send-due@<host>``.
        A pass that cannot be recorded is logged, and the pass stands:
        :meth:`check` reports the record missing."""
        name = worker or f"send-due@{socket.gethostname()}"
        try:
            self.record_pass(name, every)
        except RegsamFlowError:
            log.exception("the send pass of %s could not be recorded", name)

    def record_pass(self, worker: str, poll_seconds: float) -> SchedulerPass:
        """Record a successful send pass of ``worker`` (:meth:`Engine.record_scheduler_pass`)."""
        self.check_interval(poll_seconds)
        with self.ctx.write() as tx:
            record = SchedulerPass(worker=worker, at=tx.now, poll_seconds=float(poll_seconds))
            tx.uow.record_scheduler_pass(record)
        return record

    def check(self, max_age: float | None = None) -> Health:
        """The installation's health now (see :meth:`Engine.health`)."""
        if max_age is not None and not max_age > 0:
            raise InvalidInputError(
                _("the maximum age must be a positive number of seconds, not {value}").format(
                    value=max_age
                ),
                field="max_age",
            )
        now = self.ctx.clock.now()
        store = self.ctx.store
        problems: list[HealthProblem] = []
        reachable, found, needed = self._schema(problems)
        mail = self._mail(problems)
        last: SchedulerPass | None = None
        failed: int | None = None
        if reachable and found == needed:
            try:
                with store.read() as uow:
                    last = uow.last_scheduler_pass()
                    failed = uow.count_reminders("failed")
            except Exception as exc:  # reported, not raised: monitoring wants the whole picture
                log.warning("health: the database could not be read: %s", _first_line(exc))
                reachable = False
                problems.append(self._unreachable(exc))
        allowed = None
        if reachable and found == needed:
            allowed = self._scheduler(now, last, max_age, problems)
            if failed:
                problems.append(
                    HealthProblem(
                        "reminders_failed",
                        ngettext(
                            "{n} reminder failed: see `regsam-flow reminders list --status failed`",
                            "{n} reminders failed: see "
                            "`regsam-flow reminders list --status failed`",
                            failed,
                        ).format(n=failed),
                    )
                )
        return Health(
            checked_at=now,
            database=store.shown_url,
            reachable=reachable,
            schema=found,
            schema_needed=needed,
            mail=mail,
            last_pass=last,
            max_age=allowed,
            failed_reminders=failed,
            problems=tuple(problems),
        )

    @staticmethod
    def _unreachable(exc: BaseException) -> HealthProblem:
        return HealthProblem(
            "database_unreachable",
            _("the database cannot be reached: {problem}").format(problem=_first_line(exc)),
        )

    def _schema(self, problems: list[HealthProblem]) -> tuple[bool, str | None, str | None]:
        try:
            found, needed = self.ctx.store.schema_status()
        except Exception as exc:  # unreachable, refused, locked: reported
            problems.append(self._unreachable(exc))
            return False, None, None
        if found is None:
            problems.append(
                HealthProblem(
                    "schema_missing",
                    _("the database is not initialised: run `regsam-flow init`"),
                )
            )
        elif found != needed:
            problems.append(
                HealthProblem(
                    "schema_mismatch",
                    _(
                        "the database has schema {found}, this version needs {needed}: "
                        "run `regsam-flow init` (an older schema) or install the "
                        "regsam-flow that wrote it (a newer one)"
                    ).format(found=found, needed=needed),
                )
            )
        return True, found, needed

    def _mail(self, problems: list[HealthProblem]) -> str | None:
        try:
            return self.ctx.notifier.target()
        except Exception as exc:  # a bad mail setting
            problems.append(
                HealthProblem(
                    "mail_unusable",
                    _("the mail settings cannot be used: {problem}").format(
                        problem=_first_line(exc)
                    ),
                )
            )
            return None

    @staticmethod
    def _scheduler(
        now: datetime,
        last: SchedulerPass | None,
        max_age: float | None,
        problems: list[HealthProblem],
    ) -> timedelta | None:
        """How old the last pass may be; a problem if it is older, or if no
        scheduler ever passed."""
        if last is None:
            problems.append(
                HealthProblem(
                    "scheduler_never_ran",
                    _(
                        "no scheduler has completed a send pass on this database: "
                        "start `regsam-flow scheduler run` (or `reminders send-due` from cron)"
                    ),
                )
            )
            return timedelta(seconds=max_age) if max_age is not None else None
        allowed = (
            timedelta(seconds=max_age)
            if max_age is not None
            else STALE_POLLS * timedelta(seconds=last.poll_seconds) + STALE_SLACK
        )
        if now - last.at > allowed:
            problems.append(
                HealthProblem(
                    "scheduler_stale",
                    _(
                        "the scheduler's last send pass was at {at}, longer ago than "
                        "{seconds} seconds: is `regsam-flow scheduler run` (or cron's "
                        "`reminders send-due`) still running?"
                    ).format(at=format_datetime(last.at), seconds=f"{allowed.total_seconds():g}"),
                )
            )
        return allowed
