"""What starting up imports: the command line must start quickly.

Times are too noisy for a test (``benchmarks/bench_cli.py`` measures them);
the *sets* of imported modules are exact.  Each check runs in a fresh
interpreter and reads ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from regsam_flow import Engine
from regsam_flow import paths as paths_mod
from regsam_flow.guards import BUILTIN_GUARDS
from regsam_flow.workflows import BUILTIN_DIR, WorkflowRegistry
from regsam_flow.workflows.cache import RACY_NS

from .conftest import AREA, report, sign_agreement


def settle(path: Path) -> None:
    """Wait until ``path`` is old enough to be cached (a fresh checkout may be
    seconds old; see ``workflows.cache.RACY_NS``)."""
    age = time.time() - path.stat().st_mtime
    if age < RACY_NS / 1e9 + 0.5:
        time.sleep(RACY_NS / 1e9 + 0.5 - age)


HEAVY = ("sqlalchemy", "alembic", "pydantic", "yaml", "transitions", "platformdirs")


def loaded_after(code: str, home: Path) -> list[str]:
    """The heavy libraries (and regsam_flow.engine) loaded after running ``code``."""
    probe = (
        code
        + "\nimport sys, json\n"
        + f"print(json.dumps([m for m in {(*HEAVY, 'regsam_flow.engine')!r} if m in sys.modules]))"
    )
    env = dict(os.environ, REGSAM_FLOW_HOME=str(home))
    for var in ("REGSAM_FLOW_DB", "REGSAM_FLOW_USER", "REGSAM_FLOW_WORKFLOWS"):
        env.pop(var, None)
    proc = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    mods: list[str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return mods


def test_the_package_errors_and_model_import_nothing_heavy(tmp_path: Path) -> None:
    code = "import regsam_flow, regsam_flow.errors, regsam_flow.model"
    assert loaded_after(code, tmp_path) == []


def test_the_version_needs_nothing(tmp_path: Path) -> None:
    assert loaded_after("import regsam_flow; assert regsam_flow.__version__", tmp_path) == []


def test_error_classes_from_the_package_import_nothing_heavy(tmp_path: Path) -> None:
    code = "from regsam_flow import RegsamFlowError, BlockedError, Area, FixedClock"
    assert loaded_after(code, tmp_path) == []


def test_the_cli_package_imports_nothing_heavy(tmp_path: Path) -> None:
    code = "import regsam_flow.cli"
    assert loaded_after(code, tmp_path) == []


def test_the_public_names_still_resolve() -> None:
    import regsam_flow

    for name in regsam_flow.__all__:
        assert getattr(regsam_flow, name) is not None, name
    assert set(regsam_flow.__all__) <= set(dir(regsam_flow))
    with pytest.raises(AttributeError):
        _ = regsam_flow.NoSuchThing  # type: ignore[attr-defined]


@pytest.mark.sql("a fresh process opens the database")
def test_reading_with_a_warm_cache_imports_no_parser_and_no_alembic(
    engine: Engine, area: str, tmp_path: Path
) -> None:
    """``Engine(url)`` on an initialised database, the workflow cache warm
    (the fixtures filled it): reads need SQLAlchemy only; firing adds
    ``transitions``; neither needs YAML, pydantic or Alembic."""
    home = Path(os.environ["REGSAM_FLOW_HOME"])
    settle(BUILTIN_DIR / "schwerpunktgebiet.yaml")
    WorkflowRegistry(known_guards=BUILTIN_GUARDS)  # as the engine loads them: fills the cache
    assert list((home / "cache").glob("*.json"))
    open_and_read = (
        "from regsam_flow import Engine\n"
        f"e = Engine({engine.url!r})\n"
        f"s = e.status({area!r}, actor='mia')\n"
        "assert s.area.state == 'vorlauf'\n"
        f"e.why({area!r}, actor='mia'); e.list_areas(actor='root'); e.head()\n"
    )
    assert loaded_after(open_and_read, home) == ["sqlalchemy", "regsam_flow.engine"]

    sign_agreement(engine, area)
    report(engine, area, "vorlauf")
    fire = open_and_read + f"e.advance({area!r}, actor='mia')\n"
    assert loaded_after(fire, home) == ["sqlalchemy", "transitions", "regsam_flow.engine"]
    assert engine.get_area(AREA, actor="mia").state == "diagnose"


def test_init_is_what_imports_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    code = (
        "from regsam_flow import Engine\n"
        f"Engine({url!r}).init('root', name='R', email='r@x.example')"
    )
    assert "alembic" in loaded_after(code, tmp_path)


def test_init_on_an_initialised_database_reads_no_workflow_file(tmp_path: Path) -> None:
    """The shipped definitions are deployed already (same text, same hash):
    running init again parses none of them, so neither YAML nor pydantic is
    imported; a new store deploys them through the definition cache."""
    url = f"sqlite:///{tmp_path / 'again.db'}"
    first = (
        "from regsam_flow import Engine\n"
        f"Engine({url!r}).init('root', name='R', email='r@x.example')"
    )
    assert {"yaml", "alembic"} <= set(loaded_after(first, tmp_path))
    again = f"from regsam_flow import Engine\nEngine({url!r}).init('root')"
    loaded = loaded_after(again, tmp_path)
    assert "yaml" not in loaded and "pydantic" not in loaded
    assert "alembic" in loaded  # init still checks the schema with Alembic


# ------------------------------------------------- the data folder, quickly


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"HOME": "/home/rita"}, "/home/rita/.local/share/regsam-flow"),
        ({"HOME": "/home/rita/"}, "/home/rita/.local/share/regsam-flow"),
        ({"HOME": "/home/rita", "XDG_DATA_HOME": "/data"}, "/data/regsam-flow"),
        ({"HOME": "/home/rita", "XDG_DATA_HOME": "relative"}, None),
        ({"HOME": "relative"}, None),
        ({"HOME": "/home/rita", "ANDROID_DATA": "/data", "ANDROID_ROOT": "/system"}, None),
    ],
)
def test_the_data_folder_without_platformdirs_agrees_with_it(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str | None
) -> None:
    really_linux = sys.platform == "linux" and not hasattr(sys, "getandroidapilevel")
    monkeypatch.setattr(sys, "platform", "linux")
    for var in ("HOME", "XDG_DATA_HOME", "ANDROID_DATA", "ANDROID_ROOT", "REGSAM_FLOW_HOME"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    fast = paths_mod._xdg_data_dir()
    assert fast == expected
    if fast is not None and really_linux:
        from platformdirs import user_data_dir

        assert Path(fast) == Path(user_data_dir("regsam-flow", appauthor=False))
        assert paths_mod.data_dir() == Path(fast)


def test_regsam_flow_home_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REGSAM_FLOW_HOME", str(tmp_path / "rf"))
    assert paths_mod.data_dir() == tmp_path / "rf"
