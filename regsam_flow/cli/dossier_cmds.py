"""dossier: the final documentation (Abschlussdokumentation) of an area."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click

from .app import cli
from .common import json_option
from .context import Ctx, pass_ctx
from .output import echo, echo_json

__all__ = ["dossier"]


@cli.command("dossier")
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
@json_option
@pass_ctx
def dossier(obj: Ctx, area_id: str, fmt: str, output: Path | None, force: bool) -> None:
    """Write the final documentation of AREA (Abschlussdokumentation).

    It shows the cooperation agreement (its final version and history), the
    phases with their dates, the KG's meetings and decisions, the adopted
    catalogue of goals and measures with their ratings, the work orders,
    the missing resources and the review decisions, in German.  Anyone who
    may read the area may write it.  The same data gives the same file.
    With --json (and -o) it says what it wrote: file, size, SHA-256.

    \b
    Examples:
      regsam-flow dossier hasenbergl-nord -o abschluss.html
      regsam-flow dossier hasenbergl-nord --format md > abschluss.md
    """
    from regsam_flow.documents import render_dossier
    from regsam_flow.errors import InvalidInputError

    if output is not None and output.exists() and not force:
        raise InvalidInputError(
            f"{output} exists already: give --force to overwrite it", field="output"
        )
    text = render_dossier(obj.engine.dossier(area_id, actor=obj.user), fmt)
    if output is None:
        echo(text, nl=False)
        return
    try:
        with output.open("w" if force else "x", encoding="utf-8", newline="") as f:
            f.write(text)
    except FileExistsError:
        raise InvalidInputError(
            f"{output} exists already: give --force to overwrite it", field="output"
        ) from None
    except OSError as exc:
        raise InvalidInputError(
            f"cannot write {output}: {exc.strerror or exc}", field="output"
        ) from None
    data = text.encode("utf-8")
    if obj.json:
        echo_json(
            {
                "area": area_id,
                "format": fmt,
                "output": str(output),
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
        return
    echo(f"Wrote the final documentation of {area_id} to {output} ({fmt}, {len(data)} bytes).")
