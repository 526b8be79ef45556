"""The ``regsam-flow`` command line: a thin click layer over :class:`Engine`.

Importing this package loads click only; each command imports the engine
when it runs, so ``--help`` and ``--version`` stay fast.
"""

from __future__ import annotations

__all__ = ["cli", "main"]

from . import (  # noqa: F401  (register the commands)
    agreement_cmds,
    area_cmds,
    audit_cmds,
    backup_cmds,
    dossier_cmds,
    flow_cmds,
    health_cmds,
    inbox_cmds,
    kg_catalogue_cmds,
    kg_cmds,
    kg_meeting_cmds,
    kg_order_cmds,
    people_cmds,
    reminder_cmds,
    screen_cmds,
    selection_cmds,
    serve_cmds,
    setup_cmds,
    task_cmds,
    workflow_cmds,
)
from .app import cli
from .completion import install

install(cli)


def main() -> None:
    """The console script."""
    import gc

    try:
        cli(prog_name="regsam-flow")
    finally:
        # Everything is written and closed by now: spare the interpreter a
        # last garbage collection over SQLAlchemy's objects at exit (~30 ms).
        gc.freeze()
