"""The message catalog's upkeep: what Babel extracts from the code, and the
German catalog compared with it.

``python -m tests.catalog update`` (``.ci/catalog``) extracts every text
(``_()``, ``N_()``, ``ngettext()`` in the code; the help texts of the
click commands: their docstrings and ``help=``/``epilog=``/``short_help=``
strings; ``_()``, ``ngettext()`` and ``{% trans %}`` in the web pages'
Jinja2 templates, by Jinja2's Babel extractor), merges them into
``regsam_flow/locale/de/LC_MESSAGES/regsam_flow.po`` keeping the
translations (new ones empty, gone ones dropped) and compiles the ``.mo``.
``python -m tests.catalog check`` (and tests/test_catalog.py) fails when a
text has no German translation, the catalog holds texts the code no longer
has, or the ``.mo`` is not the ``.po`` compiled.
"""

from __future__ import annotations

import ast
import gettext
import inspect
import io
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract, extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
#: The folders whose texts people read, and the package they are in.
SOURCES = ("regsam_flow", "persistence", "notifications", "workflows")
#: The web pages' templates (Jinja2, with the i18n extension).
TEMPLATES = ROOT / "regsam_flow" / "service" / "templates"
JINJA2_EXTRACT = "jinja2.ext:babel_extract"
TEMPLATE_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "1", "lstrip_blocks": "1"}
PO = ROOT / "regsam_flow" / "locale" / "de" / "LC_MESSAGES" / "regsam_flow.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "ngettext_noop": (1, 2)}
HELP_KEYWORDS = ("help", "epilog", "short_help")
#: The catalog's header dates stay put, so that only a text changes the files.
STAMP = datetime(2026, 12, 1, tzinfo=timezone.utc)


def _is_command(decorator: ast.expr) -> bool:
    """``@x.command(...)``, ``@x.group(...)``, ``@click.command`` and the like."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in ("command", "group")


def help_msgid(text: str) -> str:
    """The catalog's key of a click help text: cleaned as click cleans it,
    up to a form feed (what click shows)."""
    return inspect.cleandoc(text).partition("\f")[0]


def extract_cli(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method: the marked texts of a module (as Babel's
    ``python`` method finds them) and its click help texts."""
    data = fileobj.read()
    yield from extract_python(io.BytesIO(data), keywords, comment_tags, options)  # type: ignore[misc]
    for node in ast.walk(ast.parse(data)):
        if isinstance(node, ast.FunctionDef) and any(_is_command(d) for d in node.decorator_list):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.lineno, "_", help_msgid(doc), []
        elif isinstance(node, ast.Call):
            for kw in node.keywords:
                value = kw.value
                if (
                    kw.arg in HELP_KEYWORDS
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    yield value.lineno, "_", help_msgid(value.value), []


def extracted() -> dict[str, list[str]]:
    """Every text of the code: msgid (a plural as ``singular\\0plural``)
    -> the places it occurs (``file:line``)."""
    found: dict[str, list[str]] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts or path.name == "i18n.py":
                continue
            with path.open("rb") as f:
                for lineno, message, _comments, _context in extract(
                    extract_cli, f, keywords=KEYWORDS
                ):
                    key = "\0".join(message) if isinstance(message, tuple) else message
                    if key:
                        where = f"{path.relative_to(ROOT)}:{lineno}"
                        found.setdefault(key, []).append(where)
    for path in sorted(TEMPLATES.rglob("*.html")):
        with path.open("rb") as f:
            for lineno, message, _comments, _context in extract(
                JINJA2_EXTRACT, f, keywords=KEYWORDS, options=TEMPLATE_OPTIONS
            ):
                key = "\0".join(message) if isinstance(message, tuple) else message
                if key:
                    found.setdefault(key, []).append(f"{path.relative_to(ROOT)}:{lineno}")
    return found


def read_catalog(path: Path = PO) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="de", domain="regsam_flow")


def _key(message: Any) -> str:
    mid = message.id
    return "\0".join(mid) if isinstance(mid, (tuple, list)) else str(mid)


def problems() -> list[str]:
    """What is wrong with the German catalog, one line each (empty: nothing)."""
    code = extracted()
    catalog = read_catalog()
    held = {_key(m): m for m in catalog if m.id}
    out = []
    for key, places in sorted(code.items()):
        m = held.get(key)
        if m is None:
            out.append(f"missing in the catalog: {key!r} ({places[0]})")
        elif not m.string or (isinstance(m.string, (tuple, list)) and not all(m.string)):
            out.append(f"not translated: {key!r} ({places[0]})")
        elif m.fuzzy:
            out.append(f"marked fuzzy (check the translation): {key!r}")
    for key in sorted(set(held) - set(code)):
        out.append(f"stale (no longer in the code): {key!r}")
    if not MO.exists():
        out.append(f"{MO.relative_to(ROOT)} is missing: run .ci/catalog")
    elif _messages(MO.read_bytes()) != _messages(_compiled(catalog)):
        out.append(f"{MO.relative_to(ROOT)} is not the .po compiled: run .ci/catalog")
    return out


def _messages(mo: bytes) -> dict[Any, str]:
    """The translations a compiled catalog holds (not its header, which
    names the Babel version that wrote it)."""
    held: dict[Any, str] = gettext.GNUTranslations(io.BytesIO(mo))._catalog  # type: ignore[attr-defined]
    return {k: v for k, v in held.items() if k != ""}


def _compiled(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def _translated(message: Any) -> bool:
    """Whether the entry has its translation (a plural: every form)."""
    string = message.string
    if isinstance(string, (tuple, list)):
        return bool(string) and all(string)
    return bool(string)


def update(others: Sequence[Path] = ()) -> None:
    """Merge the code's texts into the German catalog and compile it;
    translations found in ``others`` (catalogs of other branches, say) are
    taken where this one has none."""
    code = extracted()
    old = read_catalog() if PO.exists() else Catalog(locale="de", domain="regsam_flow")
    held = {_key(m): m for m in old if m.id and _translated(m)}
    for other in others:
        for m in read_catalog(other):
            if m.id and _translated(m) and _key(m) not in held:
                held[_key(m)] = m
    new = Catalog(
        locale="de",
        domain="regsam_flow",
        project="regsam-flow",
        language_team="REGSAM <regsam@regsam.example>",
        charset="utf-8",
        creation_date=STAMP,
        revision_date=STAMP,
        last_translator="REGSAM <regsam@regsam.example>",
        copyright_holder="REGSAM",
        msgid_bugs_address="regsam@regsam.example",
        version="1",
        fuzzy=False,
        header_comment=(
            "# German texts of regsam-flow: kept by `.ci/catalog` (python -m tests.catalog\n"
            "# update), translated here; the English text in the code is the key."
        ),
    )
    for key in sorted(code):
        mid: Any = tuple(key.split("\0")) if "\0" in key else key
        kept = held.get(key)
        string: Any = kept.string if kept is not None else ("", "") if "\0" in key else ""
        new.add(mid, string, flags=("python-brace-format",) if "{" in key else ())
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as f:
        write_po(f, new, width=100, no_location=True, sort_output=True)
    MO.write_bytes(_compiled(read_catalog()))


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update([Path(p) for p in argv[1:]])
        left = [p for p in problems() if p.startswith("not translated")]
        print(f"{PO.relative_to(ROOT)}: updated; {len(left)} texts to translate")
        return 0
    if argv[:1] == ["check"]:
        found = problems()
        for p in found:
            print(p)
        return 1 if found else 0
    print("usage: python -m tests.catalog update [OTHER.po ...] | check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
