"""The CLI speaks German by default and English when asked (``--lang en``,
``REGSAM_FLOW_LANG=en``, an English ``LANG``): help texts, output, errors.
Exit codes, JSON keys and codes stay the same in both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from regsam_flow.cli import cli

from .cli_helpers import Cli, setup_area, sign

AREA = "hasenbergl-nord"
#: No language asked for anywhere: the default (German).
NO_LANGUAGE: dict[str, str | None] = {
    "REGSAM_FLOW_LANG": None,
    "LC_ALL": None,
    "LC_MESSAGES": None,
    "LANG": None,
    "LANGUAGE": None,
}


def run(c: Cli, *args: str, user: str = "root", **env: str | None) -> Result:
    """The CLI with the language chosen by ``env`` (on top of "none asked")."""
    return CliRunner().invoke(
        cli,
        list(args),
        env={
            "REGSAM_FLOW_DB": c.db,
            "REGSAM_FLOW_USER": user,
            "REGSAM_FLOW_HOME": str(c.home),
            "REGSAM_FLOW_SMTP_URL": None,
            **NO_LANGUAGE,
            **env,
        },
        catch_exceptions=False,
    )


@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    """The CLI on a database with people in every role and the area in vorlauf."""
    cli = Cli(db_url, tmp_path / "home")
    setup_area(cli, AREA)
    return cli


# ------------------------------------------------------------------- help


@pytest.mark.sql("runs the CLI")
def test_the_help_is_german_by_default_and_english_with_lang_en(c: Cli) -> None:
    de = run(c, "--help")
    assert de.exit_code == 0
    assert "Schwerpunktgebiete durch Vorlauf, Diagnose, Umsetzung" in de.output
    assert "Exit-Codes: 0 in Ordnung" in de.output
    assert "Maschinenlesbares JSON auf stdout" in de.output
    assert "Machine-readable" not in de.output

    en = run(c, "--lang", "en", "--help")
    assert en.exit_code == 0
    assert "focus areas (Schwerpunktgebiete) through Vorlauf" in en.output
    assert "Exit codes: 0 ok" in en.output
    assert "Machine-readable JSON on stdout" in en.output


@pytest.mark.sql("runs the CLI")
def test_area_show_help_in_german_and_english(c: Cli) -> None:
    de = run(c, "area", "show", "--help")
    assert de.exit_code == 0
    assert "Phase, Personen nach Rolle, Kooperationsvereinbarung" in de.output
    assert "Beispiel:\n    regsam-flow --as mia area show hasenbergl-nord" in de.output

    en = run(c, "--lang", "en", "area", "show", "--help")
    assert en.exit_code == 0
    assert "Phase, people by role, agreement, tasks" in en.output
    assert "Example:\n    regsam-flow --as mia area show hasenbergl-nord" in en.output


# ------------------------------------------------------------- a blocker


@pytest.mark.sql("runs the CLI")
def test_a_blocked_advance_in_german_and_english_exit_4_both(c: Cli) -> None:
    de = run(c, "advance", AREA, user="mia")
    assert de.exit_code == 4
    assert "Es wurde nichts geändert." in de.stderr
    assert "- agreement_missing: " in de.stderr  # codes stay English

    en = run(c, "advance", AREA, user="mia", REGSAM_FLOW_LANG="en")
    assert en.exit_code == 4
    assert en.stderr.startswith("error: ")
    assert "Nothing was changed." in en.stderr
    assert "- agreement_missing: " in en.stderr


@pytest.mark.sql("runs the CLI")
def test_a_blocked_advance_as_json_has_the_same_keys_and_codes_in_both(c: Cli) -> None:
    de = run(c, "--json", "advance", AREA, user="mia")
    en = run(c, "--json", "--lang", "en", "advance", AREA, user="mia")
    assert de.exit_code == en.exit_code == 4
    out_de, out_en = json.loads(de.stdout), json.loads(en.stdout)
    assert set(out_de) == set(out_en) == {"error", "message", "blockers"}
    assert out_de["error"] == out_en["error"] == "blocked"
    codes = [b["code"] for b in out_en["blockers"]]
    assert [b["code"] for b in out_de["blockers"]] == codes
    assert "agreement_missing" in codes
    assert [set(b) for b in out_de["blockers"]] == [set(b) for b in out_en["blockers"]]


# ----------------------------------------------------------------- errors


@pytest.mark.sql("runs the CLI")
def test_an_error_in_german_and_english(c: Cli) -> None:
    args = ("log", AREA, "--since", "01.03.2027", "--until", "01.02.2027")
    de = run(c, *args, user="audrey")
    assert de.exit_code == 7
    assert "--until liegt vor --since" in de.stderr

    en = run(c, *args, user="audrey", REGSAM_FLOW_LANG="en")
    assert en.exit_code == 7
    assert "error: --until lies before --since" in en.stderr

    usage = run(c, "agreement", "set", AREA, user="mia")
    assert usage.exit_code == 2
    assert "Geben Sie mindestens ein Feld zum Ändern an" in usage.output


# ---------------------------------------------------------------- output


@pytest.mark.sql("runs the CLI")
def test_agreement_show_german_labels_and_dates_english_on_request(c: Cli) -> None:
    sign(c, AREA)
    de = run(c, "agreement", "show", AREA, user="mia")
    assert de.exit_code == 0
    assert "Überprüfung:" in de.output
    assert "15.07.2027" in de.output
    assert "unterschrieben von:" in de.output

    en = run(c, "--lang", "en", "agreement", "show", AREA, user="mia")
    assert "review:" in en.output
    assert "2027-07-15" in en.output
    assert "signed by:" in en.output


@pytest.mark.sql("runs the CLI")
def test_area_show_and_task_done_in_german(c: Cli) -> None:
    shown = run(c, "area", "show", AREA, user="mia")
    assert shown.exit_code == 0
    for heading in ("Personen", "Aufgaben von vorlauf", "Nächste Schritte"):
        assert heading in shown.output
    assert "start_diagnose -> diagnose: blockiert" in shown.output

    done = run(c, "task", "done", AREA, "schwerpunktziel", user="mia")
    assert done.exit_code == 0
    assert done.output == (
        "Aufgabe schwerpunktziel von hasenbergl-nord als erledigt gemeldet von mia.\n"
    )


# ------------------------------------------------------- which language


@pytest.mark.sql("runs the CLI")
@pytest.mark.parametrize(
    "env",
    [
        {"REGSAM_FLOW_LANG": "en"},
        {"LANG": "en_GB.UTF-8"},
        {"LC_MESSAGES": "en_US.UTF-8", "LANG": "de_DE.UTF-8"},
    ],
    ids=["REGSAM_FLOW_LANG", "LANG", "LC_MESSAGES"],
)
def test_the_environment_asks_for_english(c: Cli, env: dict[str, str]) -> None:
    r = run(c, "task", "done", AREA, "schwerpunktziel", user="mia", **env)
    assert r.exit_code == 0
    assert r.output == "Task schwerpunktziel of hasenbergl-nord reported done by mia.\n"
    assert "Show tracebacks of unexpected errors." in run(c, "--help", **env).output


@pytest.mark.sql("runs the CLI")
def test_a_german_lang_and_lang_de_over_an_english_environment(c: Cli) -> None:
    r = run(c, "task", "done", AREA, "schwerpunktziel", user="mia", LANG="de_DE.UTF-8")
    assert r.output.startswith("Aufgabe schwerpunktziel")
    reopen = ("task", "reopen", AREA, "schwerpunktziel", "--reason", "x")
    r = run(c, "--lang", "de", *reopen, user="mia", REGSAM_FLOW_LANG="en")
    assert r.output == "Aufgabe schwerpunktziel von hasenbergl-nord ist wieder offen.\n"


def test_dates_people_read_are_berlin_days_in_their_language() -> None:
    from datetime import date, datetime, timezone

    from regsam_flow.cli.output import day, moment
    from regsam_flow.i18n import use_language

    just_after_midnight = datetime(2026, 11, 30, 23, 11, tzinfo=timezone.utc)  # 00:11 in Berlin
    with use_language("de"):
        assert day(just_after_midnight) == "01.12.2026"
        assert day(date(2027, 7, 15)) == day("2027-07-15") == "15.07.2027"
        assert moment(just_after_midnight) == "01.12.2026 00:11"
        assert moment("2027-07-15T06:30:00Z") == "15.07.2027 08:30"
    with use_language("en"):
        assert day(just_after_midnight) == "2026-12-01"
        assert moment(just_after_midnight) == "2026-12-01 00:11"
        assert day(None) == moment(None) == "-"


def test_the_demo_in_german(tmp_path: Path) -> None:
    from regsam_flow.demo import run_demo
    from regsam_flow.i18n import use_language

    lines: list[str] = []
    with use_language("de"):
        run_demo(tmp_path / "demo", out=lines.append).close()
    out = "\n".join(lines)
    assert "Kooperationsvereinbarung Version 1 geschrieben: Start 15.01.2027" in out
    assert "mia schaltet weiter: vorlauf -> diagnose" in out
    assert " Einträge, Kette intakt, Kopf " in out
    assert "Erinnerungen: #1 gesendet, #2 entfallen, #3 entfallen" in out
    assert "Zum Ausprobieren: regsam-flow --db sqlite:///" in out


# ------------------------------------------------- the hint that fits


@pytest.mark.sql("runs the CLI")
def test_a_refusal_ends_with_the_hint_that_fits_in_both_languages(c: Cli) -> None:
    blocked = run(c, "advance", AREA, user="mia", REGSAM_FLOW_LANG="en")
    assert blocked.exit_code == 4
    assert blocked.stderr.endswith(
        "Nothing was changed. `regsam-flow why hasenbergl-nord` lists every blocker.\n"
    )
    assert "why AREA" not in blocked.stderr
    de = run(c, "advance", AREA, user="mia")
    assert de.stderr.endswith(
        "Es wurde nichts geändert. `regsam-flow why hasenbergl-nord` nennt alle Hindernisse.\n"
    )

    no_reason = run(c, "transition", AREA, "cancel", user="mia", REGSAM_FLOW_LANG="en")
    assert no_reason.exit_code == 4
    assert "- reason_required: " in no_reason.stderr
    assert no_reason.stderr.endswith('Nothing was changed. Give the reason with --reason "...".\n')

    run(c, "task", "done", AREA, "schwerpunktziel", user="mia")
    again = run(c, "task", "done", AREA, "schwerpunktziel", user="mia", REGSAM_FLOW_LANG="en")
    assert again.exit_code == 4
    assert "- task_done: " in again.stderr
    assert "`regsam-flow task reopen hasenbergl-nord TASK --reason ...`" in again.stderr
    de = run(c, "task", "done", AREA, "schwerpunktziel", user="mia")
    assert "öffnet eine erledigt gemeldete Aufgabe wieder" in de.stderr


# ------------------------------------- agreement show, area show when closed


@pytest.mark.sql("runs the CLI")
def test_agreement_show_names_missing_signatures_and_fields_apart(c: Cli) -> None:
    first = run(c, "agreement", "set", AREA, "--topic", "Ältere", user="mia", REGSAM_FLOW_LANG="en")
    assert first.exit_code == 0
    assert "is now version 1; it needs signing." in first.output
    assert "again" not in first.output
    shown = run(c, "agreement", "show", AREA, user="mia", REGSAM_FLOW_LANG="en").output
    assert "signed by:          nobody yet\n" in shown
    assert "signatures missing: moderation, social_planning\n" in shown
    assert "fields missing:     scope, reasons" in shown

    sign(c, AREA)
    second = run(c, "agreement", "set", AREA, "--topic", "Jüngere", user="mia")
    assert "ist jetzt Version 3; sie muss erneut unterschrieben werden." in second.output
    run(c, "agreement", "sign", AREA, user="sven")
    shown = run(c, "agreement", "show", AREA, user="mia").output
    assert "fehlende Unterschriften: moderation\n" in shown
    assert "fehlende Felder:         -\n" in shown


@pytest.mark.sql("runs the CLI")
def test_area_show_on_a_closed_area_has_no_review_date_and_names_the_phase_once(
    c: Cli,
) -> None:
    sign(c, AREA)
    r = run(c, "transition", AREA, "cancel", "--reason", "Sanierungsgebiet", user="mia")
    assert r.exit_code == 0, r.output
    shown = run(c, "area", "show", AREA, user="mia", REGSAM_FLOW_LANG="en").output
    assert "next review" not in shown
    assert "phase:    abgebrochen  [final]\n" in shown
    assert "abgebrochen (abgebrochen)" not in shown


def test_the_demo_tells_how_to_call_regsam_flow_as_it_was_called(tmp_path: Path) -> None:
    """The README's one-liner runs `.venv/bin/regsam-flow demo` with the
    venv not on PATH: the "Try:" lines say `.venv/bin/regsam-flow` then."""
    import os
    import subprocess
    import sys

    venv_bin = Path(sys.executable).parent
    path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != venv_bin
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGSAM_FLOW_")}
    env.update(PATH=path, REGSAM_FLOW_HOME=str(tmp_path / "home"), REGSAM_FLOW_LANG="en")
    typed = os.path.relpath(venv_bin / "regsam-flow", tmp_path)
    r = subprocess.run(
        [typed, "demo", "--dir", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert f"Try: {typed} --db sqlite:///" in r.stdout
    assert f"     {typed} --db sqlite:///" in r.stdout


# ------------------------------------------------------- the terminal's width


@pytest.mark.sql("runs the CLI")
def test_tables_use_the_terminal_width_and_keep_ids_whole(c: Cli) -> None:
    email = "maximiliane.mustermann-obermaier@sozialreferat.muenchen.example"
    c.ok("user", "add", "maximiliane-mustermann", "--name", "Maxi", "--email", email)
    wide = run(c, "user", "list", REGSAM_FLOW_LANG="en", COLUMNS="200").output
    assert email in wide
    assert max(len(line) for line in wide.splitlines()) > 80
    default = run(c, "user", "list", REGSAM_FLOW_LANG="en", COLUMNS=None).output
    assert email not in default
    assert all(len(line) <= 80 for line in default.splitlines())
    narrow = run(c, "user", "list", REGSAM_FLOW_LANG="en", COLUMNS="50").output
    assert "maximiliane-mustermann " in narrow  # the id whole


@pytest.mark.sql("runs the CLI")
def test_area_show_and_task_list_show_titles_and_notes(c: Cli) -> None:
    note = "Monitoring 2026"
    c.ok("task", "done", AREA, "datenmaterial", "--note", note, user="sven")
    shown = run(c, "area", "show", AREA, user="mia", REGSAM_FLOW_LANG="en").output
    assert "Schwerpunktziel festgelegt" in shown
    assert "(note: Monitoring 2026)" in " ".join(shown.split())
    listed = run(c, "task", "list", AREA, "--phase", "vorlauf", REGSAM_FLOW_LANG="en").output
    flowing = " ".join(listed.split())  # the title column wraps
    assert "Schwerpunktziel festgelegt (moderation, social_planning)" in flowing
    assert "(note: Monitoring 2026)" in flowing
    assert all(len(line) <= 80 for line in listed.splitlines() + shown.splitlines())
    german = run(c, "task", "list", AREA, "--phase", "vorlauf").output
    assert "(Notiz: Monitoring 2026)" in " ".join(german.split())


def test_the_command_list_shows_each_commands_first_sentence_in_the_language():
    """The group's list of commands shows each command's first sentence,
    shortened with "..." when it is long, written by the project rather
    than click's private helper (absent from some click 8 releases)."""
    from regsam_flow.cli.app import short_help

    assert short_help("Zeigt ein Gebiet. Mit Details.") == "Zeigt ein Gebiet."
    long = short_help("Ein sehr langer erster Satz ohne Punkt, der nicht in die Zeile passt", 30)
    assert long.endswith("...") and len(long) <= 30
    result = CliRunner().invoke(cli, ["--lang", "de", "--help"])
    assert result.exit_code == 0
    lines = {line.split(maxsplit=1)[0]: line for line in result.output.splitlines() if line}
    assert lines["demo"].endswith(" Ein Demo-Gebiet durch alle Phasen führen.")
    assert " Die Datenbank anlegen oder auf das Schema" in lines["init"]
