"""The README's examples run as written, and the output it quotes is what
the commands print.

The README quotes output in ``console`` blocks: ``$ COMMAND`` lines (a line
ending in ``\\`` goes on), each followed by what the command prints, stdout
and stderr as a terminal shows them, in German (the scripts run with
``REGSAM_FLOW_LANG=de``, whatever language the test session uses) at 80
columns.  ``…`` stands for a part that depends on the day the command runs
(days left, times, hashes).  A command expected to fail says so in a
comment, ``# exit code N``; any other must succeed.  A section's script is
its ``sh`` blocks and the commands of its ``console`` blocks, in order.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_example(name: str) -> str:
    """The README's Python block marked ``<!-- NAME-example -->``."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name}-example -->\n```python\n(.*?)```", text, re.S)
    assert match, f"README lost its {name} example"
    return match.group(1)


def run_bash(script: str, tmp_path: Path, *, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a README shell script with bash -e, this Python's regsam-flow
    first on the PATH, a home and data folder of the test's own, in German
    (the language of the output the README quotes)."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "REGSAM_FLOW_HOME": str(tmp_path / "data"),
        "LANG": "C.UTF-8",
        "REGSAM_FLOW_LANG": "de",
    }
    return subprocess.run(
        ["bash", "-e", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def test_embedding_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run twice in the same folder: the second run starts afresh too."""
    monkeypatch.chdir(tmp_path)
    for _run in range(2):
        exec(compile(python_example("embedding"), "README.md", "exec"), {})
        out = capsys.readouterr().out
        assert "agreement_missing - no cooperation agreement yet" in out
        assert "moved: hasenbergl-nord diagnose" in out
        assert "audit head: 19:" in out  # the same entries each time
        assert os.path.exists(tmp_path / "regsam-example.db")


BLOCK = re.compile(r"```(sh|console)\n(.*?)```", re.S)
MARK = "@@readme-transcript"


def transcripts(block: str) -> list[tuple[str, str]]:
    """The (command, quoted output) pairs of a ``console`` block."""
    pairs: list[tuple[list[str], list[str]]] = []
    continued = False
    for line in block.splitlines():
        if continued or line.startswith("$ "):
            if not continued:
                pairs.append(([], []))
            pairs[-1][0].append(line if continued else line[2:])
            continued = line.endswith("\\")
        else:
            assert pairs, f"console block output before its command: {line!r}"
            pairs[-1][1].append(line)
    return [("\n".join(cmd), "\n".join(out)) for cmd, out in pairs]


def section_script(section: str) -> tuple[str, list[tuple[str, str]]]:
    """The section's script (``sh`` blocks as written, each quoted command
    between markers recording its output and exit code) and its quotes."""
    parts: list[str] = []
    quotes: list[tuple[str, str]] = []
    for kind, body in BLOCK.findall(section):
        if kind == "sh":
            parts.append(body)
            continue
        for command, output in transcripts(body):
            n = len(quotes)
            quotes.append((command, output))
            parts.append(
                f"echo {MARK} {n}\nset +e\n{{\n{command}\n}} 2>&1\necho {MARK} {n} rc $?\nset -e\n"
            )
    return "\n".join(parts), quotes


def expected_rc(command: str) -> int:
    match = re.search(r"# exit code (\d+)", command)
    return int(match.group(1)) if match else 0


def assert_quotes_hold(stdout: str, quotes: list[tuple[str, str]]) -> None:
    """Each quoted output is exactly what its command printed (``…`` any
    text within a line), with the exit code the README gives."""
    for n, (command, quoted) in enumerate(quotes):
        match = re.search(rf"^{MARK} {n}\n(.*?){MARK} {n} rc (\d+)$", stdout, re.S | re.M)
        assert match, f"README command did not run: {command}"
        printed = "\n".join(line.rstrip() for line in match.group(1).splitlines())
        pattern = ".*".join(re.escape(part) for part in quoted.rstrip().split("…"))
        assert re.fullmatch(pattern, printed.rstrip()), (
            f"README quotes for `{command}`:\n{quoted}\n--- but it printed:\n{printed}"
        )
        assert int(match.group(2)) == expected_rc(command), (command, match.group(2))


def readme_section(start: str, end: str = "\n## ") -> str:
    text = README.read_text(encoding="utf-8")
    return text.split(start, 1)[1].split(end, 1)[0]


MODERATOR = ("## The command line", "### Exit codes")
KG_WALK = ("## KG walk-through", "\n## ")
SELECTION = ("## Selecting focus areas", "\n## ")


def moderator_script() -> str:
    return section_script(readme_section(*MODERATOR))[0]


def test_every_quote_is_checked() -> None:
    """Output is quoted (``console`` blocks) only where a test below runs it,
    and none of it is the English output."""
    text = README.read_text(encoding="utf-8")
    checked = [readme_section(*s) for s in (MODERATOR, KG_WALK, SELECTION)]
    quoted = sum(len(transcripts(b)) for k, b in BLOCK.findall(text) if k == "console")
    assert quoted == sum(len(section_script(s)[1]) for s in checked)
    assert all(
        not re.search(r"\b(error|blocked|no area)\b", q)
        for s in checked
        for _, q in section_script(s)[1]
    )


def test_quotes_are_compared() -> None:
    """The comparison fails on a quote that is not what was printed."""
    printed = f"{MARK} 0\nFehler: Kein Gebiet 'x'\n{MARK} 0 rc 6\n"
    assert_quotes_hold(
        printed, [("regsam-flow area show x  # exit code 6", "Fehler: Kein Gebiet …")]
    )
    with pytest.raises(AssertionError):
        assert_quotes_hold(
            printed, [("regsam-flow area show x  # exit code 6", "error: no area 'x'")]
        )
    with pytest.raises(AssertionError):
        assert_quotes_hold(printed, [("regsam-flow area show x", "Fehler: Kein Gebiet 'x'")])


def test_moderator_walkthrough_runs(tmp_path: Path) -> None:
    """The README's command-line walk-through, run as written by bash; the
    output it quotes (a blocked advance, why, inbox, area list, reminders
    ...) is the German the commands print."""
    script, quotes = section_script(readme_section(*MODERATOR))
    assert "regsam-flow advance hasenbergl-nord" in script
    assert any(expected_rc(c) == 4 for c, _ in quotes)  # a blocked advance is quoted
    r = run_bash(script, tmp_path, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert_quotes_hold(r.stdout, quotes)
    assert "vorlauf -> diagnose" in r.stdout
    assert "OK:" in r.stdout  # audit verify against the head kept in heads.txt


@pytest.mark.parametrize("after_moderator", [False, True], ids=["alone", "after-moderator"])
def test_selection_walkthrough_runs(tmp_path: Path, after_moderator: bool) -> None:
    """The README's selection section as written (the screen, then the round,
    which adds the people it uses), alone and after the moderator's
    walk-through in the same shell; the output it quotes is what is printed."""
    script, quotes = section_script(readme_section(*SELECTION))
    assert "regsam-flow selection nominate" in script
    script = f"echo {MARK} selection\n{script}"
    if after_moderator:
        script = f"cd {tmp_path}\n{moderator_script()}\ncd {README.parent}\n{script}"
    r = run_bash(script, tmp_path, cwd=README.parent)
    assert r.returncode == 0, r.stdout + r.stderr
    assert_quotes_hold(r.stdout.rsplit(f"{MARK} selection", 1)[1], quotes)
    assert "arge -> ausgewaehlt" in r.stdout
    assert "vorlauf" in r.stdout  # area show of the new focus area


def test_selection_api_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's selection round through the Python API, as written."""
    sample = README.parent / "docs" / "examples" / "monitoring-sample.csv"
    (tmp_path / "docs" / "examples").mkdir(parents=True)
    (tmp_path / "docs" / "examples" / "monitoring-sample.csv").write_bytes(sample.read_bytes())
    monkeypatch.chdir(tmp_path)
    exec(compile(python_example("selection"), "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "() bewertet"
    assert out[1:5] == ["1 of 4 None", "2 of 4 None", "3 of 4 None", "4 of 4 arge"]
    assert "2027-24.11 ausgewaehlt hasenbergl-nord" in out
    assert out[-1] == "vorlauf"


def setup_lines(area: str, name: str, people: dict[str, str]) -> list[str]:
    """Commands making a database (admin anna), the people (person -> their
    role in the area; "" for an auditor) and the area with their roles."""
    return [
        "regsam-flow init --admin anna",
        *(
            f"regsam-flow --as anna user add {p} --name {p.title()} --email {p}@example.org"
            + ("" if role else " --auditor")
            for p, role in people.items()
        ),
        f"regsam-flow --as anna area create {area} --name {name}",
        *(
            f"regsam-flow --as anna area assign {area} {role} {p}"
            for p, role in people.items()
            if role
        ),
    ]


def test_kg_walkthrough_runs(tmp_path: Path) -> None:
    """The README's KG walk-through, run by bash after the people and the area it uses."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## The Kooperationsgremium (KG)", 1)[1].split("\n## ", 1)[0]
    script = "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))
    assert "regsam-flow kg adopt hasenbergl-nord" in script
    people = {"mia": "moderation", "tom": "provider", "audrey": ""}
    preamble = "\n".join([*setup_lines("hasenbergl-nord", "Hasenbergl-Nord", people), ""])
    r = run_bash(preamble + script, tmp_path, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Katalogversion 2 von hasenbergl-nord in Sitzung 1 beschlossen" in r.stdout
    assert "Der Katalog hat sich seit Version 1 geändert: Beschließen Sie ihn neu." in r.stdout
    assert (tmp_path / "kg-1" / "liste.txt").read_text() == "Anwesenheitsliste\n"
    assert "Arbeitsauftrag 1 von hasenbergl-nord: in Arbeit." in r.stdout
    assert (
        "Empfehlung 2 von hasenbergl-nord an Baureferat (extern), fällig am 30.06.2026." in r.stdout
    )
    assert "Fehlende Ressource 1 von hasenbergl-nord festgehalten." in r.stdout
    assert "1. Streetwork für Jugendliche (0,5 Stellen)" in r.stdout


def test_kg_full_walkthrough_runs(tmp_path: Path) -> None:
    """The README's KG walk-through on version 2, run by bash after the
    people and an area in diagnose; it ends with the area closed, and the
    output it quotes is the German the commands print."""
    script, quotes = section_script(readme_section(*KG_WALK))
    assert "regsam-flow dossier am-hart --final" in script
    people = {"mia": "moderation", "sven": "social_planning", "tom": "provider", "audrey": ""}
    vorlauf = [("schwerpunktziel", "mia"), ("partner_traeger", "mia"), ("kommunikation", "mia")]
    vorlauf += [("partner_verwaltung", "sven"), ("datenmaterial", "sven")]
    preamble = "\n".join(
        [
            *setup_lines("am-hart", "'Am Hart'", people),
            "regsam-flow --as mia agreement set am-hart --topic Jugend --scope 'Am Hart' "
            "--reasons Monitoring --duration '2 Jahre' --start 15.01.2026 --review 15.07.2026",
            "regsam-flow --as mia agreement sign am-hart",
            "regsam-flow --as sven agreement sign am-hart",
            *(f"regsam-flow --as {who} task done am-hart {task}" for task, who in vorlauf),
            "regsam-flow --as mia advance am-hart",
            "echo WALK",
            "",
        ]
    )
    r = run_bash(preamble + script, tmp_path, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout.split("WALK", 1)[1]
    assert "catalogue_not_adopted: " in out and "documentation_missing: " in out
    assert "diagnose -> umsetzung" in out and "umsetzung -> auswertung" in out
    assert "Arbeitsauftrag 1 von am-hart: erledigt." in out
    assert "OK: abschluss-am-hart.html ist die Abschlussdokumentation von am-hart" in out
    assert "auswertung -> abgeschlossen" in out
    assert "Katalog:                Version 1 beschlossen, unverändert" in out
    assert "Arbeitsaufträge:        0 offen (0 überfällig), 1 erledigt, 0 abgelehnt" in out
    assert (tmp_path / "abschluss-am-hart.html").exists()
    assert_quotes_hold(out, quotes)
