"""The core's texts people read are German by default and English on request;
codes, fields and exit codes stay as they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from regsam_flow import BlockedError, Engine, InvalidInputError, InvalidWorkflowError, SchemaError
from regsam_flow.cli import cli
from regsam_flow.dates import parse_date
from regsam_flow.i18n import use_language
from regsam_flow.screen import (
    INDICATOR_IDS,
    ScreenOptions,
    parse_quarters,
    render_table,
    screen,
)
from regsam_flow.validation import check_id
from regsam_flow.workflows import parse_workflow

from .conftest import AGREEMENT, report


def _blocked_signing(engine: Engine, area: str) -> BlockedError:
    report(engine, area, "vorlauf")
    engine.set_agreement(area, actor="mia", **AGREEMENT)
    engine.sign_agreement(area, actor="mia")
    with pytest.raises(BlockedError) as exc:
        engine.advance(area, actor="mia")
    return exc.value


def test_a_guards_blocker_in_german_and_english(engine: Engine, area: str) -> None:
    with use_language("de"):
        german = _blocked_signing(engine, area)
    assert [b.code for b in german.blockers] == ["agreement_unsigned"]
    assert german.blockers[0].message == (
        "Kooperationsvereinbarung noch nicht unterschrieben von social_planning"
    )
    with use_language("en"), pytest.raises(BlockedError) as exc:
        engine.advance(area, actor="mia")
    assert [b.code for b in exc.value.blockers] == ["agreement_unsigned"]
    assert exc.value.blockers[0].message == "agreement not yet signed by social_planning"


def test_the_missing_agreement_and_open_tasks_in_german(engine: Engine, area: str) -> None:
    with use_language("de"), pytest.raises(BlockedError) as exc:
        engine.advance(area, actor="mia")
    messages = {b.code: b.message for b in exc.value.blockers}
    assert messages["agreement_missing"] == "noch keine Kooperationsvereinbarung"
    assert messages["task_open"].startswith("Pflichtaufgabe '")
    assert "nicht als erledigt gemeldet" in messages["task_open"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", "area 'Müller Straße' ist keine gültige ID: verwenden Sie ASCII-Buchstaben"),
        ("en", "area 'Müller Straße' is not a valid id: use ASCII letters"),
    ],
)
def test_a_validation_error_in_german_and_english(lang: str, expected: str) -> None:
    with use_language(lang), pytest.raises(InvalidInputError) as exc:
        check_id("Müller Straße", "area")
    assert exc.value.message.startswith(expected)
    assert exc.value.field == "area"
    assert exc.value.exit_code == 7


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", "start: '15/07/2027' ist kein Datum (schreiben Sie 15.07.2027 oder 2027-07-15)"),
        ("en", "start: '15/07/2027' is not a date (use 2027-07-15 or 15.07.2027)"),
    ],
)
def test_a_date_error_in_german_and_english(lang: str, expected: str) -> None:
    with use_language(lang), pytest.raises(InvalidInputError) as exc:
        parse_date("15/07/2027", "start")
    assert exc.value.message == expected
    assert exc.value.field == "start"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", "ist nicht eingerichtet: führen Sie zuerst `regsam-flow init` aus"),
        ("en", "is not initialised: run `regsam-flow init` first"),
    ],
)
def test_a_schema_error_in_german_and_english(tmp_path: Path, lang: str, expected: str) -> None:
    engine = Engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        with use_language(lang), pytest.raises(SchemaError) as exc:
            engine.list_areas(actor="root")
    finally:
        engine.close()
    assert expected in exc.value.message
    assert exc.value.code == "schema" and exc.value.found is None


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", "keine Verbindung zur Datenbank postgresql+psycopg://nobody:***@127.0.0.1:1/x: "),
        ("en", "cannot connect to the database postgresql+psycopg://nobody:***@127.0.0.1:1/x: "),
    ],
)
def test_a_database_that_cannot_be_reached_is_one_clear_line(
    tmp_path: Path, lang: str, expected: str
) -> None:
    """Issue 12, rough edge 7: no raw OperationalError, no link, no password."""
    pytest.importorskip("psycopg")
    result = CliRunner().invoke(
        cli,
        ["area", "list"],
        env={
            "REGSAM_FLOW_DB": "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/x",
            "REGSAM_FLOW_USER": "root",
            "REGSAM_FLOW_HOME": str(tmp_path),
            "REGSAM_FLOW_LANG": lang,
        },
    )
    assert result.exit_code == 12  # unavailable: try again
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert expected in lines[0]
    assert "s3cret" not in result.output
    assert "OperationalError" not in result.output and "sqlalche.me" not in result.output


def test_the_screen_speaks_german_with_decimal_commas() -> None:

    header = "id,name,district,population," + ",".join(INDICATOR_IDS) + "\n"
    rows = [
        f"q{i},Viertel {i},Bezirk,{1000 + i}," + ",".join(f"{(i + j) / 3:.5f}" for j in range(13))
        for i in range(1, 4)
    ]
    quarters = parse_quarters(header + "\n".join(rows) + "\n")
    result = screen(quarters, ScreenOptions())
    with use_language("de"):
        german = render_table(result)
    with use_language("en"):
        english = render_table(result)
    assert german.startswith("Monitoring-Auswertung: 3 Stadtviertel, 0 kommen in Frage.")
    assert "mindestens 30 % über dem Mittelwert" in german
    assert "Verwendete Mittelwerte (Schwelle = Mittelwert x 1,3):" in german
    assert english.startswith("Monitoring screen: 3 quarters, 0 qualify.")
    assert "Means used (cutoff = mean x 1.3):" in english


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", 'Zeile 2, Spalte D "population": "viele" ist keine Zahl'),
        ("en", 'row 2, column D "population": "viele" is not a number'),
    ],
)
def test_a_problem_in_the_monitoring_file_in_german_and_english(lang: str, expected: str) -> None:

    header = "id,name,district,population," + ",".join(INDICATOR_IDS) + "\n"
    row = "q1,Viertel,Bezirk,viele," + ",".join(["1"] * 13) + "\n"
    with use_language(lang), pytest.raises(InvalidInputError) as exc:
        parse_quarters(header + row, source="m.csv")
    assert exc.value.message == f"m.csv: {expected}"
    assert exc.value.field == "population"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", "bad.yaml: transitions[0] (go).dest: unbekannter Zustand 'nirgends'"),
        ("en", "bad.yaml: transitions[0] (go).dest: unknown state 'nirgends'"),
    ],
)
def test_a_workflow_definition_error_in_german_and_english(lang: str, expected: str) -> None:
    text = (
        "name: w\nversion: 1\ntitle: W\nroles: [moderation]\ninitial: a\n"
        "states:\n  - {id: a, title: A}\n  - {id: b, title: B, final: true}\n"
        "transitions:\n  - {trigger: go, source: a, dest: nirgends, roles: [moderation]}\n"
    )
    with use_language(lang), pytest.raises(InvalidWorkflowError) as exc:
        parse_workflow(text, "bad.yaml")
    assert exc.value.message == expected
    assert exc.value.element == "transitions[0] (go).dest"
    assert exc.value.exit_code == 7
