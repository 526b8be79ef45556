"""Selecting focus areas through the Python API alone, and the selection's
rules held by the engine: checked against the candidate's own workflow
version, each step one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from regsam_flow import BlockedError, Engine, InvalidInputError, NotAllowedError, NotFoundError
from regsam_flow.workflows import BUILTIN_DIR

from .cli_helpers import Cli
from .databases import raw_connection
from .test_selection import PANEL


@pytest.fixture
def c(engine: Engine, tmp_path: Path) -> Cli:
    for pid in PANEL:
        engine.add_person(pid, actor="root", name=pid.title(), email=f"{pid}@example.org")
    return Cli(engine.url, tmp_path / "home")


def deploy_variant(engine: Engine, folder: Path, change: Any) -> int:
    """Deploy the newest shipped gebietsauswahl, changed by ``change(data)``,
    as the next version; its number."""
    newest = max(
        (p for p in BUILTIN_DIR.glob("gebietsauswahl*.yaml")),
        key=lambda p: yaml.safe_load(p.read_text(encoding="utf-8"))["version"],
    )
    data = yaml.safe_load(newest.read_text(encoding="utf-8"))
    data["version"] = max(engine.workflows.versions("gebietsauswahl")) + 1
    change(data)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "gebietsauswahl.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    engine.deploy_workflow(path, actor="root")
    return int(data["version"])


def nominate(c: Cli, cand: str, name: str) -> None:
    c.ok(
        "selection", "nominate", cand, "--round", "2027", "--name", name,
        "--source", "rags", "--reasons", "Nennung RAGS",
    )  # fmt: skip
    for pid, role in PANEL.items():
        c.ok("area", "assign", cand, role, pid)


def fields_of(url: str, cand: str) -> dict[str, str]:
    with raw_connection(url) as con:
        rows = con.execute("SELECT field_id, value FROM fields WHERE area_id = ?", (cand,))
        return {r[0]: r[1] for r in rows}


ASSESSMENT = ["--fits", "yes", "--hours", "10", "--duration", "2 Jahre"]


@pytest.mark.sql("runs the CLI or reads the tables past the engine")
def test_assess_checks_the_fields_of_the_candidates_own_version(
    engine: Engine, c: Cli, tmp_path: Path
) -> None:
    nominate(c, "2027-alt", "Alt")  # on the version deployed now

    def more_required(data: dict[str, Any]) -> None:
        data["fields"].append(
            {"id": "kosten", "title": "Kosten", "roles": ["regsam_member"], "type": "int"}
        )
        bewerten = next(t for t in data["transitions"] if t["trigger"] == "bewerten")
        bewerten["requires"].append("kosten")

    newer = deploy_variant(engine, tmp_path / "v", more_required)
    assert engine.get_area("2027-alt", actor="root").workflow_version < newer
    r = c.ok(
        "selection", "assess", "2027-alt", *ASSESSMENT, "--special-programme", "no", user="rita"
    )
    assert "still missing" not in r.stdout
    assert c.json("selection", "show", "2027-alt")["state"] == "bewertet"


@pytest.mark.sql("runs the CLI or reads the tables past the engine")
def test_assess_is_one_transaction(engine: Engine, c: Cli, tmp_path: Path) -> None:
    def blocked(data: dict[str, Any]) -> None:
        nominiert = next(s for s in data["states"] if s["id"] == "nominiert")
        nominiert["tasks"] = [
            {"id": "vorgespraech", "title": "Vorgespräch", "roles": ["nominator"], "required": True}
        ]
        bewerten = next(t for t in data["transitions"] if t["trigger"] == "bewerten")
        bewerten["guards"] = ["required_tasks_done"]

    deploy_variant(engine, tmp_path / "v", blocked)
    nominate(c, "2027-neu", "Neu")
    before, head = fields_of(engine.url, "2027-neu"), engine.head()
    r = c.run(
        "selection", "assess", "2027-neu", *ASSESSMENT, "--special-programme", "no", user="rita"
    )
    assert r.exit_code == 4, r.output
    assert "vorgespraech" in r.stderr or "Vorgespräch" in r.stderr
    # nothing written: neither the fields nor their audit entry
    assert fields_of(engine.url, "2027-neu") == before
    assert "passt_zu_regsam" not in before
    assert engine.head() == head


# ------------------------------------------------- the Python API walk-through
SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "monitoring-sample.csv"


def test_a_selection_round_through_the_python_api(engine: Engine) -> None:
    from regsam_flow import Nomination
    from regsam_flow.engine.selection import slug
    from regsam_flow.screen import screen_file

    for pid in PANEL:
        engine.add_person(pid, actor="root", name=pid.title(), email=f"{pid}@example.org")
    panel = tuple((role, pid) for pid, role in PANEL.items())
    chosen = [q for q in screen_file(SAMPLE).qualifying][:3]
    assert len(chosen) == 3
    nominated = engine.nominate(
        [
            Nomination(
                f"2027-{slug(q.name)}",
                name=q.name,
                round="2027",
                source="monitoring",
                district=q.district,
                quarter=q.id,
                reasons=f"Monitoring 2027: {q.count} von 13 Werten",
                panel=panel,
            )
            for q in chosen
        ],
        actor="root",
    )
    ids = [c.id for c in nominated]
    assert [c.area for c in nominated] == [slug(q.name) for q in chosen]
    listed = engine.candidates(actor="root", round="2027")
    assert sorted((c.id, c.state, c.source) for c in listed) == [
        (i, "nominiert", "monitoring") for i in sorted(ids)
    ]
    assert engine.candidates(actor="root", round="2030") == []
    assert {c.id for c in engine.candidates(actor="rita")} == set(ids)  # she is on the panel

    # the assessment: in parts, then complete; the last part concludes it
    first = engine.assess(ids[0], actor="rita", fits=True, hours=10)
    assert first.result is None and first.missing == ("dauer", "sonderprogramm")
    for cand in ids:
        done = engine.assess(
            cand, actor="sara", fits=True, hours=10, duration="2 Jahre", special_programme=False
        )
        assert done.missing == () and done.result is not None
        assert done.result.to_state == "bewertet"

    def vote(cand: str, votes: list[bool]) -> Any:
        ballots = [
            engine.cast_vote(cand, yes, actor=pid) for pid, yes in zip(PANEL, votes, strict=False)
        ]
        assert [(b.cast, b.seats) for b in ballots] == [(1, 4), (2, 4), (3, 4), (4, 4)]
        assert [b.result is None for b in ballots] == [True, True, True, False]
        return ballots[-1].result

    # four yes: selected at once
    assert vote(ids[0], [True, True, True, True]).to_state == "ausgewaehlt"
    # dissent: the ARGE rejects
    assert vote(ids[1], [True, False, True, True]).to_state == "arge"
    with pytest.raises(NotAllowedError):
        engine.decide(ids[1], "reject", actor="rita")
    assert engine.decide(ids[1], "reject", actor="arne").to_state == "abgelehnt"
    # dissent remains: the head of the social department selects
    assert vote(ids[2], [False, True, False, True]).to_state == "arge"
    with pytest.raises(BlockedError):  # dissent needs a reason
        engine.decide(ids[2], "dissent", actor="arne")
    assert engine.decide(ids[2], "dissent", actor="arne", reason="keine Einigung").to_state == (
        "leitung"
    )
    with pytest.raises(BlockedError) as exc:
        engine.decide(ids[2], "dissent", actor="helga")
    assert [b.code for b in exc.value.blockers] == ["wrong_state"]
    assert engine.decide(ids[2], "select", actor="helga").to_state == "ausgewaehlt"

    states = {c.id: c.state for c in engine.candidates(actor="root")}
    assert states == {ids[0]: "ausgewaehlt", ids[1]: "abgelehnt", ids[2]: "ausgewaehlt"}
    for i in (0, 2):
        area = engine.get_area(slug(chosen[i].name), actor="root")
        assert (area.workflow, area.state) == ("schwerpunktgebiet", "vorlauf")
        agreement = engine.agreement(area.id, actor="root")
        assert agreement is not None and agreement.reasons.startswith("Monitoring 2027")
    with pytest.raises(NotFoundError):
        engine.get_area(slug(chosen[1].name), actor="root")
    assert engine.verify().ok


def test_nominate_is_all_or_nothing_and_for_admins(engine: Engine) -> None:
    from regsam_flow import Nomination

    engine.create_area("ost", actor="root", name="Ost")
    engine.add_person("rita", actor="root", name="Rita", email="rita@example.org")
    head = engine.head()
    new = [
        Nomination("2027-west", name="West", round="2027", source="rags"),
        Nomination("2027-ost", name="Ost", round="2027", source="rags", label="row 3"),
    ]
    with pytest.raises(InvalidInputError, match="row 3: an area 'ost' exists already"):
        engine.nominate(new, actor="root")
    with pytest.raises(NotAllowedError):
        engine.nominate(new[:1], actor="rita")
    with pytest.raises(InvalidInputError, match="quelle"):
        engine.nominate(
            [Nomination("2027-x", name="X", round="2027", source="zeitung")], actor="root"
        )
    assert engine.head() == head and engine.candidates(actor="root") == []


def test_the_shipped_versions_select_by_the_same_rules(engine: Engine) -> None:
    """Version 1 has no selection section: it runs on the defaults, which
    version 2 spells out."""
    v1, v2 = (engine.workflows.get("gebietsauswahl", v) for v in (1, 2))
    assert v1.definition.selection is None and v2.definition.selection is not None
    assert v1.selection == v2.selection
    assert v1.definition.states == v2.definition.states
    assert v1.definition.transitions == v2.definition.transitions


def test_the_cli_offers_the_sources_the_workflow_knows(engine: Engine) -> None:
    from regsam_flow.cli.selection_cmds import SOURCES

    for version in engine.workflows.versions("gebietsauswahl"):
        wf = engine.workflows.get("gebietsauswahl", version)
        assert wf.selection is not None
        assert list(wf.fields[wf.selection.fields.source].choices) == SOURCES


def test_a_selection_section_naming_unknown_things_is_refused(tmp_path: Path) -> None:
    from regsam_flow import InvalidWorkflowError
    from regsam_flow.workflows import load_workflow

    data = yaml.safe_load((BUILTIN_DIR / "gebietsauswahl.yaml").read_text(encoding="utf-8"))
    data["selection"] = {"decisions": {"arge": {"select": "leitung_auswaehlen"}}}
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidWorkflowError, match=r"selection\.decisions\.arge\.select"):
        load_workflow(path)
    data["selection"] = {"fields": {"round": "jahr"}}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        InvalidWorkflowError, match=r"selection\.fields\.round: unknown field 'jahr'"
    ):
        load_workflow(path)


def test_an_empty_selection_section_means_the_defaults() -> None:
    """The pydantic model's defaults are the records' (:class:`SelectionDef`)."""
    from regsam_flow.workflows import parse_workflow
    from regsam_flow.workflows.spec import SelectionDef

    text = (BUILTIN_DIR / "gebietsauswahl.yaml").read_text(encoding="utf-8")
    wf = parse_workflow(text.replace("version: 1\n", "version: 9\n") + "\nselection: {}\n")
    assert wf.definition.selection == SelectionDef()
