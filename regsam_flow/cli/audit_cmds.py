"""log, audit verify, audit head."""

from __future__ import annotations

import json
import operator
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from regsam_flow.audit_summary import entry_summary
from regsam_flow.i18n import _, ngettext
from regsam_flow.views import head_json

from .app import cli
from .common import json_option, parse_when_arg
from .context import Ctx, pass_ctx
from .files import write_text
from .output import Stream, echo, echo_json, json_array, moment, stream_table

if TYPE_CHECKING:
    from regsam_flow.model import AuditEntry

__all__ = ["audit", "log"]


@cli.command()
@click.argument("area_id", metavar="[AREA]", required=False)
@click.option("--since", metavar="DATE", help="From this date or time on (Berlin time).")
@click.option("--until", metavar="DATE", help="Up to this date (inclusive) or time.")
@click.option("--actor", "by", metavar="USER", help="Only what USER did.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl", "csv"]),
    default=None,
    help="Output format: json is one array, jsonl one object per line "
    "[default: table; json with --json].",
)
@json_option
@pass_ctx
def log(
    obj: Ctx,
    area_id: str | None,
    since: str | None,
    until: str | None,
    by: str | None,
    fmt: str | None,
) -> None:
    """The audit log: every change, in order.

    Of one AREA, or of all areas you may see.  Entries are printed as they
    are read: the first at once, however long the log.

    \b
    Examples:
      regsam-flow --as audrey log hasenbergl-nord
      regsam-flow --as audrey log --since 01.01.2027 --until 31.03.2027 \\
          --format csv > q1.csv
      regsam-flow --as audrey log --format jsonl | grep agreement_signed
    """
    start = parse_when_arg(since, "since")
    end = parse_when_arg(until, "until", end_of_day=bool(until) and ":" not in (until or ""))
    if start and end and end < start:
        from regsam_flow.errors import InvalidInputError

        raise InvalidInputError(_("--until lies before --since"), field="until")
    entries = obj.engine.iter_history(actor=obj.user, area=area_id, since=start, until=end, by=by)
    fmt = fmt or ("json" if obj.json else "table")
    if fmt == "json":
        with Stream(json=True) as out:
            for piece in json_array(e.to_dict() for e in entries):
                out.write(piece)
    elif fmt == "jsonl":
        with Stream(json=True) as out:
            for e in entries:
                out.write(json.dumps(e.to_dict(), ensure_ascii=False) + "\n")
    elif fmt == "csv":
        _csv(entries)
    else:
        _table(obj, entries, one_area=bool(area_id))


def _csv(entries: Iterable[AuditEntry]) -> None:
    """The entries as CSV (:data:`AUDIT_COLUMNS`; ``details`` as JSON text),
    written a thousand rows at a time."""
    import io

    from regsam_flow.csv_export import csv_writer, safe_row
    from regsam_flow.model import AUDIT_COLUMNS

    cells = operator.attrgetter(*AUDIT_COLUMNS)  # an entry's cells in the columns' order
    details_at = AUDIT_COLUMNS.index("details")
    buf = io.StringIO()
    writer = csv_writer(buf)
    writer.writerow(AUDIT_COLUMNS)
    with Stream() as out:
        for n, e in enumerate(entries):
            if n % 1000 == 1:  # the header and the first row at once, then in chunks
                out.write(buf.getvalue())
                buf.seek(0)
                buf.truncate()
            row = list(cells(e))
            row[details_at] = _spaced(e.details)
            writer.writerow(safe_row(row))
        out.write(buf.getvalue())


def _spaced(details: str) -> str:
    """An entry's details (canonical JSON: sorted keys, no spaces) as
    ``json.dumps(..., sort_keys=True)`` writes them, with a space after each
    comma and colon between items; "" for none.  Without a backslash every
    quote opens or closes a string, so the text between strings is spaced
    directly (much quicker than decoding and encoding again)."""
    if not details or details == "{}":
        return ""
    if "\\" in details:
        return json.dumps(json.loads(details), ensure_ascii=False, sort_keys=True)
    parts = details.split('"')
    parts[::2] = [p.replace(",", ", ").replace(":", ": ") for p in parts[::2]]
    return '"'.join(parts)


def _table(obj: Ctx, entries: Iterator[AuditEntry], *, one_area: bool) -> None:
    """The entries as a table, printed as they come; of one area without
    the area column."""
    seq_width = len(str(obj.engine.head().entries))

    def rows() -> Iterator[list[object]]:
        for e in entries:
            r = e.to_dict()
            when = moment(r["at"])
            if one_area:  # no need to repeat the area on every line
                yield [r["seq"], when, r["actor"], r["action"], entry_summary(r)]
            else:
                yield [r["seq"], when, r["area"] or "", r["actor"], r["action"], entry_summary(r)]

    if one_area:
        headers = [_("seq"), _("when"), _("actor"), _("action"), _("what")]
    else:
        headers = [_("seq"), _("when"), _("area"), _("actor"), _("action"), _("what")]
    stream_table(headers, rows(), known={0: seq_width})


