"""The ``regsam-flow`` command group: global options, errors, exit codes.

Exit codes: 0 success; 2 usage error; 3 not allowed; 4 blocked by guards;
5 conflict; 6 not found; 7 invalid input (also a bad configuration file);
8 audit verification failed; 9 storage problem (disk full, read-only
database); 10 outcome unknown (the commit's acknowledgement was lost);
11 rate limited; 12 database unavailable (try again); 13 schema mismatch
(run ``regsam-flow init``, or a newer regsam-flow); 14 ``reminders
send-due``: deliveries failed for good; 15 ``reminders send-due``:
deliveries are being retried; 20 ``health``: something needs attention;
1 anything unexpected.
"""

from __future__ import annotations

import inspect
import os
import sys
import textwrap
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from regsam_flow import __version__ as VERSION
from regsam_flow.errors import RegsamFlowError
from regsam_flow.i18n import LANGUAGES, N_, _, language_from_env, set_language

from .config import (
    ENV_CONFIG,
    config_callback,
    current_config,
    mail_environment,
    raise_deferred,
)
from .context import Ctx, login_name
from .output import clean, echo, echo_json

__all__ = ["cli"]

EPILOG = N_(
    """\b
Examples:
  regsam-flow init --admin anna
  regsam-flow --as mia area show hasenbergl-nord
  regsam-flow --as mia why hasenbergl-nord
  regsam-flow --as audrey log --since 01.01.2027 --format csv

Exit codes: 0 ok, 2 usage, 3 not allowed, 4 blocked, 5 conflict,
6 not found, 7 invalid input, 8 audit verification failed,
9 storage (disk full, read-only database), 10 outcome unknown (look with
area show / log), 11 rate limited, 12 database unavailable (try again),
13 schema (run init), 14 mail failed, 15 mail being retried
(reminders send-due), 20 needs attention (health), 1 unexpected."""
)


def _label(ctx: click.Context, param: click.Parameter) -> str:
    """How the user gave a parameter: ``--topic``, ``USER``, ``--as (REGSAM_FLOW_USER)``."""
    if isinstance(param, click.Option):
        name = max(param.opts, key=len)
        source = ctx.get_parameter_source(param.name or "")
        if source is click.core.ParameterSource.ENVIRONMENT and isinstance(param.envvar, str):
            name += f" ({param.envvar})"
        return name
    return param.human_readable_name


def check_params(ctx: click.Context) -> None:
    """Refuse text parameters that are not valid UTF-8, naming the option.

    Python hands undecodable bytes of argv and the environment over as lone
    surrogates; every text, id or email a command takes passes through here
    before the command runs.  Paths (``click.Path``) may hold any bytes."""
    from regsam_flow.validation import check_unicode

    for param in ctx.command.params:
        if isinstance(param.type, (click.Path, click.File)) or param.name is None:
            continue
        value = ctx.params.get(param.name)
        for v in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(v, str):
                check_unicode(v, _label(ctx, param))


