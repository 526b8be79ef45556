"""The selection of areas: a second workflow on the same engine, store and log."""

from __future__ import annotations

import pytest

from regsam_flow import BlockedError, Engine, InvalidInputError, NotAllowedError

CAND = "auswahl-2027-hasenbergl-nord"
PANEL = {
    # person: role in the candidate instance
    "rita": "regsam_member",
    "rolf": "regsam_member",
    "sara": "social_planning_member",
    "stefan": "social_planning_member",
    "arne": "arge",
    "helga": "head",
}


@pytest.fixture
def cand(engine: Engine) -> str:
    for pid in PANEL:
        engine.add_person(pid, actor="root", name=pid.title(), email=f"{pid}@example.org")
    engine.create_area(
        CAND, actor="root", name="Hasenbergl-Nord", district="24", workflow="gebietsauswahl"
    )
    engine.assign(CAND, "nominator", "root", actor="root")
    for pid, role in PANEL.items():
        engine.assign(CAND, role, pid, actor="root")
    engine.set_fields(
        CAND,
        {
            "runde": "2027",
            "quelle": "monitoring",
            "gebiet": "hasenbergl-nord",
            "viertel": "24.11",
            "umgriff": "Hasenbergl-Nord, Viertel 24.11",
            "gruende": "Monitoring: 10 von 13 Werten über dem Mittel",
        },
        actor="root",
    )
    return CAND


def assess(engine: Engine, cand: str, special: bool = False) -> None:
    engine.set_fields(
        cand,
        {
            "passt_zu_regsam": "ja",
            "stunden_pro_woche": "10",
            "dauer": "2 Jahre",
            "sonderprogramm": "ja" if special else "nein",
        },
        actor="rita",
    )


def vote_all(engine: Engine, cand: str, votes: dict[str, bool]) -> None:
    for pid, yes in votes.items():
        engine.vote(cand, yes, actor=pid)


def state(engine: Engine, cand: str) -> str:
    return engine.get_area(cand, actor="root").state


def test_four_yes_selects_and_creates_the_focus_area(engine: Engine, cand: str) -> None:
    assess(engine, cand)
    engine.fire(cand, "bewerten", actor="sara")
    assert state(engine, cand) == "bewertet"
    results = [engine.vote(cand, True, actor=p) for p in ("rita", "rolf", "sara")]
    assert results == [None, None, None] and state(engine, cand) == "bewertet"
    r = engine.vote(cand, True, actor="stefan", reason="eindeutiger Bedarf")
    assert r is not None and (r.trigger, r.to_state) == ("auswaehlen", "ausgewaehlt")
    area = engine.get_area("hasenbergl-nord", actor="root")
    assert (area.workflow, area.state, area.name) == (
        "schwerpunktgebiet",
        "vorlauf",
        "Hasenbergl-Nord",
    )
    ag = engine.agreement("hasenbergl-nord", actor="root")
    assert ag is not None
    assert ag.scope == "Hasenbergl-Nord, Viertel 24.11"
    assert ag.reasons.startswith("Monitoring: 10 von 13")
    log = engine.history(actor="root")
    votes = [e for e in log if e.action == "vote_cast"]
    assert [(e.actor, e.role, e.to_dict()["details"]["vote"]) for e in votes] == [
        ("rita", "regsam_member", "yes"),
        ("rolf", "regsam_member", "yes"),
        ("sara", "social_planning_member", "yes"),
        ("stefan", "social_planning_member", "yes"),
    ]
    created = next(e for e in log if e.action == "area_created" and e.area == "hasenbergl-nord")
    assert created.to_dict()["details"]["origin"] == cand
    assert engine.verify().ok


def test_four_no_rejects(engine: Engine, cand: str) -> None:
    assess(engine, cand)
    engine.fire(cand, "bewerten", actor="rita")
    vote_all(engine, cand, {"rita": False, "rolf": False, "sara": False, "stefan": False})
    assert state(engine, cand) == "abgelehnt"
    assert engine.list_areas(actor="root", state="vorlauf") == []


@pytest.mark.parametrize(
    ("arge", "expected"), [("arge_auswaehlen", "ausgewaehlt"), ("arge_ablehnen", "abgelehnt")]
)
def test_dissent_then_arge_decides(engine: Engine, cand: str, arge: str, expected: str) -> None:
    assess(engine, cand)
    engine.fire(cand, "bewerten", actor="rita")
    vote_all(engine, cand, {"rita": True, "rolf": True, "sara": True, "stefan": False})
    assert state(engine, cand) == "arge"
    with pytest.raises(NotAllowedError):
        engine.fire(cand, arge, actor="rita")  # only the ARGE decides now
    engine.fire(cand, arge, actor="arne")
    assert state(engine, cand) == expected
    made = [a.id for a in engine.list_areas(actor="root") if a.workflow == "schwerpunktgebiet"]
    assert made == (["hasenbergl-nord"] if expected == "ausgewaehlt" else [])


@pytest.mark.parametrize(
    ("head", "expected"), [("leitung_auswaehlen", "ausgewaehlt"), ("leitung_ablehnen", "abgelehnt")]
)
def test_dissent_remains_then_head_decides(
    engine: Engine, cand: str, head: str, expected: str
) -> None:
    assess(engine, cand)
    engine.fire(cand, "bewerten", actor="rita")
    vote_all(engine, cand, {"rita": True, "rolf": False, "sara": True, "stefan": False})
    with pytest.raises(BlockedError) as exc:
        engine.fire(cand, "arge_dissens", actor="arne")
    assert [b.code for b in exc.value.blockers] == ["reason_required"]
    engine.fire(cand, "arge_dissens", actor="arne", reason="keine Einigung")
    assert state(engine, cand) == "leitung"
    with pytest.raises(NotAllowedError):
        engine.fire(cand, head, actor="arne")
    engine.fire(cand, head, actor="helga")
    assert state(engine, cand) == expected


