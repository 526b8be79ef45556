"""What every command gets: the global options and a lazily opened Engine."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from regsam_flow.engine import Engine

    from .config import Config

__all__ = ["Ctx", "pass_ctx"]


def login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return os.environ.get("USER", "") or "unknown"


@dataclass
class Ctx:
    """The global options, and the engine opened on first use."""

    db: str | None
    user: str
    json: bool
    debug: bool
    workflow_dirs: tuple[str, ...] = ()
    user_given: bool = True
    config: Config | None = None  # the configuration file looked for, and what it said
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from regsam_flow.bootstrap import open_engine

            self._engine = open_engine(self.db, workflow_dirs=self.workflow_dirs)
            if self._engine.bind_login and not self.user_given:
                self.user = self._engine.login  # bound: you are your database login
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()


pass_ctx = click.make_pass_decorator(Ctx)