class _Cleaned:
    """Usage errors (unknown option, extra argument) quote what was typed:
    shown with control characters escaped, as everything printed."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc,no-any-return]
        except click.UsageError as exc:
            raise click.UsageError(clean(exc.format_message()), exc.ctx) from None


def help_text(text: str) -> str:
    """A click help text (a docstring, an option's ``help=``) in the
    current language: cleaned as click cleans it, then translated."""
    return _(inspect.cleandoc(text).partition("\f")[0])


@contextmanager
def _translated_params(command: click.Command, ctx: click.Context) -> Iterator[None]:
    """The parameters' help texts in the current language while the help is
    written (click reads ``param.help``)."""
    saved = [(p, p.help) for p in command.get_params(ctx) if p.help]
    try:
        for p, h in saved:
            p.help = help_text(h or "")
        yield
    finally:
        for p, h in saved:
            p.help = h


class _Translated:
    """Help texts in the current language (:mod:`regsam_flow.i18n`): the
    command's text, its short help in a group's list, its options, its
    epilog.  The code holds them in English, as the catalog's keys."""

    help: str | None
    short_help: str | None
    epilog: str | None

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.help:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(help_text(self.help))

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated_params(self, ctx):  # type: ignore[arg-type]
            super().format_options(ctx, formatter)  # type: ignore[misc]

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.epilog:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(help_text(self.epilog))

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help:
            return help_text(self.short_help)
        return short_help(help_text(self.help), limit) if self.help else ""


def short_help(text: str, limit: int = 45) -> str:
    """The first sentence of *text*'s first paragraph, shortened to *limit*.

    What click shows in a group's command list; written here because
    click's own helper is private (and absent from some 8.x releases).
    """
    words = text.partition("\n\n")[0].split()
    if words and words[0] == "\b":
        words = words[1:]
    for i, word in enumerate(words):
        if word.endswith(".") and (i == len(words) - 1 or not words[i + 1][0].islower()):
            words = words[: i + 1]
            break
    line = " ".join(words)
    if len(line) <= limit:
        return line
    return textwrap.shorten(line, max(limit, 4), placeholder="...", break_on_hyphens=False)


class RegsamCommand(_Translated, _Cleaned, click.Command):
    """A command whose text parameters are checked (:func:`check_params`)
    and whose help is in the current language."""

    def invoke(self, ctx: click.Context) -> Any:
        check_params(ctx)
        return super().invoke(ctx)


class RegsamGroup(_Translated, _Cleaned, click.Group):
    """A group that turns regsam-flow errors into messages and exit codes;
    its commands and subgroups check their parameters (:func:`check_params`)
    and speak the current language."""

    command_class = RegsamCommand
    group_class = type  # subgroups are RegsamGroups too

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Each run starts in the language the environment asks for (until
        ``--lang`` says otherwise); click's own texts (Usage, Options, its
        errors) come from the same catalog."""
        use_language(language_from_env())
        try:
            return super().main(*args, **kwargs)
        except RegsamFlowError as exc:  # before any command ran: the configuration file
            given = kwargs.get("args", args[0] if args else None)
            argv = list(sys.argv[1:] if given is None else given)
            as_json = "--json" in argv or os.environ.get("REGSAM_FLOW_JSON", "") == "1"
            sys.exit(report(exc, as_json, "--debug" in argv))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            check_params(ctx)
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # e.g. `regsam-flow log | head`: the reader has gone
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except Exception as exc:
            obj = ctx.find_object(Ctx)
            as_json = obj.json if obj else "--json" in sys.argv
            debug = obj.debug if obj else "--debug" in sys.argv
            ctx.exit(report(exc, as_json, debug))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise click.UsageError(clean(exc.format_message()), exc.ctx) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        order = {name: i for i, name in enumerate(ORDER)}
        return sorted(self.commands, key=lambda n: (order.get(n, len(order)), n))


def report(exc: Exception, as_json: bool, debug: bool) -> int:
    """Print an error the way the user asked for; return the exit code."""
    from regsam_flow.errors import RegsamFlowError

    if isinstance(exc, RegsamFlowError):
        code, exit_code, message = exc.code, exc.exit_code, exc.message
        blockers = [b.to_dict() for b in getattr(exc, "blockers", ())]
    else:
        code, exit_code = "unexpected", 1
        message = f"{type(exc).__name__}: {exc}".strip()
        blockers = []
    if debug:
        traceback.print_exc()
    if as_json:
        out: dict[str, Any] = {"error": code, "message": message}
        if blockers:
            out["blockers"] = blockers
        echo_json(out)
    else:
        from .output import wrapped

        echo(_("error: {message}").format(message=message), err=True)
        for b in blockers:
            echo(wrapped(f"- {b['code']}: {b['message']}", 2), err=True)
        hint = _hint(exc, code)
        if hint:
            echo(hint, err=True)
        if code == "unexpected" and not debug:
            echo(_("(run again with --debug for the traceback)"), err=True)
    return exit_code


def _hint(exc: Exception, code: str) -> str:
    """What to do next, after the error ("" when nothing fits): for a
    refusal, give the missing --reason, reopen a task reported already, or
    look at every blocker of the real area."""
    if code != "blocked":
        return _(HINTS[code]) if code in HINTS else ""
    codes = {b.code for b in getattr(exc, "blockers", ())}
    area = getattr(exc, "area", None)
    if "reason_required" in codes:
        return _('Nothing was changed. Give the reason with --reason "...".')
    if "task_done" in codes and area:
        return _(
            "Nothing was changed. `regsam-flow task reopen {area} TASK --reason ...` "
            "opens a reported task again."
        ).format(area=area)
    if area:
        return _("Nothing was changed. `regsam-flow why {area}` lists every blocker.").format(
            area=area
        )
    return _(HINTS["blocked"])


#: The order of the commands in --help: the way a moderator meets them.
ORDER = (
    "init",
    "info",
    "health",
    "demo",
    "user",
    "area",
    "agreement",
    "task",
    "advance",
    "transition",
    "why",
    "as-of",
    "review",
    "dossier",
    "reminders",
    "scheduler",
    "serve",
    "log",
    "audit",
    "workflow",
)

HINTS = {
    "not_allowed": N_(
        "Check --as (or REGSAM_FLOW_USER) and the area's roles (`regsam-flow area show`)."
    ),
    "blocked": N_("Nothing was changed. `regsam-flow why AREA` lists every blocker."),
    "conflict": N_("Nothing was changed. Look at the area again and retry."),
    "outcome_unknown": N_("Do not simply retry: look first whether the change is there."),
}


def use_language(lang: str) -> None:
    """Texts in ``lang`` from now on: regsam-flow's own and click's (click
    asks gettext's global domain, which the environment's ``LANGUAGE``
    selects)."""
    import gettext

    from regsam_flow.i18n import DOMAIN, LOCALE_DIR

    set_language(lang)
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = lang


def _lang_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        use_language(value)
    return value


@click.group(
    cls=RegsamGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80},
)
@click.option(
    "--db",
    envvar="REGSAM_FLOW_DB",
    metavar="URL",
    help="Database URL [env REGSAM_FLOW_DB; default: a SQLite file in your data folder].",
)
@click.option(
    "--as",
    "user",
    envvar="REGSAM_FLOW_USER",
    metavar="USER",
    help="Act as this user [env REGSAM_FLOW_USER; default: your login name, or your "
    "database login where REGSAM_FLOW_BIND_LOGIN=1 binds you to it].",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    envvar="REGSAM_FLOW_JSON",
    help="Machine-readable JSON on stdout [env REGSAM_FLOW_JSON=1].",
)
@click.option(
    "--workflows",
    "workflow_dirs",
    envvar="REGSAM_FLOW_WORKFLOWS",
    multiple=True,
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Folder of workflow files proposing definitions for an admin to deploy; "
    "they never change deployed ones (repeatable) "
    "[env REGSAM_FLOW_WORKFLOWS, separated by ':'].",
)
@click.option(
    "--config",
    envvar=ENV_CONFIG,
    metavar="FILE",
    is_eager=True,
    expose_value=False,
    callback=config_callback,
    help="Configuration file with defaults for the options (TOML) [env REGSAM_FLOW_CONFIG; "
    "default: ~/.config/regsam-flow/config.toml, if there].  Options and environment "
    "variables win over it.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    is_eager=True,
    expose_value=False,
    callback=_lang_option,
    help="Language of what you read: de (default) or en [env REGSAM_FLOW_LANG; "
    "an English LANG or LC_MESSAGES also gives en].",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors.")
@click.version_option(VERSION, "-V", "--version", prog_name="regsam-flow")
@click.pass_context
def cli(
    ctx: click.Context,
    db: str | None,
    user: str | None,
    as_json: bool,
    workflow_dirs: tuple[str, ...],
    debug: bool,
) -> None:
    """regsam-flow: focus areas (Schwerpunktgebiete) through Vorlauf,
    Diagnose, Umsetzung and Auswertung, guarded by role, with an audit log
    you can verify."""
    dirs: list[str] = []
    for d in workflow_dirs:
        dirs.extend(p for p in d.split(":") if p)
    obj = Ctx(
        db=db,
        user=user or login_name(),
        json=as_json,
        debug=debug,
        workflow_dirs=tuple(dirs),
        user_given=bool(user),
        config=current_config(ctx),
    )
    ctx.with_resource(mail_environment(obj.config))
    ctx.obj = obj
    raise_deferred(ctx)  # a configuration file refused, in the language and form asked for
    ctx.call_on_close(obj.close)
