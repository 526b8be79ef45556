"""review, reminders list/mails/retry/send-due, scheduler run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from regsam_flow.i18n import _, ngettext
from regsam_flow.reminder_labels import STATUSES, status_label
from regsam_flow.views import review_json

from .app import cli
from .common import delivery_target, json_option, parse_when_arg
from .context import Ctx, pass_ctx
from .logs import LEVELS, log_format_option
from .output import day, echo, echo_json, moment, table

if TYPE_CHECKING:
    from regsam_flow.engine import SendReport

__all__ = ["reminders", "review", "scheduler"]

#: ``reminders send-due``'s exit status when a reminder or KG mail failed for
#: good in the pass (its last attempt, or refused permanently).
EXIT_FAILED = 14
#: ... when nothing failed for good but a delivery failed and waits for a
#: later pass (e.g. the mail server is down).
EXIT_RETRYING = 15


@cli.command()
@click.argument("area_id", metavar="AREA")
@click.option("--continue", "cont", is_flag=True, help="The process goes on (needs --next).")
@click.option("--end", "end", is_flag=True, help="The process is to end.")
@click.option("--next", "next_date", metavar="DATE", help="The next review date.")
@click.option("--reason", default="", help="Why (recorded in the audit log).")
@json_option
@pass_ctx
def review(
    obj: Ctx, area_id: str, cont: bool, end: bool, next_date: str | None, reason: str
) -> None:
    """Record the decision taken at the review date (Überprüfung).

    --continue sets the next review date (an amendment of the agreement);
    --end records that the process is to end.  Either stops the reminders
    for the date decided on.

    \b
    Examples:
      regsam-flow review hasenbergl-nord --continue --next 15.01.2028 \\
          --reason "KG: weiter mit Schwerpunkt Ältere"
      regsam-flow review hasenbergl-nord --end --reason "Ziele erreicht"
    """
    if cont == end:
        raise click.UsageError(_("give exactly one of --continue or --end"))
    obj.engine.review(
        area_id,
        actor=obj.user,
        decision="continue" if cont else "end",
        next_review=next_date,
        reason=reason,
    )
    ag = obj.engine.agreement(area_id, actor=obj.user)
    if obj.json:
        echo_json(review_json(area_id, "continue" if cont else "end", ag))
    elif cont:
        echo(
            _(
                "Recorded: {area} continues; next review {review}"
                " (the agreement needs signing again)."
            ).format(area=area_id, review=day(ag.review if ag else None))
        )
    else:
        echo(
            _(
                "Recorded: the process of {area} is to end. Close or cancel it with "
                "`regsam-flow transition {area} close|cancel`."
            ).format(area=area_id)
        )


@cli.group()
def reminders() -> None:
    """Review-date reminders and the KG's mails: list, retry, send what is due."""


@reminders.command("list")
@click.option("--area", "area_id", metavar="AREA", help="Only this area's reminders.")
@click.option("--status", type=click.Choice(STATUSES), help="Only reminders in this status.")
@json_option
@pass_ctx
def reminders_list(obj: Ctx, area_id: str | None, status: str | None) -> None:
    """The reminders of the areas you may see, by due time.

    \b
    Example:
      regsam-flow reminders list --status failed
    """
    rems = obj.engine.reminders(actor=obj.user, area=area_id, status=status)
    if obj.json:
        echo_json([r.to_dict() for r in rems])
        return
    rows = [
        [
            r.id,
            r.area,
            moment(r.due_at),
            _kind(r.kind, r.offset_days),
            status_label(r.status),
            _note(r),
        ]
        for r in rems
    ]
    headers = [_("id"), _("area"), _("due"), _("kind"), _("status"), _("note")]
    if area_id:  # one area: leave its name out
        headers.pop(1)
        rows = [row[:1] + row[2:] for row in rows]
    # the note is short ("review 15.07.2027"): cut, never wrapped onto more lines
    table(headers, rows, wrap_last=False, keep=tuple(range(len(headers) - 1)))


def _kind(kind: str, offset: int) -> str:
    if kind == "before":
        return _("{days} d before").format(days=offset)
    if kind == "on_day":
        return _("on the day")
    return _("{days} d overdue").format(days=-offset)


def _note(r: object) -> str:
    from regsam_flow.model import Reminder

    assert isinstance(r, Reminder)
    return _progress(r) or _("review {date}").format(date=day(r.review_date))