@cli.group()
def audit() -> None:
    """The audit log: check its hash chain (with --deep the live tables
    against it), print its head, export it exactly."""


@audit.command("verify")
@click.option(
    "--expect-head",
    metavar="HASH",
    help="A head kept earlier (N:HASH from `audit head`): it must still be in the log.",
)
@click.option(
    "--from",
    "since",
    metavar="COUNT:HASH",
    help="Verify only the entries after this trusted head (from `audit head`, kept "
    "after the last full check): the stored entry COUNT must still have that hash.",
)
@click.option(
    "--deep",
    is_flag=True,
    help="Also replay the log and compare the live tables with it (phases, assignments, "
    "agreement versions and signatures, tasks, approvals, fields, people's roles).",
)
@json_option
@pass_ctx
def audit_verify(obj: Ctx, expect_head: str | None, since: str | None, deep: bool) -> None:
    """Recompute the chain; name the first entry that was edited, deleted,
    inserted or reordered, or whose time goes back or cannot be read.
    Exit code 8 if it fails.

    Without --deep only the log itself is checked: tables written behind
    the engine's back (a person assigned, a phase changed) leave the chain
    intact.  --deep replays the log and names every way the live tables
    disagree with it.

    With --from only the entries added after a trusted head are read
    (a nightly check costs what was added since): keep the head printed
    after a full check, and pass it next time.

    \b
    Examples:
      regsam-flow audit verify --expect-head 1234:9f2c...e41a
      regsam-flow audit verify --from 1234:9f2c...e41a
      regsam-flow audit verify --deep
    """
    obj.engine.get_person(obj.user, actor=obj.user)  # known people only
    result = obj.engine.verify(expect_head=expect_head, since=since, deep=deep)
    if obj.json:
        echo_json(result.to_dict())
    elif result.ok:
        echo(
            _("OK: {n} entries, chain intact; head {n}:{head}").format(
                n=result.entries, head=result.head
            )
        )
        if result.since is not None:
            echo(
                ngettext(
                    "(checked from the trusted head {since} on: {new} new entry)",
                    "(checked from the trusted head {since} on: {new} new entries)",
                    result.entries - result.since,
                ).format(since=result.since, new=result.entries - result.since)
            )
        echo(
            _("The live tables agree with the log.")
            if deep
            else _("(live tables not compared with the log: use --deep)")
        )
    else:
        if result.first_bad_seq:
            failed = _("FAILED at entry {seq}: {problem}").format(
                seq=result.first_bad_seq, problem=result.problem
            )
        else:
            failed = _("FAILED: {problem}").format(problem=result.problem)
        echo(failed, err=True)
        for more in result.problems[1:]:
            echo(_("also: {problem}").format(problem=more), err=True)
        echo(_("({n} entries in an intact chain)").format(n=result.entries), err=True)
    if not result.ok:
        raise click.exceptions.Exit(8)


@audit.command("head")
@json_option
@pass_ctx
def audit_head(obj: Ctx) -> None:
    """Print the log's head (entry count and newest hash) to keep elsewhere.

    \b
    Example:
      regsam-flow audit head >> ~/regsam-heads.txt
    """
    obj.engine.get_person(obj.user, actor=obj.user)
    head = obj.engine.head()
    if obj.json:
        echo_json(head_json(head))
    else:
        echo(str(head))


@audit.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite the --output file if it exists.")
@click.option(
    "--verifier",
    is_flag=True,
    help="Print the standalone checker of such a file instead (a Python script that "
    "needs only the standard library).",
)
@pass_ctx
def audit_export(obj: Ctx, output: Path | None, force: bool, verifier: bool) -> None:
    """The exact log for an auditor: JSON lines, every stored field of
    every entry exactly as it was hashed, then the head.

    Anyone can check such a file without the database: save the checker
    with --verifier and run it with Python (exit code 0 intact, 1 damage
    found, naming the line).  The README's "The audit log's encoding"
    describes the format.  Auditors and admins only.

    \b
    Examples:
      regsam-flow --as audrey audit export -o log.jsonl
      regsam-flow audit export --verifier > verify.py
      python3 verify.py log.jsonl
    """
    if verifier:
        from regsam_flow import verify as verify_module

        text = Path(verify_module.__file__).read_text(encoding="utf-8")
        _write(output, force, lambda write: write(text))
        return
    _write(output, force, lambda write: obj.engine.export_audit(write, actor=obj.user))


def _write(
    output: Path | None, force: bool, produce: Callable[[Callable[[str], object]], object]
) -> None:
    """Have ``produce`` write to standard output, or to ``output`` as a
    whole: a temporary file beside it, renamed when complete."""
    if output is None:
        produce(sys.stdout.write)
        sys.stdout.flush()
        return
    write_text(output, force, produce)
