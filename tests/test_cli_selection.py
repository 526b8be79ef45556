"""Selecting areas end to end through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cli_helpers import Cli

SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "monitoring-sample.csv"
PANEL = [
    ("regsam_member", "rita"),
    ("regsam_member", "rolf"),
    ("social_planning_member", "sara"),
    ("social_planning_member", "stefan"),
    ("arge", "arne"),
    ("head", "helga"),
]


@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    cli = Cli(db_url, tmp_path / "home")
    cli.ok("init", "--admin", "anna")
    for _role, pid in PANEL:
        cli.ok(
            "user", "add", pid, "--name", pid.title(), "--email", f"{pid}@example.org", user="anna"
        )
    cli.ok(
        "selection",
        "nominate",
        "2027-vorlage",
        "--round",
        "2027",
        "--name",
        "Vorlage",
        "--source",
        "rags",
        user="anna",
    )
    for role, pid in PANEL:
        cli.ok("area", "assign", "2027-vorlage", role, pid, user="anna")
    return cli


def assess_and_vote(c: Cli, cand: str, votes: list[str]) -> str:
    c.ok(
        "selection",
        "assess",
        cand,
        "--fits",
        "yes",
        "--hours",
        "10",
        "--duration",
        "2 Jahre",
        "--special-programme",
        "no",
        user="rita",
    )
    out = ""
    for (_role, pid), v in zip(PANEL[:4], votes, strict=True):
        out = c.ok("selection", "vote", cand, v, user=pid).stdout
    return out


def test_from_screen_nominates_the_qualifying_quarters(c: Cli) -> None:
    done = c.json(
        "selection",
        "from-screen",
        str(SAMPLE),
        "--round",
        "2027",
        "--like",
        "2027-vorlage",
        user="anna",
    )
    assert [d["candidate"] for d in done] == [
        "2027-hasenbergl-nord",
        "2027-neuperlach-sued",
        "2027-moosach-bahnhof",
    ]
    shown = c.json("selection", "show", "2027-neuperlach-sued", user="anna")
    assert shown["fields"]["quelle"] == "monitoring"
    assert shown["fields"]["gebiet"] == "neuperlach-sued"
    assert "8 von 13 Werten" in shown["fields"]["gruende"]
    assert shown["roles"]["regsam_member"] == ["rita", "rolf"]
    listed = c.json("selection", "list", "--round", "2027", user="rita")
    assert len(listed) == 4 and {x["state"] for x in listed} == {"nominiert"}
    assert c.json("selection", "list", "--round", "2031", user="anna") == []
    r = c.run(
        "selection",
        "from-screen",
        str(SAMPLE),
        "--round",
        "2027",
        "--quarter",
        "99.99",
        user="anna",
    )
    assert r.exit_code == 7 and "no quarter 99.99" in r.stderr


def test_selected_becomes_a_focus_area_with_prefilled_agreement(c: Cli) -> None:
    c.ok(
        "selection",
        "from-screen",
        str(SAMPLE),
        "--round",
        "2027",
        "--quarter",
        "24.11",
        "--like",
        "2027-vorlage",
        user="anna",
    )
    out = assess_and_vote(c, "2027-hasenbergl-nord", ["yes", "yes", "yes", "yes"])
    assert "auswaehlen -> ausgewaehlt" in out
    area = c.json("area", "show", "hasenbergl-nord", user="anna")
    assert (area["workflow"], area["state"]) == ("schwerpunktgebiet", "vorlauf")
    assert area["agreement"]["scope"] == "Hasenbergl-Nord (Viertel 24.11)"
    assert area["agreement"]["reasons"].startswith("Monitoring 2027: 10 von 13 Werten")
    assert c.json("audit", "verify", "--deep", user="anna")["problems"] == []
    log = c.json("log", "2027-hasenbergl-nord", user="anna")
    assert [e["actor"] for e in log if e["action"] == "vote_cast"] == [
        "rita",
        "rolf",
        "sara",
        "stefan",
    ]


def test_rejected_dissent_arge_and_head(c: Cli) -> None:
    for name in ("Nord", "Sued", "West"):
        c.ok(
            "selection",
            "nominate",
            f"2027-{name.lower()}",
            "--round",
            "2027",
            "--name",
            name,
            "--source",
            "sbh",
            "--reasons",
            "Nennung SBH",
            "--like",
            "2027-vorlage",
            user="anna",
        )
    assess_and_vote(c, "2027-nord", ["no", "no", "no", "no"])
    assert c.json("selection", "show", "2027-nord", user="anna")["state"] == "abgelehnt"
    assess_and_vote(c, "2027-sued", ["yes", "no", "yes", "yes"])
    assert c.json("selection", "show", "2027-sued", user="anna")["state"] == "arge"
    assert c.run("selection", "decide", "2027-sued", "reject", user="rita").exit_code == 3
    c.ok("selection", "decide", "2027-sued", "reject", user="arne")
    assert c.json("selection", "show", "2027-sued", user="anna")["state"] == "abgelehnt"
    assess_and_vote(c, "2027-west", ["yes", "no", "no", "yes"])
    r = c.run("selection", "decide", "2027-west", "dissent", user="arne")
    assert r.exit_code == 4 and "reason_required" in r.stderr
    c.ok("selection", "decide", "2027-west", "dissent", "--reason", "keine Einigung", user="arne")
    r = c.run("selection", "decide", "2027-west", "dissent", "--reason", "x", user="helga")
    assert r.exit_code == 4 and "wrong_state" in r.stderr
    c.ok("selection", "decide", "2027-west", "select", user="helga")
    assert c.json("area", "show", "west", user="anna")["state"] == "vorlauf"
    # fields, votes, decisions and areas made from candidates replay to the live tables
    assert c.json("audit", "verify", "--deep", user="anna")["problems"] == []


def test_assess_excludes_with_a_special_programme_and_checks_input(c: Cli) -> None:
    c.ok(
        "selection",
        "nominate",
        "2027-ost",
        "--round",
        "2027",
        "--name",
        "Ost",
        "--source",
        "bezirksausschuss",
        "--like",
        "2027-vorlage",
        user="anna",
    )
    r = c.run("selection", "assess", "2027-ost", "--special-programme", "yes", user="rita")
    assert r.exit_code == 2 and "--reason" in r.output
    r = c.ok("selection", "assess", "2027-ost", "--fits", "yes", user="rita")
    assert "still missing: gruende, stunden_pro_woche, dauer, sonderprogramm" in r.stdout
    r = c.ok(
        "selection",
        "assess",
        "2027-ost",
        "--hours",
        "8",
        "--duration",
        "1 Jahr",
        "--special-programme",
        "yes",
        "--reason",
        "Soziale Stadt läuft",
        user="sara",
    )
    assert "excluded" in r.stdout
    assert c.json("selection", "show", "2027-ost", user="anna")["state"] == "ausgeschlossen"
    assert c.run("selection", "assess", "2027-ost", "--hours", "99", user="rita").exit_code == 2
    assert c.run("selection", "vote", "2027-ost", "vielleicht", user="rita").exit_code == 2
    assert (
        c.run(
            "selection",
            "nominate",
            "x",
            "--round",
            "2027",
            "--name",
            "X",
            "--source",
            "zeitung",
            user="anna",
        ).exit_code
        == 2
    )
    assert (
        c.run(
            "selection",
            "nominate",
            "x",
            "--round",
            "2027",
            "--name",
            "X",
            "--source",
            "rags",
            user="rita",
        ).exit_code
        == 3
    )


@pytest.mark.parametrize(
    "command", ["nominate", "from-screen", "assess", "vote", "decide", "list", "show"]
)
def test_selection_help(c: Cli, command: str) -> None:
    r = c.ok("selection", command, "--help")
    assert "Example" in r.stdout
    assert all(len(line) <= 80 for line in r.stdout.splitlines())


LONG = "Moosach-Bahnhof und die Siedlungen an der Dachauer Straße bis zum Westfriedhof"


def _sample_with(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "monitoring.csv"
    text = SAMPLE.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _audit_entries(c: Cli) -> int:
    return len(c.json("log", user="anna"))


def test_from_screen_is_all_or_nothing_and_names_the_row(c: Cli, tmp_path: Path) -> None:
    path = _sample_with(tmp_path, "Moosach-Bahnhof", LONG)
    before = _audit_entries(c)
    for _attempt in range(2):  # a rerun meets the same clear error, not "exists already"
        r = c.run("selection", "from-screen", str(path), "--round", "2027", user="anna")
        assert r.exit_code == 7, r.output
        assert "row 9 (quarter 10.31" in r.stderr
        assert "longer than 64" in r.stderr and "exists already" not in r.stderr
        assert [x["candidate"] for x in c.json("selection", "list", user="anna")] == [
            "2027-vorlage"
        ]
        assert _audit_entries(c) == before
    # without that quarter the others are nominated, all at once
    r = c.ok(
        "selection", "from-screen", str(path), "--round", "2027",
        "--quarter", "24.11", "--quarter", "16.42", user="anna",
    )  # fmt: skip
    assert sorted(x["candidate"] for x in c.json("selection", "list", user="anna")) == [
        "2027-hasenbergl-nord",
        "2027-neuperlach-sued",
        "2027-vorlage",
    ]


def test_from_screen_checks_every_row_before_writing(c: Cli, tmp_path: Path) -> None:
    c.ok("area", "create", "moosach-bahnhof", "--name", "Moosach-Bahnhof", user="anna")
    before = _audit_entries(c)
    r = c.run("selection", "from-screen", str(SAMPLE), "--round", "2027", user="anna")
    assert r.exit_code == 7, r.output
    assert "row 9 (quarter 10.31" in r.stderr and "moosach-bahnhof" in r.stderr
    assert _audit_entries(c) == before
    # two quarters of one name would make one candidate twice
    path = _sample_with(tmp_path, "Neuperlach-Süd", "Hasenbergl-Nord")
    r = c.run(
        "selection", "from-screen", str(path), "--round", "2027",
        "--quarter", "24.11", "--quarter", "16.42", user="anna",
    )  # fmt: skip
    assert r.exit_code == 7, r.output
    assert "row 3 (quarter 16.42" in r.stderr and "row 2" in r.stderr
    assert _audit_entries(c) == before
