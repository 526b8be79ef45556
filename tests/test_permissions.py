"""Who may read and change what: global roles, roles per area."""

from __future__ import annotations

import pytest

from regsam_flow import Engine, InvalidInputError, NotAllowedError, NotFoundError


def test_unknown_user_is_refused(engine: Engine, area: str) -> None:
    with pytest.raises(NotAllowedError, match="unknown user 'mallory'"):
        engine.status(area, actor="mallory")
    with pytest.raises(NotAllowedError):
        engine.list_areas(actor="mallory")


def test_person_without_role_cannot_read_the_area(engine: Engine, area: str) -> None:
    engine.add_person("olga", actor="root", name="Olga Other", email="olga@example.org")
    # told what someone is told about an area that does not exist
    with pytest.raises(NotFoundError, match=f"^no area '{area}'$"):
        engine.status(area, actor="olga")
    with pytest.raises(NotFoundError, match=f"^no area '{area}'$"):
        engine.history(actor="olga", area=area)
    assert engine.list_areas(actor="olga") == []
    assert engine.history(actor="olga") == []


def test_history_of_a_member_shows_only_their_areas(engine: Engine, area: str) -> None:
    engine.create_area("neuperlach-sued", actor="root", name="Neuperlach-Süd")
    mine = {e.area for e in engine.history(actor="tom")}
    assert mine == {area}
    everything = {e.area for e in engine.history(actor="audrey")}
    assert {area, "neuperlach-sued", ""} <= everything


def test_auditor_reads_everything_and_changes_nothing(engine: Engine, area: str) -> None:
    assert engine.status(area, actor="audrey").area.id == area
    assert [a.id for a in engine.list_areas(actor="audrey")] == [area]
    before = engine.head()
    with pytest.raises(NotAllowedError):
        engine.set_agreement(area, actor="audrey", topic="x")
    with pytest.raises(NotAllowedError):
        engine.report_task(area, "schwerpunktziel", actor="audrey")
    with pytest.raises(NotAllowedError):
        engine.fire(area, "cancel", actor="audrey", reason="x")
    with pytest.raises(NotAllowedError):
        engine.assign(area, "provider", "audrey", actor="audrey")
    with pytest.raises(NotAllowedError):
        engine.add_person("x", actor="audrey", name="X", email="x@example.org")
    assert engine.head() == before


def test_only_admin_creates_areas_and_people(engine: Engine, area: str) -> None:
    with pytest.raises(NotAllowedError, match="only an admin"):
        engine.create_area("x", actor="mia", name="X")
    with pytest.raises(NotAllowedError, match="only an admin"):
        engine.add_person("x", actor="mia", name="X", email="x@example.org")


def test_moderation_assigns_only_steering_provider_sbh(engine: Engine, area: str) -> None:
    engine.add_person("paul", actor="root", name="Paul Partner", email="paul@example.org")
    engine.assign(area, "provider", "paul", actor="mia")
    engine.unassign(area, "provider", "paul", actor="mia")
    with pytest.raises(NotAllowedError, match="only an admin may assign social_planning"):
        engine.assign(area, "social_planning", "paul", actor="mia")
    with pytest.raises(NotAllowedError):
        engine.assign(area, "provider", "paul", actor="sven")  # social planning may not
    engine.assign(area, "social_planning", "paul", actor="root")
    assert engine.status(area, actor="paul").roles["social_planning"] == ["paul", "sven"]


def test_assignment_errors(engine: Engine, area: str) -> None:
    with pytest.raises(InvalidInputError, match="no role of workflow"):
        engine.assign(area, "mayor", "tom", actor="root")
    with pytest.raises(NotFoundError, match="no user 'nobody'"):
        engine.assign(area, "provider", "nobody", actor="root")
    with pytest.raises(InvalidInputError, match="already"):
        engine.assign(area, "provider", "tom", actor="root")
    with pytest.raises(NotFoundError, match="is not sbh"):
        engine.unassign(area, "sbh", "tom", actor="root")
    with pytest.raises(NotFoundError, match="no area 'atlantis'"):
        engine.assign("atlantis", "provider", "tom", actor="root")


def test_roles_are_per_area(engine: Engine, area: str) -> None:
    engine.create_area("neuperlach-sued", actor="root", name="Neuperlach-Süd")
    engine.assign("neuperlach-sued", "provider", "mia", actor="root")
    # mia moderates hasenbergl-nord but is only a provider in neuperlach-sued
    with pytest.raises(NotAllowedError):
        engine.fire("neuperlach-sued", "cancel", actor="mia", reason="x")
    with pytest.raises(NotAllowedError):
        engine.set_agreement("neuperlach-sued", actor="mia", topic="x")


def test_tasks_may_be_reported_only_by_their_roles(engine: Engine, area: str) -> None:
    with pytest.raises(NotAllowedError, match="social_planning"):
        engine.report_task(area, "datenmaterial", actor="mia")
    engine.report_task(area, "datenmaterial", actor="sven", note="Monitoring 2026")
    # moderation may reopen any task, with a reason
    engine.reopen_task(area, "datenmaterial", actor="mia", reason="Zahlen veraltet")
    with pytest.raises(NotAllowedError):
        engine.reopen_task(area, "datenmaterial", actor="tom", reason="x")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"email": "not-an-email"}, "not an email address"),
        ({"name": "  "}, "name must not be empty"),
        ({"name": "Zeile\nZwei"}, "control character or line break"),
    ],
)
def test_bad_person_input(engine: Engine, kwargs: dict[str, str], message: str) -> None:
    args = {"name": "Gül Öztürk", "email": "guel@example.org"} | kwargs
    with pytest.raises(InvalidInputError, match=message):
        engine.add_person("guel", actor="root", **args)
    with pytest.raises(InvalidInputError, match="not a valid id"):
        engine.add_person("Gül Öztürk", actor="root", name="Gül", email="g@example.org")
