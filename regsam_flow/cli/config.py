"""The configuration file: defaults for the options, below the command line
and the environment.

``$XDG_CONFIG_HOME/regsam-flow/config.toml`` (``~/.config/regsam-flow/
config.toml``), or the file ``--config FILE`` or ``REGSAM_FLOW_CONFIG``
names, is read with :mod:`tomllib` (``tomli`` before Python 3.11) and handed
to click as the root context's ``default_map``.  Click takes a value from the
command line, else from the option's environment variable, else from the
default map, else the built-in default; so the file only fills in what
neither gives.  Keys::

    db = "postgresql+psycopg://regsam@db.example.org/regsam"   # --db
    lang = "de"                                                 # --lang

    [mail]        # REGSAM_FLOW_SMTP_URL, _MAIL_FROM, _TEMPLATES
    smtp_url = "smtp://regsam:PASSWORD@mail.example.org:587"
    from = "REGSAM <regsam-flow@example.org>"
    templates = "/etc/regsam-flow/templates"

    [scheduler]   # the options of `scheduler run`
    poll = 30
    log_level = "warning"
    log_format = "json"

    [serve]       # the options of `serve`, named as their parameters
    host = "0.0.0.0"
    trusted_proxies = ["10.0.0.5"]

``[mail]`` has no options (a password does not belong on a command line):
its values become the environment variables above for this run, where the
environment does not set them already.  An unknown key, a value of the
wrong kind or a file that is not TOML stops every command (exit 7) naming
the file and the key or line; nothing is done then.  A ``[mail]`` value
is never shown in a message (a mail URL may hold a password); a refused
option's value is quoted as the option's own error would.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from regsam_flow.i18n import _

__all__ = [
    "ENV_CONFIG",
    "Config",
    "config_callback",
    "config_info",
    "config_line",
    "default_config_path",
    "load_config",
    "mail_environment",
]

ENV_CONFIG = "REGSAM_FLOW_CONFIG"
APP = "regsam-flow"
#: ``[mail]``'s keys and the environment variables they stand for.
MAIL_KEYS = {
    "smtp_url": "REGSAM_FLOW_SMTP_URL",
    "from": "REGSAM_FLOW_MAIL_FROM",
    "templates": "REGSAM_FLOW_TEMPLATES",
}
#: The top level's keys: the root command's parameters they fill.
ROOT_KEYS = ("db", "lang")
#: The sections that fill a command's options: section -> command path.
COMMAND_SECTIONS = {"scheduler": ("scheduler", "run"), "serve": ("serve",)}


@dataclass
class Config:
    """The file looked for, whether it was there and read, and what it says:
    ``defaults`` (click's default map) and ``mail`` (environment variable ->
    value)."""

    path: Path
    read: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)
    mail: dict[str, str] = field(default_factory=dict)


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/regsam-flow/config.toml``, by default
    ``~/.config/regsam-flow/config.toml`` (platformdirs' user config folder
    where it might differ, e.g. on macOS or Windows)."""
    env = os.environ if env is None else env
    if sys.platform == "linux" and not hasattr(sys, "getandroidapilevel"):
        xdg = env.get("XDG_CONFIG_HOME", "")
        home = env.get("HOME", "")
        if xdg and os.path.isabs(xdg):
            return Path(xdg, APP, "config.toml")
        if not xdg and os.path.isabs(home):
            return Path(home, ".config", APP, "config.toml")
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP, appauthor=False), "config.toml")


def _error(path: Path, problem: str) -> Exception:
    from regsam_flow.errors import InvalidInputError

    return InvalidInputError(
        _("configuration file {path}: {problem}").format(path=path, problem=problem),
        field="config",
    )


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _error(path, exc.strerror or str(exc)) from None
    try:
        parsed: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise _error(path, _("not UTF-8 text")) from None
    except tomllib.TOMLDecodeError as exc:  # "Invalid value (at line 3, column 7)"
        raise _error(path, _("not valid TOML: {detail}").format(detail=exc)) from None
    return parsed


def _options(command: click.Command) -> dict[str, click.Parameter]:
    """The options a section may set: every option of ``command`` but --help."""
    return {
        p.name: p
        for p in command.params
        if isinstance(p, click.Option) and p.name and p.name != "help" and p.expose_value
    }


def _unknown(path: Path, key: str, known: Iterable[str]) -> Exception:
    return _error(
        path,
        _("unknown key '{key}' (known: {known})").format(key=key, known=", ".join(sorted(known))),
    )


def _checked(ctx: click.Context, path: Path, key: str, param: click.Parameter, value: Any) -> Any:
    """``value`` as the option would take it, or an error naming the key."""
    if isinstance(value, dict):
        raise _error(path, _("'{key}' must be a value, not a table").format(key=key))
    if isinstance(value, bool) and not (
        getattr(param, "is_flag", False) or isinstance(param.type, click.types.BoolParamType)
    ):  # TOML's true would pass as 1 where a number is asked for
        raise _error(path, _("'{key}' takes no true or false").format(key=key))
    try:
        param.type_cast_value(ctx, value)
    except click.BadParameter as exc:
        raise _error(path, _("'{key}': {problem}").format(key=key, problem=exc.message)) from None
    return list(value) if isinstance(value, list) else value


