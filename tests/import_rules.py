"""The layering rule, checked on the source: the core imports no infrastructure.

The core is ``regsam_flow/engine/`` and the plain modules it is built from
(``CORE_MODULES``).  None of them may import the adapters (persistence,
notifications), the front ends (cli, demo), the composition root
(``bootstrap``) or the libraries those wrap (``FORBIDDEN``); not even inside
a function, where a lazy import hides from a plain ``import`` test.  The
engine and the core modules do not reach the environment either
(``regsam_flow.paths``): which database and which mail server is the
composition root's decision.

The check reads each file's syntax tree, so it sees every ``import`` and
``from ... import`` statement wherever it stands, and calls of
``importlib.import_module``/``__import__`` with a literal name.

    python -m tests.import_rules      # prints the violations, exit 1 if any
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "regsam_flow"

#: Modules (and their submodules) the core must not import.
FORBIDDEN = (
    "regsam_flow.persistence",
    "regsam_flow.notifications",
    "regsam_flow.documents",
    "regsam_flow.cli",
    "regsam_flow.demo",
    "regsam_flow.service",
    "regsam_flow.bootstrap",
    "regsam_flow.paths",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "psycopg2",
    "smtplib",
    "click",
    "jinja2",
    "apscheduler",
    "platformdirs",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
)

#: The modules outside ``engine/`` that belong to the core (free of all of
#: the above today, and kept so); ``screen/`` is checked as well.
CORE_MODULES = (
    "audit",
    "csv_export",
    "dates",
    "diagram",
    "errors",
    "guards",
    "kg",
    "machine",
    "model",
    "parties",
    "ports",
    "schedule",
    "shipped",
    "validation",
)


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    module: str

    def __str__(self) -> str:
        try:
            shown: Path | str = self.path.relative_to(REPO)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}: imports {self.module}"


def core_files() -> list[Path]:
    """Every file the rule applies to."""
    files = sorted((PACKAGE / "engine").glob("*.py"))
    files += [PACKAGE / f"{name}.py" for name in CORE_MODULES]
    files += sorted((PACKAGE / "screen").glob("*.py"))  # the screening rule
    return files


def module_name(path: Path) -> str:
    """``regsam_flow/engine/context.py`` -> ``regsam_flow.engine.context``."""
    rel = path.resolve().relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, package: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``tree``; ``package``
    is the package relative imports start from."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base)
                mod = f"{prefix}.{node.module}" if node.module else prefix
            else:
                mod = node.module or ""
            yield node.lineno, mod
            for alias in node.names:  # from regsam_flow import persistence
                yield node.lineno, f"{mod}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and _called(node.func) in ("__import__", "import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _called(func: ast.expr) -> str:
    """The name a call calls: ``f(...)`` and ``m.f(...)`` -> ``f``."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def forbidden(module: str, rules: Iterable[str] = FORBIDDEN) -> str | None:
    for rule in rules:
        if module == rule or module.startswith(rule + "."):
            return rule
    return None


def check_file(path: Path, package: str | None = None) -> list[Violation]:
    """The forbidden imports in one file.  ``package`` (for relative imports)
    defaults to the file's own package in this repository."""
    if package is None:
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: dict[tuple[int, str], Violation] = {}
    for line, mod in imported_modules(tree, package):
        rule = forbidden(mod)
        if rule is not None:
            found.setdefault((line, rule), Violation(path, line, mod))
    return sorted(found.values(), key=lambda v: (v.line, v.module))


def check(files: Iterable[Path] | None = None) -> list[Violation]:
    out: list[Violation] = []
    for path in core_files() if files is None else files:
        out += check_file(path)
    return out


def front_end_files() -> list[Path]:
    """The front ends: they open engines through the composition root only."""
    return [*sorted((PACKAGE / "cli").glob("*.py")), PACKAGE / "demo.py"]


def engines_made(path: Path) -> list[Violation]:
    """Calls in ``path`` that make an engine or an adapter directly
    (``Engine(...)``, ``SqlStore(...)``, ``MailNotifier(...)``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        Violation(path, node.lineno, f"{_called(node.func)}(...)")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (_called(node.func).endswith("Engine") or _called(node.func) in ADAPTERS)
    ]


ADAPTERS = ("SqlStore", "MailNotifier", "MaildirTransport", "SmtpTransport", "notifier_from_env")


if __name__ == "__main__":
    problems = check()
    for v in problems:
        print(v)
    print(f"{len(problems)} forbidden imports in {len(core_files())} core files")
    sys.exit(1 if problems else 0)
