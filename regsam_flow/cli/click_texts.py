"""click's own texts that people meet (Usage, Options, its usage errors),
listed for the catalog: click translates them through gettext's global
domain, which the CLI points at regsam-flow's catalog
(:func:`regsam_flow.cli.app.use_language`).  tests/test_catalog.py checks
that click still has each of them, word for word."""

from __future__ import annotations

from regsam_flow.i18n import N_

__all__ = ["CLICK_PLURALS", "CLICK_TEXTS"]


def ngettext_noop(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for the catalog."""
    return singular, plural


CLICK_TEXTS = (
    N_("Aborted!"),
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Positional arguments"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("%(prog)s, version %(version)s"),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Missing command."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing {param_type}"),
    N_("Missing parameter: {param_name}"),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Option {name!r} does not take a value."),
    N_("env var: {var}"),
    N_("default: {default}"),
    N_("required"),
    N_("Choose from:\n\t{choices}"),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
    N_("file"),
    N_("directory"),
    N_("path"),
    N_("Could not open file {filename!r}: {message}"),
)

CLICK_PLURALS = (
    ngettext_noop(
        "Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"
    ),
    ngettext_noop("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    ngettext_noop("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    ngettext_noop(
        "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."
    ),
    ngettext_noop(
        "{value!r} does not match the format {format}.",
        "{value!r} does not match the formats {formats}.",
    ),
)
