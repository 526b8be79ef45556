"""Where regsam-flow keeps its files by default."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["data_dir", "default_db_url"]

APP = "regsam-flow"


def _xdg_data_dir() -> str | None:
    """The folder platformdirs names on an ordinary Linux, without importing
    it (that costs a command-line call several milliseconds); None wherever
    its answer might differ (Android, a relative HOME or XDG_DATA_HOME)."""
    if sys.platform != "linux" or hasattr(sys, "getandroidapilevel"):
        return None
    env = os.environ
    if "ANDROID_DATA" in env or "ANDROID_ROOT" in env:
        return None
    home = env.get("HOME", "")
    xdg = env.get("XDG_DATA_HOME", "")
    if xdg:
        return os.path.join(xdg, APP) if os.path.isabs(xdg) else None
    if not os.path.isabs(home):
        return None
    return os.path.join(home, ".local", "share", APP)


def data_dir() -> Path:
    """The user's data folder for regsam-flow (``REGSAM_FLOW_HOME`` overrides)."""
    home = os.environ.get("REGSAM_FLOW_HOME")
    if home:
        return Path(home).expanduser()
    fast = _xdg_data_dir()
    if fast is not None:
        return Path(fast)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP, appauthor=False))


def default_db_url() -> str:
    """A SQLite file in the data folder; the folder is created if missing."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'regsam-flow.db'}"