def test_special_programme_excludes(engine: Engine, cand: str) -> None:
    assess(engine, cand, special=True)
    with pytest.raises(BlockedError) as exc:
        engine.fire(cand, "bewerten", actor="rita")
    assert [b.code for b in exc.value.blockers] == ["field_value"]
    assert "sonderprogramm" in exc.value.blockers[0].message
    engine.fire(cand, "ausschliessen", actor="rita", reason="Soziale Stadt läuft")
    assert state(engine, cand) == "ausgeschlossen"


def test_assessment_must_be_complete(engine: Engine, cand: str) -> None:
    engine.set_fields(cand, {"passt_zu_regsam": "ja"}, actor="sara")
    with pytest.raises(BlockedError) as exc:
        engine.fire(cand, "bewerten", actor="rita")
    assert [b.code for b in exc.value.blockers] == ["field_missing"] * 3
    why = {s.trigger: s for s in engine.why(cand, actor="rita")}
    assert not why["bewerten"].allowed


def test_votes_are_guarded(engine: Engine, cand: str) -> None:
    with pytest.raises(BlockedError) as exc:
        engine.vote(cand, True, actor="rita")
    assert exc.value.blockers[0].code == "no_vote"
    assess(engine, cand)
    engine.fire(cand, "bewerten", actor="rita")
    with pytest.raises(NotAllowedError, match="no seat"):
        engine.vote(cand, True, actor="arne")
    engine.vote(cand, True, actor="rita")
    before = engine.head()
    with pytest.raises(BlockedError) as exc:
        engine.vote(cand, False, actor="rita")
    assert exc.value.blockers[0].code == "voted"
    assert engine.head() == before
    with pytest.raises(NotAllowedError, match="follows from the vote"):
        engine.fire(cand, "auswaehlen", actor="rita")
    why = {s.trigger: s for s in engine.why(cand, actor="rita")}
    assert [b.code for b in why["auswaehlen"].blockers] == ["decided_by_vote"]
    assert [v.person for v in engine.votes(cand, actor="root")] == ["rita"]


def test_a_third_member_of_one_side_finds_the_seats_taken(engine: Engine, cand: str) -> None:
    engine.add_person("rudi", actor="root", name="Rudi", email="rudi@example.org")
    engine.assign(cand, "regsam_member", "rudi", actor="root")
    assess(engine, cand)
    engine.fire(cand, "bewerten", actor="rita")
    engine.vote(cand, True, actor="rita")
    engine.vote(cand, True, actor="rolf")
    with pytest.raises(BlockedError) as exc:
        engine.vote(cand, True, actor="rudi")
    assert exc.value.blockers[0].code == "seats_taken"


def test_field_input_is_checked(engine: Engine, cand: str) -> None:
    with pytest.raises(InvalidInputError, match="not a whole number"):
        engine.set_fields(cand, {"stunden_pro_woche": "zehn"}, actor="rita")
    with pytest.raises(InvalidInputError, match="not one of"):
        engine.set_fields(cand, {"quelle": "zeitung"}, actor="root")
    with pytest.raises(InvalidInputError, match="no field 'farbe'"):
        engine.set_fields(cand, {"farbe": "blau"}, actor="root")
    with pytest.raises(NotAllowedError, match="may not set 'quelle'"):
        engine.set_fields(cand, {"quelle": "rags"}, actor="rita")


def test_selected_area_id_must_be_free(engine: Engine, cand: str) -> None:
    engine.create_area("hasenbergl-nord", actor="root", name="schon da")
    assess(engine, cand)
    engine.fire(cand, "bewerten", actor="rita")
    vote_all(engine, cand, {"rita": True, "rolf": True, "sara": True})
    before = engine.head()
    with pytest.raises(BlockedError) as exc:
        engine.vote(cand, True, actor="stefan")
    assert exc.value.blockers[0].code == "area_exists"
    assert engine.head() == before and state(engine, cand) == "bewertet"


def test_create_areas_is_all_or_nothing(engine: Engine) -> None:
    from regsam_flow.errors import NotFoundError
    from regsam_flow.model import NewArea

    entries = len(engine.history(actor="root"))
    batch = [
        NewArea("a-1", "Erstes", workflow="gebietsauswahl", label="row 2"),
        NewArea("a-2", "Zweites", workflow="gebietsauswahl", members=(("arge", "nobody"),),
                label="row 3"),
    ]  # fmt: skip
    with pytest.raises(NotFoundError, match=r"^row 3: no user 'nobody'"):
        engine.create_areas(batch, actor="root")
    with pytest.raises(InvalidInputError, match=r"row 4: area 'a-1' is given twice \(as row 2\)"):
        engine.create_areas([batch[0], NewArea("a-1", "Noch", label="row 4")], actor="root")
    assert engine.list_areas(actor="root") == []
    assert len(engine.history(actor="root")) == entries
    made = engine.create_areas([batch[0], NewArea("a-2", "Zweites", label="row 3")], actor="root")
    assert [a.id for a in made] == ["a-1", "a-2"]
