"""The German catalog is complete and fresh, and its German is written with
care; click's texts in it are still click's."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from regsam_flow.cli import cli
from regsam_flow.cli.click_texts import CLICK_PLURALS, CLICK_TEXTS

from .catalog import help_msgid, problems, read_catalog

pytest.importorskip("babel", reason="Babel (the [test] extra) reads the catalog")


def test_the_catalog_holds_every_text_of_the_code_translated_and_nothing_else() -> None:
    found = problems()
    assert not found, f"{len(found)} problems; run .ci/catalog, then translate:\n" + "\n".join(
        found[:40]
    )


def _commands(group: click.Command, path: str = "regsam-flow") -> list[tuple[str, click.Command]]:
    out = [(path, group)]
    if isinstance(group, click.Group):
        for name, sub in group.commands.items():
            out.extend(_commands(sub, f"{path} {name}"))
    return out


def test_every_help_text_of_every_command_is_in_the_catalog() -> None:
    """What `--help` shows is looked up by the text click holds: each must
    be a key of the catalog, or it would stay English."""
    keys = {m.id for m in read_catalog() if m.id}
    missing = []
    for path, cmd in _commands(cli):
        texts = [cmd.help, cmd.short_help, cmd.epilog]
        texts += [getattr(p, "help", None) for p in cmd.params]
        missing += [f"{path}: {t[:60]!r}" for t in texts if t and help_msgid(t) not in keys]
    assert not missing, "\n".join(missing)


def test_click_still_has_the_texts_we_translate_for_it() -> None:
    source = "".join(
        p.read_text(encoding="utf-8") for p in Path(click.__file__).parent.glob("*.py")
    )
    texts = list(CLICK_TEXTS) + [t for pair in CLICK_PLURALS for t in pair]
    gone = [t for t in texts if repr(t)[1:-1] not in source and t not in source]
    assert not gone, f"click no longer has: {gone}"


#: Umlauts and ß written out: German with care has the real letters.
SPELLED_OUT = re.compile(
    r"\b(fuer|ueber\w*|Ueber\w*|koenn\w*|moeglich\w*|muess\w*|waehl\w*|aender\w*|Aender\w*"
    r"|Pruef\w*|pruef\w*|gueltig\w*|ungueltig\w*|Massnahme\w*|Schluessel\w*|Loesch\w*|loesch\w*"
    r"|spaeter|Gruende?n?|groess\w*|Groesse|hoechst\w*|naechst\w*|zurueck\w*|wuerde\w*)\b"
)
#: The familiar "du": the users are addressed formally (Sie) or neutrally
#: (an option such as ``--dir`` in an example is no "dir").
PLACEHOLDER = r"\{[^{}]*\}|%\(\w+\)s"
FAMILIAR = re.compile(r"(?<!-)\b(du|dich|dir|dein|deine|deinen|deinem|deiner|deines)\b")


def test_the_german_is_written_with_care() -> None:
    bad = []
    for m in read_catalog():
        if not m.id or not m.string:
            continue
        ids = m.id if isinstance(m.id, (tuple, list)) else (m.id,)
        strings = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
        for i, s in enumerate(strings):
            wanted = set(re.findall(PLACEHOLDER, ids[min(i, len(ids) - 1)]))
            if SPELLED_OUT.search(s):
                bad.append(f"umlaut written out in {s!r}")
            if FAMILIAR.search(s):
                bad.append(f"familiar address (du) in {s!r}")
            if set(re.findall(PLACEHOLDER, s)) != wanted:
                bad.append(f"placeholders differ from {ids[min(i, len(ids) - 1)]!r}: {s!r}")
    assert not bad, "\n".join(bad)
