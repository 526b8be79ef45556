"""Shared fixtures: a store per test (the memory store, a SQLite file, a
PostgreSQL database; ``databases`` says which test runs on which), people in
every role."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from regsam_flow import Engine
from regsam_flow.persistence.memory import MemoryStore

from .databases import (
    BACKENDS,
    NOT_CONFIGURED,
    STORES,
    PgServer,
    engine_stores,
    pg_required,
    pg_url_from_env,
)

AREA = "hasenbergl-nord"
_STORES = pytest.StashKey[tuple[str, ...]]()
_MEASURED = pytest.StashKey[list[str]]()

PEOPLE = {
    # id: (name, email, area role)
    "mia": ("Mia Moderatorin", "mia@regsam.example", "moderation"),
    "sven": ("Sven Sozialplanung", "sven@muenchen.example", "social_planning"),
    "stella": ("Stella Steuerung", "stella@muenchen.example", "steering"),
    "tom": ("Tom Träger", "tom@traeger.example", "provider"),
    "sabine": ("Sabine SBH", "sabine@muenchen.example", "sbh"),
}

AGREEMENT = {
    "topic": "Nachbarschaftskonflikte, ältere Menschen",
    "scope": "Hasenbergl-Nord zwischen Dülferstraße und Stanigplatz",
    "reasons": "Monitoring: 9 von 13 Werten 30 % über dem Mittel",
    "partners": "Baureferat, Schulreferat, Sportverein",
    "terms": "KG tagt monatlich",
    "duration": "2 Jahre",
    "start": date(2027, 1, 15),
    "review": date(2027, 7, 15),
}

REQUIRED_TASKS = {
    "vorlauf": [
        ("schwerpunktziel", "mia"),
        ("partner_traeger", "mia"),
        ("partner_verwaltung", "sven"),
        ("datenmaterial", "sven"),
        ("kommunikation", "mia"),
    ],
    "diagnose": [
        ("kg_arbeitsweise", "mia"),
        ("bedarfsanalyse", "mia"),
        ("ziel_handlungskatalog", "mia"),
    ],
    "umsetzung": [("umsetzung_koordiniert", "mia"), ("handlungsauftraege", "sven")],
    "auswertung": [("gemeinsame_auswertung", "mia"), ("abschlussdokumentation", "mia")],
}


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the workflow cache (and any default database) out of the user's
    data folder: ``REGSAM_FLOW_HOME`` points into the session's temp folder;
    the user's configuration file is not read (``XDG_CONFIG_HOME`` is an
    empty temp folder, ``REGSAM_FLOW_CONFIG`` unset).
    Texts are English (``REGSAM_FLOW_LANG=en``) unless a test asks for
    German (tests/test_german.py): most tests read the English texts."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REGSAM_FLOW_HOME", str(tmp_path_factory.mktemp("regsam-flow-home")))
        mp.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("regsam-flow-config")))
        mp.delenv("REGSAM_FLOW_CONFIG", raising=False)
        mp.setenv("REGSAM_FLOW_LANG", "en")
        mp.delenv("COLUMNS", raising=False)  # tables 80 wide, whatever the terminal
        yield


@pytest.fixture(autouse=True)
def _language_back_to_the_environment() -> Iterator[None]:
    """A CLI run sets the language for the rest of the process (and
    ``LANGUAGE`` for click): after each test the next one starts again
    from the environment (English), whichever test ran before it."""
    import os

    from regsam_flow.i18n import set_language

    before = os.environ.get("LANGUAGE")
    yield
    set_language(None)
    if before is None:
        os.environ.pop("LANGUAGE", None)
    else:
        os.environ["LANGUAGE"] = before


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stores",
        metavar="LIST",
        help="the stores the engine's behaviour tests run on, comma-separated from "
        f"{', '.join(STORES)} (default: memory; on CI all three); the database tests "
        "run on SQLite and PostgreSQL whatever this says",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        config.stash[_STORES] = engine_stores(config.getoption("stores"))
    except ValueError as exc:
        raise pytest.UsageError(f"--stores: {exc}") from None
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): the test is about SQLite itself; it gets no [postgresql] run",
    )
    config.addinivalue_line(
        "markers",
        "postgresql_only(reason): the test is about PostgreSQL itself; it gets no [sqlite] run",
    )
    config.addinivalue_line(
        "markers",
        "sql(reason): the test reaches past the engine into the SQL database (its URL, "
        "files, other processes); it runs on SQLite and PostgreSQL, never [memory]",
    )
    config.addinivalue_line(
        "markers",
        "every_store(reason): the test runs on every store ([memory], [sqlite], "
        "[postgresql]) in every run, whatever --stores says",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"engine behaviour tests on: {', '.join(config.stash[_STORES])} (--stores)"


def skip_counts(reports: Sequence[pytest.TestReport]) -> list[str]:
    """One line per reason of the skipped tests, with how many: the
    terminal summary without the long ``-rs`` list of every place."""
    counts: Counter[str] = Counter()
    for rep in reports:
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        counts[reason.removeprefix("Skipped: ")] += 1
    return [f"{n} skipped: {reason}" for reason, n in counts.most_common()]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The skips by reason (one line each) and what tests measured
    (``measured``), below the progress dots."""
    lines = skip_counts(terminalreporter.stats.get("skipped", []))
    if lines:
        terminalreporter.section("skipped, by reason", sep="-")
        for line in lines:
            terminalreporter.write_line(line)
    measured = config.stash.get(_MEASURED, [])
    if measured:
        terminalreporter.section("measured", sep="-")
        for line in measured:
            terminalreporter.write_line(line)


