"""The architecture's rules that a test can hold: the core imports no
infrastructure, and the composition root is how engines are made."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import regsam_flow
import regsam_flow.engine
from regsam_flow import bootstrap
from regsam_flow.engine import Engine as CoreEngine

from .import_rules import (
    PACKAGE,
    check,
    check_file,
    core_files,
    engines_made,
    front_end_files,
)


def test_the_core_imports_no_infrastructure() -> None:
    problems = check()
    assert not problems, "the core must not import infrastructure:\n" + "\n".join(
        str(v) for v in problems
    )


def test_the_rule_covers_the_engine_and_the_core_modules() -> None:
    files = {p.relative_to(PACKAGE).as_posix() for p in core_files()}
    assert {"engine/context.py", "engine/reminders.py", "ports.py", "model.py"} <= files
    assert all((PACKAGE / f).is_file() for f in files)


def test_the_checker_catches_a_planted_lazy_import(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import logging\n"
        "from ..model import Area\n"
        "\n"
        "def notifier():\n"
        "    from ..notifications import notifier_from_env\n"
        "    return notifier_from_env\n"
        "\n"
        "class Store:\n"
        "    def open(self):\n"
        "        import sqlalchemy.orm\n"
        "        from .. import persistence\n"
        "        import importlib\n"
        "        return importlib.import_module('smtplib')\n",
        encoding="utf-8",
    )
    found = check_file(planted, package="regsam_flow.engine")
    assert [(v.line, v.module) for v in found] == [
        (5, "regsam_flow.notifications"),
        (10, "sqlalchemy.orm"),
        (11, "regsam_flow.persistence"),
        (13, "smtplib"),
    ]  # logging and ..model are allowed
    shown = [str(v) for v in found]
    assert f"{planted}:5: imports regsam_flow.notifications" in shown
    assert any(s.startswith(f"{planted}:10: imports sqlalchemy") for s in shown)
    assert f"{planted}:11: imports regsam_flow.persistence" in shown
    assert f"{planted}:13: imports smtplib" in shown


# ----------------------------------------------------------- composition root
def test_the_public_engine_is_the_roots_on_the_core(tmp_path: Path) -> None:
    assert regsam_flow.Engine is bootstrap.Engine
    assert issubclass(regsam_flow.Engine, CoreEngine)
    e = regsam_flow.open_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        assert isinstance(e, regsam_flow.Engine)
        assert e.url == f"sqlite:///{tmp_path / 'x.db'}"
    finally:
        e.close()


def test_the_root_defaults_to_the_data_folder_and_the_mail_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regsam_flow.notifications import MailNotifier

    monkeypatch.setenv("REGSAM_FLOW_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("REGSAM_FLOW_SMTP_URL", raising=False)
    e = regsam_flow.Engine()
    try:
        assert e.url == f"sqlite:///{tmp_path / 'home' / 'regsam-flow.db'}"
        assert isinstance(e.notifier, MailNotifier)  # a Maildir in the data folder
    finally:
        e.close()


@pytest.mark.parametrize(
    ("value", "bound"), [("yes", True), ("1", True), ("", False), ("0", False)]
)
def test_open_engine_reads_bind_login_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, bound: bool
) -> None:
    monkeypatch.setenv("REGSAM_FLOW_BIND_LOGIN", value)
    e = bootstrap.open_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        assert e.bind_login is bound
    finally:
        e.close()


def test_the_command_line_opens_its_engine_through_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regsam_flow.cli import cli

    opened: list[str | None] = []
    real = bootstrap.open_engine

    def spy(url: str | None = None, **options: object) -> regsam_flow.Engine:
        opened.append(url)
        return real(url, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(bootstrap, "open_engine", spy)
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"REGSAM_FLOW_HOME": str(tmp_path), "REGSAM_FLOW_BIND_LOGIN": None}
    args = ["--db", db, "init", "--admin", "root", "--name", "Root", "--email", "r@x.example"]
    r = CliRunner().invoke(cli, args, env=env)
    assert r.exit_code == 0, r.output
    assert opened == [db]


def test_front_ends_make_no_engine_or_adapter_themselves() -> None:
    made = [v for path in front_end_files() for v in engines_made(path)]
    assert not made, "front ends open engines with bootstrap.open_engine:\n" + "\n".join(
        str(v) for v in made
    )


# ------------------------------------------------------- the engine: a facade
#: Every public method of the engine before it became a facade, with its
#: signature then (as ``inspect.signature`` prints it; ``fire`` without the
#: private keywords it took for the engine's own use).
PUBLIC_METHODS = {
    "add_person": (
        "(self, person_id: 'str', *, actor: 'str', name: 'str', email: 'str', org: 'str' "
        "= '', admin: 'bool' = False, auditor: 'bool' = False) -> 'Person'"
    ),
    "advance": (
        "(self, area_id: 'str', *, actor: 'str', reason: 'str' = '', expected_version: "
        "'int | None' = None) -> 'FireResult'"
    ),
    "agreement": (
        "(self, area_id: 'str', *, actor: 'str', version: 'int | None' = None) -> "
        "'Agreement | None'"
    ),
    "agreement_history": "(self, area_id: 'str', *, actor: 'str') -> 'list[Agreement]'",
    # dates and times as objects or text since issue 12 (as_of, history, send_due,
    # record_meeting, issue_order)
    "as_of": (
        "(self, area_id: 'str', when: 'datetime | date | str', *, actor: 'str') -> 'AreaSnapshot'"
    ),
    "assess": (
        "(self, candidate: 'str', *, actor: 'str', fits: 'bool | str | None' = None, "
        "hours: 'int | str | None' = None, duration: 'str | None' = None, "
        "special_programme: 'bool | str | None' = None, reason: 'str' = '') -> "
        "'Assessment'"
    ),
    "assign": (
        "(self, area_id: 'str', role: 'str', person_id: 'str', *, actor: 'str', "
        "expected_version: 'int | None' = None) -> 'None'"
    ),
    "candidates": "(self, *, actor: 'str', round: 'str | None' = None) -> 'list[Candidate]'",
    "cast_vote": (
        "(self, area_id: 'str', yes: 'bool', *, actor: 'str', reason: 'str' = '', role: "
        "'str | None' = None) -> 'Ballot'"
    ),
    "close": "(self) -> 'None'",
    "create_area": (
        "(self, area_id: 'str', *, actor: 'str', name: 'str', district: 'str' = '', "
        "workflow: 'str' = 'schwerpunktgebiet', agreement: 'Mapping[str, Any] | None' = "
        "None, members: 'Sequence[tuple[str, str]]' = (), fields: 'Mapping[str, Any] | "
        "None' = None, workflow_version: 'int | None' = None) -> 'Area'"
    ),
    "create_areas": "(self, areas: 'Sequence[NewArea]', *, actor: 'str') -> 'list[Area]'",
    "decide": (
        "(self, candidate: 'str', decision: 'str', *, actor: 'str', reason: 'str' = '') "
        "-> 'FireResult'"
    ),
    "deploy_workflow": "(self, path: 'Path | str', *, actor: 'str') -> 'tuple[Workflow, bool]'",
    "deploy_workflow_text": (
        "(self, text: 'str', *, source: 'str', actor: 'str') -> 'tuple[Workflow, bool]'"
    ),
    "dossier": "(self, area_id: 'str', *, actor: 'str') -> 'Dossier'",
    "export_audit": "(self, write: 'Callable[[str], object]', *, actor: 'str') -> 'AuditHead'",
    "fields": "(self, area_id: 'str', *, actor: 'str') -> 'dict[str, Any]'",
    "fire": (
        "(self, area_id: 'str', trigger: 'str', *, actor: 'str', reason: 'str' = '', "
        "role: 'str | None' = None, expected_version: 'int | None' = None) -> "
        "'FireResult'"
    ),
    "get_area": "(self, area_id: 'str', *, actor: 'str') -> 'Area'",
    "get_person": "(self, person_id: 'str', *, actor: 'str') -> 'Person'",
    "head": "(self, *, actor: 'str | None' = None) -> 'AuditHead'",
    # for monitoring (regsam-flow health; the scheduler records its passes)
    "health": "(self, max_age: 'float | None' = None) -> 'Health'",
    "history": (
        "(self, *, actor: 'str', area: 'str | None' = None, since: 'datetime | date | str "
        "| None' = None, until: 'datetime | date | str | None' = None, by: 'str | None' = "
        "None) -> "
        "'list[AuditEntry]'"
    ),
    "init": (
        "(self, admin: 'str | None' = None, *, name: 'str' = '', email: 'str' = '', "
        "actor: 'str | None' = None, only_first: 'bool' = False) -> 'bool'"
    ),
    "kg_mails": (
        "(self, *, actor: 'str', area: 'str | None' = None, status: 'str | None' = None) "
        "-> 'list[KgMessage]'"
    ),
    "list_areas": "(self, *, actor: 'str', state: 'str | None' = None) -> 'list[Area]'",
    "list_people": "(self, *, actor: 'str') -> 'list[Person]'",
    "migrate_area": (
        "(self, area_id: 'str', to_version: 'int', *, actor: 'str', dry_run: 'bool' = "
        "False, reason: 'str' = '', workflow: 'str | None' = None, expected_version: "
        "'int | None' = None) -> 'MigrationPlan'"
    ),
    "next_reminder_at": "(self) -> 'datetime | None'",
    "nominate": (
        "(self, nominations: 'Sequence[Nomination]', *, actor: 'str', like: 'str | None' "
        "= None) -> 'list[Candidate]'"
    ),
    "nomination_fields": "(self, nomination: 'Nomination') -> 'dict[str, Any]'",
    "on": "(self, kind: 'str', callback: 'Callable[[ChangeEvent], None]') -> 'None'",
    "promote": (
        "(self, person_id: 'str', *, actor: 'str', admin: 'bool' = False, auditor: 'bool'"
        " = False) -> 'Person'"
    ),
    "register_guard": "(self, name: 'str', guard: 'Guard') -> 'None'",
    "record_scheduler_pass": "(self, worker: 'str', poll_seconds: 'float') -> 'SchedulerPass'",
    "reminders": (
        "(self, *, actor: 'str', area: 'str | None' = None, status: 'str | None' = None) "
        "-> 'list[Reminder]'"
    ),
    "reopen_task": (
        "(self, area_id: 'str', task_id: 'str', *, actor: 'str', reason: 'str', "
        "expected_version: 'int | None' = None) -> 'TaskStatus'"
    ),
    "report_task": (
        "(self, area_id: 'str', task_id: 'str', *, actor: 'str', note: 'str' = '', "
        "expected_version: 'int | None' = None) -> 'TaskStatus'"
    ),
    "retry_reminder": "(self, reminder_id: 'int', *, actor: 'str') -> 'Reminder'",
    "review": (
        "(self, area_id: 'str', *, actor: 'str', decision: 'str', next_review: 'date | "
        "str | None' = None, reason: 'str' = '', expected_version: 'int | None' = None) "
        "-> 'None'"
    ),
    "schema_sql": "(self) -> 'str'",
    "schema_status": "(self) -> 'tuple[str | None, str]'",
    "send_due": (
        "(self, now: 'datetime | str | None' = None, *, worker: 'str | None' = None, limit: "
        "'int' = 200, actor: 'str | None' = None, dry_run: 'bool' = False, every: "
        "'float | None' = None) -> 'SendReport'"
    ),
    "set_decision_mails": "(self, person_id: 'str', on: 'bool', *, actor: 'str') -> 'Person'",
    "set_agreement": (
        "(self, area_id: 'str', *, actor: 'str', expected_version: 'int | None' = None, "
        "**changes: 'Any') -> 'Agreement'"
    ),
    "set_fields": (
        "(self, area_id: 'str', values: 'Mapping[str, Any]', *, actor: 'str', "
        "expected_version: 'int | None' = None) -> 'dict[str, Any]'"
    ),
    "sign_agreement": (
        "(self, area_id: 'str', *, actor: 'str', role: 'str | None' = None, "
        "expected_version: 'int | None' = None) -> 'Agreement'"
    ),
    "status": "(self, area_id: 'str', *, actor: 'str') -> 'AreaStatus'",
    "tasks": (
        "(self, area_id: 'str', *, actor: 'str', phase: 'str | None' = None) -> 'list[TaskRow]'"
    ),
    "unassign": (
        "(self, area_id: 'str', role: 'str', person_id: 'str', *, actor: 'str', "
        "expected_version: 'int | None' = None) -> 'None'"
    ),
    "upgrade": "(self) -> 'tuple[str | None, str]'",
    "verify": (
        "(self, expect_head: 'str | None' = None, *, since: 'str | None' = None, "
        "deep: 'bool' = False, actor: 'str | None' = None) -> 'VerifyResult'"
    ),
    "vote": (
        "(self, area_id: 'str', yes: 'bool', *, actor: 'str', reason: 'str' = '', role: "
        "'str | None' = None) -> 'FireResult | None'"
    ),
    "votes": "(self, area_id: 'str', *, actor: 'str') -> 'list[Vote]'",
    "why": "(self, area_id: 'str', *, actor: 'str') -> 'list[NextStep]'",
    # issue 11: the Kooperationsgremium's meetings and catalogue
    "record_meeting": (
        "(self, area_id: 'str', *, actor: 'str', held_on: 'date | str', place: 'str', "
        "attendees: 'Sequence[str]' = (), guests: 'Sequence[str]' = (), decisions: "
        "'Sequence[str]' = (), minutes: 'str' = '', attachments: 'Sequence[AttachmentFile]' = "
        "(), planned: 'bool' = False, expected_version: 'int | None' = None) -> 'Meeting'"
    ),
    "add_attachment": (
        "(self, area_id: 'str', meeting_id: 'int', file: 'AttachmentFile', *, actor: 'str', "
        "expected_version: 'int | None' = None) -> 'Attachment'"
    ),
    "meetings": "(self, area_id: 'str', *, actor: 'str') -> 'list[Meeting]'",
    "meeting": "(self, area_id: 'str', meeting_id: 'int', *, actor: 'str') -> 'Meeting'",
    "attachment_content": (
        "(self, area_id: 'str', attachment_id: 'int', *, actor: 'str') -> 'bytes'"
    ),
    "add_goal": (
        "(self, area_id: 'str', *, actor: 'str', title: 'str', description: 'str' = '', "
        "expected_version: 'int | None' = None) -> 'Goal'"
    ),
    "add_measure": (
        "(self, area_id: 'str', goal: 'int', *, actor: 'str', title: 'str', responsible: "
        "'Responsible', expected_version: 'int | None' = None) -> 'Measure'"
    ),
    "goals": "(self, area_id: 'str', *, actor: 'str') -> 'list[Goal]'",
    "adopt_catalogue": (
        "(self, area_id: 'str', *, actor: 'str', meeting: 'int', expected_version: 'int | "
        "None' = None) -> 'CatalogueVersion'"
    ),
    "catalogue_versions": "(self, area_id: 'str', *, actor: 'str') -> 'list[CatalogueVersion]'",
    "rate_goal": (
        "(self, area_id: 'str', goal: 'int', *, actor: 'str', rating: 'str', note: 'str', "
        "expected_version: 'int | None' = None) -> 'Goal'"
    ),
    "kg_facts": "(self, area_id: 'str', *, actor: 'str') -> 'KgFacts'",
    "kg_state": "(self, area_id: 'str', *, actor: 'str') -> 'KgState'",
    "issue_order": (
        "(self, area_id: 'str', *, actor: 'str', meeting: 'int', title: 'str', addressee: "
        "'Responsible', due: 'date | str', kind: 'str' = 'order', goal: 'int | None' = None, "
        "measure: 'int | None' = None, expected_version: 'int | None' = None) -> 'WorkOrder'"
    ),
    "report_order": (
        "(self, area_id: 'str', order_id: 'int', *, actor: 'str', status: 'str', note: 'str' = "
        "'', expected_version: 'int | None' = None) -> 'WorkOrder'"
    ),
    "work_orders": (
        "(self, area_id: 'str', *, actor: 'str', status: 'str | None' = None, "
        "overdue: 'bool' = False, mine: 'bool' = False) -> 'list[WorkOrder]'"
    ),
    "add_missing_resource": (
        "(self, area_id: 'str', *, actor: 'str', text: 'str', estimate: 'str' = '', "
        "expected_version: 'int | None' = None) -> 'MissingResource'"
    ),
    "missing_resources": "(self, area_id: 'str', *, actor: 'str') -> 'list[MissingResource]'",
    # issue 11: the final documentation recorded and checked
    "record_final_document": (
        "(self, area_id: 'str', *, format: 'str', actor: 'str', expected_version: 'int | None' "
        "= None) -> 'RenderedDocument'"
    ),
    "check_final_document": (
        "(self, area_id: 'str', content: 'bytes', *, actor: 'str') -> 'DocumentCheck'"
    ),
    # issue 12: the views a moderator expects on day one
    "area_overview": (
        "(self, *, actor: 'str', state: 'str | None' = None, review_within: 'int | None' = None, "
        "owes: 'str | None' = None) -> 'list[AreaOverview]'"
    ),
    "iter_area_overview": (
        "(self, *, actor: 'str', state: 'str | None' = None, review_within: 'int | None' = None, "
        "owes: 'str | None' = None) -> 'Iterator[AreaOverview]'"
    ),
    "iter_history": (
        "(self, *, actor: 'str', area: 'str | None' = None, since: 'datetime | date | str "
        "| None' = None, until: 'datetime | date | str | None' = None, by: 'str | None' = "
        "None) -> 'Iterator[AuditEntry]'"
    ),
    "known_states": "(self) -> 'list[str]'",
    "inbox": "(self, *, actor: 'str') -> 'list[InboxItem]'",
    # issue 13: signing in (the service's sign-in facade, regsam_flow/engine/auth.py)
    "request_sign_in": (
        "(self, email: 'str', *, browser: 'str', client: 'str', link_base: 'str') -> 'None'"
    ),
    "redeem_sign_in": (
        "(self, token: 'str', *, browser: 'str', client: 'str' = '', user_agent: 'str' = '') "
        "-> 'SessionGrant'"
    ),
    "session": "(self, secret: 'str') -> 'Authenticated'",
    "sign_out": "(self, secret: 'str') -> 'None'",
    "sessions": "(self, *, actor: 'str') -> 'list[SessionInfo]'",
    "end_session": "(self, session_id: 'str', *, actor: 'str') -> 'None'",
    "sign_out_everywhere": "(self, *, actor: 'str') -> 'int'",
    "create_api_token": "(self, name: 'str', *, actor: 'str') -> 'NewApiToken'",
    "api_tokens": "(self, *, actor: 'str') -> 'list[ApiTokenInfo]'",
    "revoke_api_token": "(self, token_id: 'str', *, actor: 'str') -> 'ApiTokenInfo'",
    "authenticate_token": "(self, secret: 'str') -> 'Authenticated'",
    "backup": (
        "(self, target: 'str', *, actor: 'str | None' = None, force: 'bool' = False) "
        "-> 'BackupResult'"
    ),
    "person_for_proxy": "(self, login: 'str') -> 'str'",
}
#: Its public properties, and whether they can be set.
PUBLIC_PROPERTIES = {
    "auth_policy": False,
    "bind_login": False,
    "clock": False,
    "local_workflows": False,
    "login": False,
    "notifier": True,
    "store": False,
    "url": False,
    "workflows": False,
}


def test_the_engine_is_a_facade_not_a_tower() -> None:
    assert CoreEngine.__bases__ == (object,)
    assert regsam_flow.Engine.__mro__ == (regsam_flow.Engine, CoreEngine, object)


def test_no_class_of_the_engine_shares_code_by_inheritance() -> None:
    inherited = []
    for info in pkgutil.iter_modules(regsam_flow.engine.__path__):
        module = importlib.import_module(f"regsam_flow.engine.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            inherited += [
                f"{module.__name__}.{name}({base.__module__}.{base.__name__})"
                for base in cls.__bases__
                if base.__module__.startswith("regsam_flow.engine")
            ]
    assert not inherited, "engine classes inherit from engine classes: " + ", ".join(inherited)


@pytest.mark.parametrize("name", sorted(PUBLIC_METHODS))
def test_every_public_method_keeps_its_signature(name: str) -> None:
    method = getattr(CoreEngine, name)
    assert str(inspect.signature(method)) == PUBLIC_METHODS[name]
    assert method.__doc__, f"Engine.{name} has no docstring"


def test_the_engine_has_no_public_method_but_those_listed() -> None:
    methods = {
        n for n, v in vars(CoreEngine).items() if not n.startswith("_") and inspect.isfunction(v)
    }
    assert methods == set(PUBLIC_METHODS)


@pytest.mark.parametrize(("name", "settable"), sorted(PUBLIC_PROPERTIES.items()))
def test_every_public_property_stays(name: str, settable: bool) -> None:
    prop = inspect.getattr_static(CoreEngine, name)
    assert isinstance(prop, property)
    assert (prop.fset is not None) is settable
    assert prop.__doc__
