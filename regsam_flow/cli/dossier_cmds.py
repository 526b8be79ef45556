"""dossier: the final documentation (Abschlussdokumentation) of an area."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import click

from regsam_flow.i18n import _

from .app import RegsamCommand, cli
from .common import json_option
from .context import Ctx, pass_ctx
from .files import put_in_place, refuse_existing, temporary_beside
from .output import echo, echo_json

__all__ = ["dossier", "dossier_check"]


class _DossierCommand(RegsamCommand):
    """``dossier AREA ...``, and ``dossier check AREA FILE`` handed on to
    :func:`dossier_check` (an area called "check": ``dossier -- check``)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: object,
    ) -> click.Context:
        if args and args[0] == "check":
            return dossier_check.make_context("dossier check", args[1:], parent=parent)
        return super().make_context(info_name, args, parent=parent, **extra)


@click.command("check", cls=RegsamCommand)
@click.argument("area_id", metavar="AREA")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_ctx
def dossier_check(obj: Ctx, area_id: str, file: Path) -> None:
    """Say whether FILE is the recorded final documentation of AREA (the
    same SHA-256 as `dossier AREA --final` recorded in the audit log).

    Exit code 0 if it is; 8 (as a failed audit verify) if it differs or no
    final documentation is recorded.  Anyone who may read the area may check.

    \b
    Example:
      regsam-flow dossier check hasenbergl-nord abschluss.html
    """
    from regsam_flow.dates import format_datetime_de
    from regsam_flow.errors import InvalidInputError
    from regsam_flow.kg_views import document_check_json

    try:
        content = file.read_bytes()
    except OSError as exc:
        raise InvalidInputError(
            _("file: cannot read {file}: {error}").format(file=file, error=exc.strerror or exc),
            field="file",
        ) from None
    result = obj.engine.check_final_document(area_id, content, actor=obj.user)
    rec = result.recorded
    if obj.json:
        echo_json(document_check_json(area_id, str(file), result))
    elif rec is None:
        echo(_("NO: no final documentation of {area} is recorded.").format(area=area_id), err=True)
    elif result.matches:
        echo(
            _(
                "OK: {file} is the final documentation of {area} recorded by "
                "{person} on {time} (Berlin time; sha256 {sha256})."
            ).format(
                file=file,
                area=area_id,
                person=rec.recorded_by,
                time=format_datetime_de(rec.recorded_at),
                sha256=rec.sha256,
            )
        )
        if rec.stale:
            echo(
                _(
                    "Note: the area's data changed since it was recorded ({changes}); "
                    "it no longer shows the area as it is: record it again with "
                    "`regsam-flow dossier {area} --final`."
                ).format(changes=", ".join(dict.fromkeys(rec.changes_since)), area=area_id)
            )
    else:
        echo(
            _(
                "DIFFERS: {file} is not the recorded final documentation of {area} "
                "(sha256 {sha256}, recorded {recorded})."
            ).format(file=file, area=area_id, sha256=result.sha256, recorded=rec.sha256),
            err=True,
        )
    if not result.matches:
        raise click.exceptions.Exit(8)


@cli.command("dossier", cls=_DossierCommand)
@click.argument("area_id", metavar="AREA")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md"]),
    default="html",
    show_default=True,
    help="HTML (to read and print in a browser) or Markdown.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite the --output file if it exists.")
@click.option(
    "--final",
    is_flag=True,
    help="Record what is written (needs -o) as the final documentation: moderation, "
    "in the phase auswertung.",
)
@json_option
@pass_ctx
def dossier(
    obj: Ctx, area_id: str, fmt: str, output: Path | None, force: bool, final: bool
) -> None:
    """Write the final documentation of AREA (Abschlussdokumentation).

    It shows the cooperation agreement (its final version and history), the
    phases with their dates, the KG's meetings and decisions, the adopted
    catalogue of goals and measures with their ratings, the work orders,
    the missing resources and the review decisions, in German.  Anyone who
    may read the area may write it.  The same data gives the same file.
    With --json (and -o) it says what it wrote: file, size, SHA-256, and
    whether it was recorded (--final).

    --final (with -o) has the engine render the document and record it as
    the final documentation in one step: the format, size and SHA-256 of
    exactly the bytes written go into the audit log (closing the area may
    need it: guard final_documentation_recorded).
    Only the moderation records it, and only in the phase auswertung: it
    reports the rated goals, and the area must still be open.  A later
    record replaces it.  `regsam-flow dossier check AREA FILE` says whether
    a file is the recorded final documentation.

    \b
    Examples:
      regsam-flow dossier hasenbergl-nord -o abschluss.html
      regsam-flow dossier hasenbergl-nord --format md > abschluss.md
      regsam-flow dossier hasenbergl-nord --final -o abschluss.html
      regsam-flow dossier check hasenbergl-nord abschluss.html
    """
    from regsam_flow.documents import render_dossier
    from regsam_flow.errors import InvalidInputError

    if final and output is None:
        raise InvalidInputError(
            _("--final needs -o FILE: the file that is recorded"), field="output"
        )
    if output is not None:
        refuse_existing(output, force)
    if output is None:
        echo(render_dossier(obj.engine.dossier(area_id, actor=obj.user), fmt), nl=False)
        return
    recorded = None
    # a temporary file beside the output is made first (so a folder that
    # cannot be written is found before anything is recorded); the output
    # appears, or is replaced, only once the engine has answered and the
    # bytes are on disk: a refusal or a crash leaves the old file as it was
    tmp = temporary_beside(output)
    try:
        if final:
            rendered = obj.engine.record_final_document(area_id, format=fmt, actor=obj.user)
            data, recorded = rendered.content, rendered.document
        else:
            data = render_dossier(obj.engine.dossier(area_id, actor=obj.user), fmt).encode("utf-8")
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        put_in_place(tmp, output, force)
    finally:
        tmp.unlink(missing_ok=True)
    if obj.json:
        echo_json(
            {
                "area": area_id,
                "format": fmt,
                "output": str(output),
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "recorded": recorded is not None,
            }
        )
        return
    echo(
        _("Wrote the final documentation of {area} to {path} ({format}, {size} bytes).").format(
            area=area_id, path=output, format=fmt, size=len(data)
        )
    )
    if recorded is not None:
        echo(
            _("Recorded it as the final documentation (sha256 {sha256}).").format(
                sha256=recorded.sha256
            )
        )