def _progress(r: object) -> str:
    """How far sending a reminder or KG mail got ("" while nothing was tried)."""
    from regsam_flow.kg import KgMessage
    from regsam_flow.model import Reminder

    assert isinstance(r, (Reminder, KgMessage))
    if r.status == "sent":
        return _("sent {when}").format(when=moment(r.sent_at))
    if r.status == "pending" and r.attempts:
        return _("attempt {n} at {when}: {error}").format(
            n=r.attempts + 1, when=moment(r.next_attempt_at), error=r.last_error
        )
    if r.status == "failed":
        return ngettext(
            "after {n} attempt: {error}", "after {n} attempts: {error}", r.attempts
        ).format(n=r.attempts, error=r.last_error)
    return ""


@reminders.command("mails")
@click.option("--area", "area_id", metavar="AREA", help="Only this area's mails.")
@click.option(
    "--status",
    type=click.Choice(["pending", "sent", "failed", "cancelled"]),
    help="Only mails in this status.",
)
@json_option
@pass_ctx
def reminders_mails(obj: Ctx, area_id: str | None, status: str | None) -> None:
    """The KG's mails (a meeting's decisions, due and overdue work orders)
    of the areas you may see, by due time.

    \b
    Example:
      regsam-flow reminders mails --area hasenbergl-nord --status failed
    """
    mails = obj.engine.kg_mails(actor=obj.user, area=area_id, status=status)
    if obj.json:
        echo_json([m.to_dict() for m in mails])
        return
    rows = [
        [
            m.id,
            m.area,
            moment(m.due_at),
            _mail_kind(m.kind, m.ref),
            status_label(m.status),
            _progress(m),
        ]
        for m in mails
    ]
    table(
        [_("id"), _("area"), _("due"), _("kind"), _("status"), _("note")],
        rows,
        keep=(0, 1, 2, 3, 4),
    )


def _mail_kind(kind: str, ref: int) -> str:
    if kind == "meeting_decisions":
        return _("decisions of meeting {ref}").format(ref=ref)
    if kind == "order_due":
        return _("order {ref} due").format(ref=ref)
    return _("order {ref} overdue").format(ref=ref)


@reminders.command("retry")
@click.argument("reminder_id", metavar="ID", type=int)
@json_option
@pass_ctx
def reminders_retry(obj: Ctx, reminder_id: int) -> None:
    """Queue a failed reminder again.

    \b
    Example:
      regsam-flow reminders retry 42
    """
    r = obj.engine.retry_reminder(reminder_id, actor=obj.user)
    if obj.json:
        echo_json(r.to_dict())
    else:
        echo(_("Reminder {id} ({area}) is queued again.").format(id=r.id, area=r.area))


@reminders.command("send-due")
@click.option(
    "--now",
    "now_text",
    metavar="DATETIME",
    help='Admins only: pretend it is this moment (Berlin time), e.g. "17.06.2027 08:00"; '
    "a moment later than the clock makes a dry run.",
)
@click.option(
    "--dry-run", is_flag=True, help="Admins only: list what would go out; change nothing."
)
@click.option(
    "--every",
    "every",
    type=click.FloatRange(min=1, min_open=False),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="How often cron or the timer runs this pass; recorded with the pass, so that "
    "`health` tells when the passes stop.",
)
@json_option
@pass_ctx
def reminders_send_due(obj: Ctx, now_text: str | None, dry_run: bool, every: float) -> None:
    """One send pass: every reminder due now, and every mail of the KG
    (meeting decisions, due and overdue work orders), each exactly once.
    For cron or a systemd timer; several may run at once, under any login.
    Exit code 14 when a delivery failed for good, 15 when deliveries are
    retried later (and none failed for good), else 0 (also for a dry run).
    A real pass is recorded for `health` with --every, the interval at
    which cron or the timer calls it.

    --now is an admin's tool: a moment before the clock runs a real pass
    as of then; a moment after it only shows what would go out (a dry
    run: nothing is sent, nothing changes).

    \b
    Examples:
      */5 * * * * regsam-flow --db sqlite:////srv/regsam.db reminders send-due
      regsam-flow --as root reminders send-due --now "15.07.2027 08:00"
    """
    now = parse_when_arg(now_text, "now")
    report = obj.engine.send_due(now, actor=obj.user, dry_run=dry_run, every=every)
    if obj.json:
        echo_json(report.to_dict())
    else:
        _show_pass(obj, report)
    code = _exit_code(report)
    if code:
        click.get_current_context().exit(code)