def load_config(ctx: click.Context, path: Path, *, must_exist: bool) -> Config:
    """Read and check the configuration file ``path`` for the root command
    of ``ctx``; a missing file is an empty configuration unless it was named
    (``must_exist``)."""
    config = Config(path)
    if not path.exists():
        if must_exist:
            raise _error(path, _("no such file"))
        return config
    data = _read_toml(path)
    root = ctx.command
    assert isinstance(root, click.Group)
    root_params = {p.name: p for p in root.params if p.name}
    for key, value in data.items():
        if key in ROOT_KEYS:
            config.defaults[key] = _checked(ctx, path, key, root_params[key], value)
        elif key == "mail":
            config.mail = _mail(path, value)
        elif key in COMMAND_SECTIONS:
            _section(ctx, path, key, value, config.defaults)
        else:
            raise _unknown(path, key, [*ROOT_KEYS, "mail", *COMMAND_SECTIONS])
    config.read = True
    return config


def _mail(path: Path, table: Any) -> dict[str, str]:
    if not isinstance(table, dict):
        raise _error(path, _("'{key}' must be a table ([{key}])").format(key="mail"))
    out: dict[str, str] = {}
    for key, value in table.items():
        if key not in MAIL_KEYS:
            raise _unknown(path, f"mail.{key}", [f"mail.{k}" for k in MAIL_KEYS])
        if not isinstance(value, str):
            raise _error(path, _("'{key}' must be a text").format(key=f"mail.{key}"))
        out[MAIL_KEYS[key]] = value
    return out


def _section(
    ctx: click.Context, path: Path, name: str, table: Any, defaults: dict[str, Any]
) -> None:
    """A command's section into the nested default map (``scheduler`` ->
    ``{"scheduler": {"run": {...}}}``)."""
    if not isinstance(table, dict):
        raise _error(path, _("'{key}' must be a table ([{key}])").format(key=name))
    command: click.Command = ctx.command
    target = defaults
    for part in COMMAND_SECTIONS[name]:
        assert isinstance(command, click.Group)
        command = command.commands[part]
        target = target.setdefault(part, {})
    options = _options(command)
    for key, value in table.items():
        if key not in options:
            raise _unknown(path, f"{name}.{key}", [f"{name}.{k}" for k in options])
        target[key] = _checked(ctx, path, f"{name}.{key}", options[key], value)


#: ``ctx.meta`` key of a configuration file refused (path, named by the user).
DEFERRED = __name__ + ".refused"


def config_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--config``'s callback (eager, before every other option takes its
    value): read the file and make it the root context's default map."""
    named = value is not None and value != ""
    path = Path(value).expanduser().absolute() if named and value else default_config_path()
    try:
        config = load_config(ctx, path, must_exist=named)
    except Exception:
        if ctx.resilient_parsing:  # shell completion: never an error
            return
        # refused once the other options are read (raise_deferred), so that
        # a --lang after --config and --json shape the message
        ctx.meta[DEFERRED] = (path, named)
        return
    ctx.meta[__name__] = config
    if not config.defaults:
        return
    defaults = dict(config.defaults)
    from regsam_flow.i18n import LANGUAGES

    if os.environ.get("REGSAM_FLOW_LANG", "").strip().lower()[:2] in LANGUAGES:
        defaults.pop("lang", None)  # the environment wins over the file
    ctx.default_map = {**defaults, **(ctx.default_map or {})}


def raise_deferred(ctx: click.Context) -> None:
    """Refuse the configuration file that ``--config``'s callback could not
    read, now that every option (the language among them) took its value:
    read it again, which raises the error in the reader's language."""
    deferred = ctx.find_root().meta.get(DEFERRED)
    if deferred is not None:
        path, named = deferred
        load_config(ctx, path, must_exist=named)


def current_config(ctx: click.Context) -> Config | None:
    """The configuration the run read (None before --config was handled)."""
    found = ctx.find_root().meta.get(__name__)
    return found if isinstance(found, Config) else None


@contextmanager
def mail_environment(config: Config | None) -> Iterator[None]:
    """The file's ``[mail]`` values as environment variables for this run,
    where the environment does not set them already; the environment as it
    was afterwards."""
    added = [k for k in (config.mail if config else {}) if k not in os.environ]
    for k in added:
        assert config is not None
        os.environ[k] = config.mail[k]
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


def config_info(config: Config | None) -> dict[str, object]:
    """For ``info --json``: the file's path and whether it was read (never
    its values)."""
    path = config.path if config else default_config_path()
    return {"path": str(path), "read": bool(config and config.read)}


def config_line(config: Config | None) -> str:
    """For ``info``: the file's path, "(read)" or "(not there)"."""
    info = config_info(config)
    if info["read"]:
        return _("{path} (read)").format(path=info["path"])
    return _("{path} (not there)").format(path=info["path"])
