"""Where regsam-flow keeps its files by default."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "default_db_url"]


def data_dir() -> Path:
    """The user's data folder for regsam-flow (``REGSAM_FLOW_HOME`` overrides)."""
    home = os.environ.get("REGSAM_FLOW_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("regsam-flow", appauthor=False))


def default_db_url() -> str:
    """A SQLite file in the data folder; the folder is created if missing."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'regsam-flow.db'}"