def _exit_code(report: SendReport) -> int:
    """14 when a delivery failed for good, 15 when some are retried, else 0."""
    m = report.messages
    if report.failed or m.failed:
        return EXIT_FAILED
    if report.retrying or m.retrying:
        return EXIT_RETRYING
    return 0


def _show_pass(obj: Ctx, report: SendReport) -> None:
    """What a pass did (or, dry, would do), for a person."""
    if report.dry_run:
        _show_dry_run(report)
        echo(_("Mail would go to: {target}").format(target=delivery_target(obj.engine)))
        return
    echo(
        _("sent {sent}, retrying {retrying}, failed {failed}, superseded {superseded}").format(
            sent=len(report.sent),
            retrying=len(report.retrying),
            failed=len(report.failed),
            superseded=len(report.superseded),
        )
    )
    m = report.messages
    if m.sent or m.retrying or m.failed or m.cancelled:
        echo(
            _(
                "KG mails: sent {sent}, retrying {retrying}, failed {failed}, cancelled {cancelled}"
            ).format(
                sent=len(m.sent),
                retrying=len(m.retrying),
                failed=len(m.failed),
                cancelled=len(m.cancelled),
            )
        )
    echo(_("Mail goes to: {target}").format(target=delivery_target(obj.engine)))
    if report.retrying or report.failed:
        echo(
            _("See `regsam-flow reminders list --status pending|failed` for the errors."), err=True
        )
    if m.retrying or m.failed:
        echo(
            _("See `regsam-flow reminders mails --status pending|failed` for the errors."), err=True
        )


def _show_dry_run(report: SendReport) -> None:
    echo(
        _(
            "Dry run as of {when}: nothing was sent and nothing changed. "
            "Would send {send}, supersede {supersede}."
        ).format(
            when=moment(report.at),
            send=len(report.would_send),
            supersede=len(report.would_supersede),
        )
    )
    rows = [
        [
            w.id,
            w.area,
            moment(w.due_at),
            _kind(w.kind, w.offset_days),
            w.error or ", ".join(w.to),
        ]
        for w in report.would_send
    ]
    if rows:
        table([_("id"), _("area"), _("due"), _("kind"), _("to")], rows, keep=(0, 1, 2, 3))
    mails = report.messages.would_send
    if mails:
        echo(_("KG mails: would send {n}.").format(n=len(mails)))
        table(
            [_("id"), _("area"), _("due"), _("kind"), _("to")],
            [
                [
                    w.id,
                    w.area,
                    moment(w.due_at),
                    _mail_kind(w.kind, w.ref),
                    w.error or ", ".join(w.to),
                ]
                for w in mails
            ],
            keep=(0, 1, 2, 3),
        )


@cli.group()
def scheduler() -> None:
    """The reminder scheduler."""


@scheduler.command("run")
@click.option(
    "--poll",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between looks at the database.",
)
@click.option(
    "--log-level",
    type=click.Choice(LEVELS, case_sensitive=False),
    default="info",
    show_default=True,
    help="Least important log lines shown; debug also shows APScheduler's own.",
)
@log_format_option
@pass_ctx
def scheduler_run(obj: Ctx, poll: float, log_level: str, log_format: str) -> None:
    """Send reminders as they fall due, in the foreground, until SIGTERM or
    Ctrl-C.  Logs to stderr: a start line naming the mail delivery target,
    then only what is sent or fails (--log-format json: one JSON object
    per line).  Catches up at start on what fell due
    while no scheduler ran; follows changes by other processes within
    --poll seconds.

    \b
    Example:
      regsam-flow --db postgresql+psycopg://regsam@db/regsam scheduler run
    """
    import logging

    from regsam_flow.notifications.scheduler import ReminderScheduler, run_until_signalled

    from .logs import configure

    level = logging.DEBUG if obj.debug else getattr(logging, log_level.upper())
    configure(level, log_format.lower())
    logging.getLogger("regsam_flow").setLevel(level)
    # APScheduler logs two INFO lines per poll: shown only when debugging
    logging.getLogger("apscheduler").setLevel(
        logging.DEBUG if level <= logging.DEBUG else max(level, logging.WARNING)
    )
    engine = obj.engine
    engine.next_reminder_at()  # fail early, with the usual message, on a missing or old database
    run_until_signalled(ReminderScheduler(engine, poll_seconds=poll))
