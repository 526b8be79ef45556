"""The KG's, the dossier's and the workflow commands speak German by default
and English with ``--lang en``; what scripts read (JSON keys and values,
codes, exit codes) is the same in both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .cli_helpers import Cli, setup_area, sign
from .cli_helpers import report as cli_report
from .test_workflow_migration import version_3
from .test_workflow_versions import write_yaml


@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


def _in(c: Cli, lang: str, *args: str, user: str = "root", code: int = 0) -> str:
    r = c.run("--lang", lang, *args, user=user)
    assert r.exit_code == code, f"{args}: exit {r.exit_code}\n{r.output}"
    return r.output


def _json(c: Cli, lang: str, *args: str, user: str = "root", code: int = 0) -> Any:
    return json.loads(_in(c, lang, "--json", *args, user=user, code=code))


def _codes_only(value: Any) -> Any:
    """``value`` without the ``message`` of any blocker (a sentence in the
    reader's language); keys, codes and ids stay."""
    if isinstance(value, dict):
        return {k: _codes_only(v) for k, v in value.items() if k != "message"}
    if isinstance(value, list):
        return [_codes_only(v) for v in value]
    return value


def _kg(c: Cli) -> str:
    area = setup_area(c)
    c.ok("kg", "meeting", "add", area, "--date", "12.03.2026", "--place", "ASZ", user="mia")
    c.ok("kg", "meeting", "add", area, "--date", "01.01.2099", "--place", "Kulturzentrum",
         "--planned", user="mia")  # fmt: skip
    c.ok("kg", "order", "add", area, "--meeting", "1", "--title", "Räume suchen",
         "--person", "tom", "--due", "30.04.2026", user="mia")  # fmt: skip
    c.ok("kg", "order", "add", area, "--meeting", "1", "--title", "Bänke aufstellen",
         "--outside", "Baureferat", "--due", "2099-01-31", "--kind", "recommendation",
         user="mia")  # fmt: skip
    c.ok("kg", "order", "report", area, "1", "--status", "in_progress", user="tom")
    return area


def test_kg_meeting_list_in_german_and_english(c: Cli) -> None:
    area = _kg(c)
    de = _in(c, "de", "kg", "meeting", "list", area)
    assert de.splitlines()[0].split() == [
        "Kennung", "Nr.", "Datum", "Ort", "geplant", "Beschlüsse", "Dateien"
    ]  # fmt: skip
    assert "01.01.2099" in de and "Kulturzentrum" in de and " ja " in f"{de} "
    en = _in(c, "en", "kg", "meeting", "list", area)
    assert en.splitlines()[0].split() == [
        "id", "no.", "date", "place", "planned", "decisions", "files"
    ]  # fmt: skip
    assert " yes" in en
    assert _json(c, "de", "kg", "meeting", "list", area) == _json(
        c, "en", "kg", "meeting", "list", area
    )
    shown = _in(c, "de", "kg", "meeting", "show", area, "2")
    assert "Sitzung:" in shown and "(Nr. 2, geplant)" in shown and "Ort:" in shown
    # the KG section of area show
    de = _in(c, "de", "area", "show", area)
    assert "Sitzungen:" in de and "1 abgehalten, 1 geplant; letzte: Nr. 1 am" in de
    assert "Katalog:" in de and "nicht beschlossen" in de and "2 offen (1 überfällig)" in de
    en = _in(c, "en", "area", "show", area)
    assert "1 held, 1 planned; last 1 on" in en and "2 open (1 overdue)" in en


def test_kg_order_list_in_german_and_english(c: Cli) -> None:
    area = _kg(c)
    de = _in(c, "de", "kg", "order", "list", area, user="mia")
    assert de.splitlines()[0].split() == ["Kennung", "fällig", "Status", "Art", "an", "Titel"]
    assert "in Arbeit" in de and "Arbeitsauftrag" in de and "Person tom" in de
    assert "offen" in de and "Empfehlung" in de and "Baureferat" in de
    en = _in(c, "en", "kg", "order", "list", area, user="mia")
    assert en.splitlines()[0].split() == ["id", "due", "status", "kind", "to", "title"]
    assert "in_progress" in en and "person tom" in en and "outside Bauref" in en
    rows = _json(c, "de", "kg", "order", "list", area, user="mia")
    assert rows == _json(c, "en", "kg", "order", "list", area, user="mia")
    assert [(o["status"], o["kind"]) for o in rows] == [
        ("in_progress", "order"),
        ("open", "recommendation"),
    ]
    assert _in(c, "de", "kg", "order", "list", area, "--status", "done") == (
        "Keine Arbeitsaufträge gefunden.\n"
    )
    r = c.run("--lang", "de", "kg", "order", "report", area, "1", "--status", "done", user="tom")
    assert r.exit_code == 0 and "Arbeitsauftrag 1 von hasenbergl-nord: erledigt." in r.output


def test_dossier_check_in_german_and_english(c: Cli, tmp_path: Path) -> None:
    area = setup_area(c)
    out = tmp_path / "abschluss.html"
    c.ok("dossier", area, "-o", str(out), user="mia")
    r = c.run("--lang", "de", "dossier", "check", area, str(out), user="mia")
    assert r.exit_code == 8
    assert r.stderr == "NEIN: Für hasenbergl-nord ist keine Abschlussdokumentation festgehalten.\n"
    r = c.run("--lang", "en", "dossier", "check", area, str(out), user="mia")
    assert r.exit_code == 8
    assert r.stderr == "NO: no final documentation of hasenbergl-nord is recorded.\n"
    de = _json(c, "de", "dossier", "check", area, str(out), user="mia", code=8)
    assert de == _json(c, "en", "dossier", "check", area, str(out), user="mia", code=8)
    assert (de["matches"], de["recorded"]) == (False, None)
    # an error: German, the same exit code and nothing written
    r = c.run("--lang", "de", "dossier", area, "-o", str(out), user="mia")
    assert r.exit_code == 7
    assert "abschluss.html gibt es schon: Geben Sie --force an" in r.stderr
    r = c.run("--lang", "en", "dossier", area, "-o", str(out), user="mia")
    assert r.exit_code == 7 and "exists already: give --force to overwrite it" in r.stderr
    helped = _in(c, "de", "dossier", "check", "--help")
    assert "festgehaltene Abschlussdokumentation" in helped and "Beispiel:" in helped


def test_workflow_migrate_dry_run_in_german_and_english(c: Cli, tmp_path: Path) -> None:
    area = setup_area(c)
    sign(c, area)
    cli_report(c, area, "vorlauf")
    c.ok("advance", area, user="mia")
    c.ok("workflow", "deploy", str(write_yaml(tmp_path / "wf", "v3.yaml", version_3())))
    args = ("workflow", "migrate", area, "--to", "3", "--dry-run")
    de = _in(c, "de", *args, user="mia")
    assert (
        "Probelauf: hasenbergl-nord (diagnose) kann von schwerpunktgebiet v1 -> v3 wechseln; "
        "nichts geschrieben." in de
    )
    assert "Aufgaben nur in der neuen Version (offen): katalog_beschlossen" in de
    assert "start_umsetzung ist dann blockiert durch:" in de
    en = _in(c, "en", *args, user="mia")
    assert "Dry run: hasenbergl-nord (diagnose) can move from schwerpunktgebiet v1 -> v3" in en
    assert "start_umsetzung is then blocked by:" in en
    plan_de, plan_en = _json(c, "de", *args, user="mia"), _json(c, "en", *args, user="mia")
    assert plan_de.keys() == plan_en.keys()
    assert [b["code"] for b in plan_de["blocked_by"]] == [b["code"] for b in plan_en["blocked_by"]]
    assert (plan_de["can_move"], plan_de["moved"]) == (True, False)
    # a refusal: German, exit 4, the codes unchanged
    r = c.run("--lang", "de", "workflow", "migrate", area, "--to", "9", "--dry-run", user="mia")
    assert r.exit_code == 4 and "- version_not_deployed:" in r.stdout
    assert (
        "hasenbergl-nord (diagnose) kann nicht von schwerpunktgebiet v1 -> v9 wechseln" in r.stdout
    )
    r = c.run("--lang", "de", "workflow", "migrate", area, "--to", "zwei", user="mia")
    assert r.exit_code == 7 and "ist keine Versionsnummer" in r.stderr


def test_selection_show_labels_the_fields_by_their_titles(c: Cli) -> None:
    c.ok("init", "--admin", "anna")
    c.ok("selection", "nominate", "2027-nord", "--round", "2027", "--name", "Nord",
         "--source", "rags", user="anna")  # fmt: skip
    de = _in(c, "de", "selection", "show", "2027-nord", user="anna")
    assert "Kandidat:" in de and "Phase:" in de and "Quelle der Nennung:" in de
    assert "Nächste Schritte" in de and "quelle:" not in de
    en = _in(c, "en", "selection", "show", "2027-nord", user="anna")
    assert "candidate:" in en and "Quelle der Nennung:" in en and "Next steps" in en
    # the same keys, codes and values; only the blockers' messages are for people
    assert _codes_only(_json(c, "de", "selection", "show", "2027-nord", user="anna")) == (
        _codes_only(_json(c, "en", "selection", "show", "2027-nord", user="anna"))
    )
