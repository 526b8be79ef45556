"""The KG's catalogue of goals and measures: added, adopted at a recorded
meeting as numbered frozen versions (hashes in the audit log), changed and
adopted again, rated at evaluation; refusals with their codes."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from regsam_flow.engine import Engine
from regsam_flow.errors import BlockedError, InvalidInputError, NotAllowedError, NotFoundError
from regsam_flow.kg import KgFacts, Responsible, catalogue_json, catalogue_sha256

from .cli_helpers import Cli, setup_area, sign
from .conftest import REQUIRED_TASKS, report, sign_agreement

PAST = date(2026, 3, 12)


def _to_evaluation(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    for phase in ("vorlauf", "diagnose", "umsetzung"):
        report(engine, area, phase)
        engine.advance(area, actor="mia")
    assert engine.get_area(area, actor="mia").state == "auswertung"


def _blocked(call: object, code: str) -> BlockedError:
    assert callable(call)
    with pytest.raises(BlockedError) as err:
        call()
    assert [b.code for b in err.value.blockers] == [code]
    return err.value


def test_a_catalogue_adopted_changed_adopted_again_and_rated(engine: Engine, area: str) -> None:
    first = engine.record_meeting(
        area, actor="mia", held_on=PAST, place="ASZ", decisions=["Arbeitsweise"]
    )
    second = engine.record_meeting(
        area, actor="mia", held_on=PAST + timedelta(days=30), place="ASZ"
    )
    assert engine.kg_facts(area, actor="tom") == KgFacts()
    engine.add_goal(area, actor="mia", title="Treffpunkte für Ältere", description="Nord")
    engine.add_measure(
        area, 1, actor="mia", title="Seniorencafé", responsible=Responsible("role", "provider")
    )
    engine.add_measure(
        area, 1, actor="mia", title="Besuchsdienst", responsible=Responsible("person", "tom")
    )
    v1 = engine.adopt_catalogue(area, actor="mia", meeting=first.id)
    assert (v1.version, v1.meeting, v1.adopted_by) == (1, first.id, "mia")
    assert v1.sha256 == catalogue_sha256(catalogue_json(engine.goals(area, actor="mia")))
    facts = engine.kg_facts(area, actor="sabine")
    assert (facts.adopted_version, facts.changed_since_adoption) == (1, False)

    # a change makes the draft differ from the adopted version until adopted again
    engine.add_goal(area, actor="mia", title="Beratung im Quartier")
    engine.add_measure(
        area,
        2,
        actor="mia",
        title="Sprechstunde",
        responsible=Responsible("outside", "Sozialbürgerhaus Nord"),
    )
    facts = engine.kg_facts(area, actor="mia")
    assert (facts.adopted_version, facts.changed_since_adoption) == (1, True)
    assert [g.number for g in facts.goals] == [1, 2]
    v2 = engine.adopt_catalogue(area, actor="mia", meeting=second.id)
    assert (v2.version, engine.kg_facts(area, actor="mia").changed_since_adoption) == (2, False)

    versions = engine.catalogue_versions(area, actor="audrey")
    assert [(v.version, len(v.goals)) for v in versions] == [(1, 1), (2, 2)]
    assert versions[0].goals[0].measures[1].responsible == Responsible("person", "tom")
    assert versions[1].goals[1].measures[0].responsible.name == "Sozialbürgerhaus Nord"
    adopted = [
        e.to_dict()["details"]
        for e in engine.history(actor="audrey", area=area)
        if e.action == "catalogue_adopted"
    ]
    assert adopted == [
        {"version": 1, "meeting": first.id, "goals": 1, "sha256": v1.sha256},
        {"version": 2, "meeting": second.id, "goals": 2, "sha256": v2.sha256},
    ]

    # ratings: only in the evaluation phase, by moderation or social planning
    _blocked(
        lambda: engine.rate_goal(area, 1, actor="mia", rating="achieved", note="x"),
        "not_in_evaluation",
    )
    _to_evaluation(engine, area)
    with pytest.raises(NotAllowedError):
        engine.rate_goal(area, 1, actor="tom", rating="achieved", note="x")
    with pytest.raises(InvalidInputError) as err:
        engine.rate_goal(area, 1, actor="mia", rating="super", note="x")
    assert err.value.field == "rating"
    with pytest.raises(InvalidInputError) as err:
        engine.rate_goal(area, 1, actor="mia", rating="partly", note=" ")
    assert err.value.field == "note"
    with pytest.raises(NotFoundError, match="no goal 9"):
        engine.rate_goal(area, 9, actor="mia", rating="partly", note="x")
    rated = engine.rate_goal(area, 1, actor="mia", rating="partly", note="Café ja, Besuche nein")
    assert (rated.rating, rated.rating_note, rated.rated_by) == (
        "partly",
        "Café ja, Besuche nein",
        "mia",
    )
    engine.rate_goal(area, 2, actor="sven", rating="achieved", note="läuft")
    goals = engine.goals(area, actor="tom")
    assert [(g.rating, g.rated_by) for g in goals] == [("partly", "mia"), ("achieved", "sven")]
    # a rating changes no adopted version and makes no change to adopt
    assert engine.kg_facts(area, actor="mia").changed_since_adoption is False
    assert [
        e.action for e in engine.history(actor="audrey", area=area) if e.action == "goal_rated"
    ] == [
        "goal_rated",
        "goal_rated",
    ]


def test_adopting_is_refused_at_a_planned_or_unknown_meeting_and_when_unchanged(
    engine: Engine, area: str
) -> None:
    planned = engine.record_meeting(
        area, actor="mia", held_on=date.today() + timedelta(days=30), place="ASZ", planned=True
    )
    held = engine.record_meeting(area, actor="mia", held_on=PAST, place="ASZ")
    _blocked(lambda: engine.adopt_catalogue(area, actor="mia", meeting=held.id), "catalogue_empty")
    engine.add_goal(area, actor="mia", title="Ziel")
    version = engine.get_area(area, actor="mia").version
    _blocked(
        lambda: engine.adopt_catalogue(area, actor="mia", meeting=planned.id), "meeting_planned"
    )
    with pytest.raises(NotFoundError, match="no meeting 999"):
        engine.adopt_catalogue(area, actor="mia", meeting=999)
    with pytest.raises(NotAllowedError):
        engine.adopt_catalogue(area, actor="sven", meeting=held.id)
    assert engine.catalogue_versions(area, actor="mia") == []
    assert engine.get_area(area, actor="mia").version == version
    engine.adopt_catalogue(area, actor="mia", meeting=held.id)
    _blocked(
        lambda: engine.adopt_catalogue(area, actor="mia", meeting=held.id), "catalogue_unchanged"
    )


def test_measures_name_a_responsible_of_the_area(engine: Engine, area: str) -> None:
    engine.add_person("eve", actor="root", name="Eve", email="eve@example.org")
    engine.add_goal(area, actor="mia", title="Ziel")
    for who, words in (
        (Responsible("role", "mayor"), "no role of schwerpunktgebiet"),
        (Responsible("person", "eve"), "holds no role in area"),
        (Responsible("outside", ""), "must not be empty"),
        (Responsible("club", "x"), "not one of role, person, outside"),
    ):
        with pytest.raises(InvalidInputError, match=words) as err:
            engine.add_measure(area, 1, actor="mia", title="M", responsible=who)
        assert err.value.field == "responsible"
    with pytest.raises(NotFoundError, match="no goal 2"):
        engine.add_measure(area, 2, actor="mia", title="M", responsible=Responsible("role", "sbh"))
    with pytest.raises(NotAllowedError):
        engine.add_goal(area, actor="sven", title="Ziel")
    with pytest.raises(NotFoundError, match=f"no area '{area}'"):
        engine.goals(area, actor="eve")
    assert engine.goals(area, actor="tom")[0].measures == ()


def test_a_final_area_refuses_every_change_to_the_catalogue(engine: Engine, area: str) -> None:
    m = engine.record_meeting(area, actor="mia", held_on=PAST, place="ASZ")
    engine.add_goal(area, actor="mia", title="Ziel")
    engine.fire(area, "cancel", actor="mia", reason="Träger fehlt")
    for call in (
        lambda: engine.add_goal(area, actor="mia", title="Noch eins"),
        lambda: engine.adopt_catalogue(area, actor="mia", meeting=m.id),
        lambda: engine.record_meeting(area, actor="mia", held_on=PAST, place="ASZ"),
    ):
        _blocked(call, "area_final")


# ------------------------------------------------------------------ the CLI
@pytest.fixture
def c(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path / "home")


def test_cli_catalogue_walk(c: Cli) -> None:
    area = setup_area(c)
    c.ok("kg", "meeting", "add", area, "--date", "12.03.2026", "--place", "ASZ", user="mia")
    c.ok("kg", "goal", "add", area, "--title", "Treffpunkte", user="mia")
    r = c.ok("kg", "measure", "add", area, "1", "--title", "Café", "--role", "provider", user="mia")
    assert "(role provider)" in r.output
    r = c.run("kg", "measure", "add", area, "1", "--title", "x", "--role", "a", "--person", "b")
    assert r.exit_code == 2 and "exactly one of --role, --person or --outside" in r.output
    r = c.run("kg", "adopt", area, "--meeting", "5", user="mia")
    assert r.exit_code == 6 and "no meeting 5" in r.output
    v1 = c.json("kg", "adopt", area, "--meeting", "1", user="mia")
    assert v1["version"] == 1 and v1["goals"][0]["measures"][0]["title"] == "Café"
    r = c.run("kg", "adopt", area, "--meeting", "1", user="mia")
    assert r.exit_code == 4 and "catalogue_unchanged" in r.output
    c.ok("kg", "goal", "add", area, "--title", "Beratung", user="mia")
    c.ok("kg", "measure", "add", area, "2", "--title", "Sprechstunde", "--outside", "SBH Nord",
         user="mia")  # fmt: skip
    shown = c.json("kg", "catalogue", area, user="tom")
    assert (shown["adopted_version"], shown["changed_since_adoption"]) == (1, True)
    assert "adopt it again" in c.ok("kg", "catalogue", area, user="tom").output
    c.ok("kg", "adopt", area, "--meeting", "1", user="mia")
    shown = c.json("kg", "catalogue", area, "--version", "1", user="audrey")
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert shown["catalogue"]["version"] == 1 and len(shown["catalogue"]["goals"]) == 1
    assert shown["changed_since_adoption"] is False
    r = c.run("kg", "catalogue", area, "--version", "3", user="mia")
    assert r.exit_code == 6
    goals = c.json("kg", "goal", "list", area, user="sabine")
    assert [g["title"] for g in goals] == ["Treffpunkte", "Beratung"]
    log = json.loads(c.ok("--json", "log", area, user="audrey").stdout)
    hashes = [e["details"]["sha256"] for e in log if e["action"] == "catalogue_adopted"]
    assert hashes == [v["sha256"] for v in shown["versions"]]
    r = c.run("kg", "rate", area, "1", "--rating", "achieved", "--note", "gut", user="mia")
    assert r.exit_code == 4 and "not_in_evaluation" in r.output
    sign(c, area)
    for phase in ("vorlauf", "diagnose", "umsetzung"):
        for task, who in REQUIRED_TASKS[phase]:
            c.ok("task", "done", area, task, user=who)
        c.ok("advance", area, user="mia")
    r = c.run("kg", "rate", area, "1", "--rating", "super", "--note", "x", user="mia")
    assert r.exit_code == 2
    r = c.ok("kg", "rate", area, "1", "--rating", "partly", "--note", "halb", user="sven")
    assert "Goal 1 of hasenbergl-nord rated partly." in r.output
    assert c.json("kg", "goal", "list", area)[0]["rating"] == "partly"