@pytest.fixture
def measured(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Report a measurement (a throughput, a count) in the terminal summary
    after the run, not into the progress dots."""
    config = request.config
    if _MEASURED not in config.stash:
        config.stash[_MEASURED] = []
    return config.stash[_MEASURED].append


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test on a store gets one run per store (``db_backend``): see
    ``databases`` for which test runs where."""
    if "db_backend" not in metafunc.fixturenames:
        return
    marked = metafunc.definition.get_closest_marker
    backends: Sequence[str]
    if marked("sqlite_only") is not None:
        backends = ["sqlite"]
    elif marked("postgresql_only") is not None:
        backends = ["postgresql"]
    elif "db_url" in metafunc.fixturenames or marked("sql") is not None:
        backends = BACKENDS
    elif marked("every_store") is not None:
        backends = STORES
    else:
        backends = metafunc.config.stash[_STORES]
    metafunc.parametrize("db_backend", list(backends), indirect=True)


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    if backend == "postgresql" and pg_url_from_env() is None:
        if pg_required():
            pytest.fail(f"{NOT_CONFIGURED}; on CI the PostgreSQL tests must run", pytrace=False)
        pytest.skip(NOT_CONFIGURED)
    return backend


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL server of ``REGSAM_FLOW_TEST_PG_URL`` with a migrated template."""
    url = pg_url_from_env()
    if url is None:  # pragma: no cover - db_backend skips first
        pytest.skip(NOT_CONFIGURED)
    server = PgServer(url)
    yield server
    server.close()


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of the test's own, empty (as a new SQLite file is); on
    PostgreSQL already migrated if the test uses ``engine`` (which inits it)."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'regsam.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.new_database(migrated=bool({"engine", "store"} & set(request.fixturenames)))
    try:
        yield server.url_of(name)
    finally:
        server.drop(name)


@pytest.fixture
def engine(db_backend: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An initialised store with an admin ``root`` and an auditor ``audrey``:
    a database of ``db_url``, or a :class:`MemoryStore`."""
    if db_backend == "memory":
        e = Engine(store=MemoryStore())
    else:
        e = Engine(request.getfixturevalue("db_url"))
    e.init("root", name="Root Admin", email="root@regsam.example")
    e.add_person(
        "audrey",
        actor="root",
        name="Audrey Auditorin",
        email="audrey@regsam.example",
        auditor=True,
    )
    yield e
    e.close()


@pytest.fixture
def area(engine: Engine) -> str:
    """An area in vorlauf with one person in each of the five roles, on
    version 1 of the focus-area workflow (its walk ticks the checkbox tasks
    that version 2 replaced by the KG's records)."""
    for pid, (name, email, _role) in PEOPLE.items():
        engine.add_person(pid, actor="root", name=name, email=email)
    engine.create_area(
        AREA,
        actor="root",
        name="Hasenbergl-Nord",
        district="24 Feldmoching-Hasenbergl",
        workflow_version=1,
    )
    # an admin assigns moderation and social planning (mia and sven come first);
    # the area's moderation assigns steering, providers and SBH
    for pid, (_n, _e, role) in PEOPLE.items():
        actor = "root" if role in ("moderation", "social_planning") else "mia"
        engine.assign(AREA, role, pid, actor=actor)
    return AREA


def sign_agreement(engine: Engine, area: str) -> None:
    engine.set_agreement(area, actor="mia", **AGREEMENT)
    engine.sign_agreement(area, actor="mia")
    engine.sign_agreement(area, actor="sven")


def report(engine: Engine, area: str, phase: str) -> None:
    for task, who in REQUIRED_TASKS[phase]:
        engine.report_task(area, task, actor=who)
