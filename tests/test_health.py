"""`regsam-flow health`, for monitoring: exit 0 when all is well, exit 20
naming each problem when the scheduler stopped passing, reminders failed,
the schema is old or the database cannot be reached; ``info --json``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result

from regsam_flow import Engine
from regsam_flow.cli.health_cmds import EXIT_NEEDS_ATTENTION
from regsam_flow.notifications.scheduler import ReminderScheduler
from regsam_flow.persistence import SqlStore
from regsam_flow.persistence.revision import HEAD_REVISION as HEAD
from regsam_flow.ports import DeliveryError, FixedClock, Notifier, ReminderNotice

from .cli_helpers import Cli
from .conftest import PEOPLE, sign_agreement
from .test_ports_declared import AT_28

BIN = Path(sys.executable).parent / "regsam-flow"
BERLIN_FORMAT = "%d.%m.%Y %H:%M"


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines unwrapped, for the asserts on the text."""
    monkeypatch.setenv("COLUMNS", "400")


class _German(Cli):
    def run(self, *args: str, user: str = "root", input: str | None = None) -> Result:
        return super().run("--lang", "de", *args, user=user, input=input)


def _cli(engine: Engine, tmp_path: Path) -> Cli:
    return _German(engine.url, tmp_path / "home")


def _health(c: Cli, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = c.run("health", "--json", *args)
    return r.exit_code, json.loads(r.stdout)


def _codes(data: dict) -> list[str]:  # type: ignore[type-arg]
    return [p["code"] for p in data["problems"]]


def _pass_at(engine: Engine, at: datetime, poll: float) -> None:
    """A scheduler pass recorded through the engine at ``at`` (a fixed clock)."""
    e = Engine(store=engine.store, clock=FixedClock(at))
    e.record_scheduler_pass("box:4711:abcdef", poll)


@pytest.mark.sql("the CLI runs on the engine's database")
def test_all_is_well_after_a_scheduler_pass(engine: Engine, tmp_path: Path) -> None:
    c = _cli(engine, tmp_path)
    ReminderScheduler(engine, poll_seconds=30).run_pass()  # the scheduler's own pass, once
    r = c.run("health")
    assert r.exit_code == 0, r.output
    assert "Alles in Ordnung." in r.stdout
    assert "(fragt alle 30 s ab; darf 150 s alt sein)" in r.stdout
    code, data = _health(c)
    assert code == 0 and data["ok"] is True and data["problems"] == []
    assert data["schema"] == {"found": HEAD, "expected": HEAD, "current": True}
    assert data["database"]["reachable"] is True
    assert data["reminders"] == {"failed": 0}
    sched = data["scheduler"]
    assert sched["poll_seconds"] == 30 and sched["max_age_seconds"] == 150
    at = datetime.fromisoformat(sched["last_pass"].replace("Z", "+00:00"))
    assert abs(datetime.now(timezone.utc) - at) < timedelta(minutes=5)
    assert sched["last_pass"].endswith("Z")  # UTC for machines


@pytest.mark.sql("the CLI runs on the engine's database")
def test_send_due_from_cron_counts_as_a_pass_and_a_dry_run_does_not(
    engine: Engine, tmp_path: Path
) -> None:
    c = _cli(engine, tmp_path)
    dry = c.run("reminders", "send-due", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert _codes(_health(c)[1]) == ["scheduler_never_ran"]
    real = c.run("reminders", "send-due", "--every", "600")
    assert real.exit_code == 0, real.output
    r = c.run("health")
    assert r.exit_code == 0, r.output
    assert "(fragt alle 600 s ab; darf 1860 s alt sein)" in r.stdout
    bad = c.run("reminders", "send-due", "--every", "0")
    assert bad.exit_code == 2 and "--every" in bad.output


@pytest.mark.sql("the CLI runs on the engine's database")
def test_no_scheduler_pass_ever_needs_attention(engine: Engine, tmp_path: Path) -> None:
    c = _cli(engine, tmp_path)
    r = c.run("health")
    assert r.exit_code == EXIT_NEEDS_ATTENTION == 20
    assert "noch kein Durchlauf" in r.stdout
    assert "starten Sie `regsam-flow scheduler run`" in r.stdout
    assert _codes(_health(c)[1]) == ["scheduler_never_ran"]


@pytest.mark.sql("the CLI runs on the engine's database")
def test_a_scheduler_silent_for_longer_than_its_poll_interval_allows(
    engine: Engine, tmp_path: Path
) -> None:
    c = _cli(engine, tmp_path)
    now = datetime.now(timezone.utc)
    # polling every 60 s: a pass may be 3 x 60 s + 60 s = 240 s old
    _pass_at(engine, now - timedelta(seconds=120), poll=60)
    code, data = _health(c)
    assert code == 0, data["problems"]
    old = now - timedelta(minutes=10)
    _pass_at(engine, old, poll=60)  # the same worker: its pass is replaced
    r = c.run("health")
    assert r.exit_code == 20
    berlin = old.astimezone(ZoneInfo("Europe/Berlin"))
    assert (
        f"der letzte Sendedurchlauf des Schedulers war am {berlin.strftime(BERLIN_FORMAT)}, "
        "länger her als 240 Sekunden: läuft `regsam-flow scheduler run` "
        "(oder `reminders send-due` aus cron) noch?"
    ) in r.stdout
    code, data = _health(c)
    assert code == 20 and _codes(data) == ["scheduler_stale"]
    assert data["scheduler"]["age_seconds"] >= 600
    assert data["scheduler"]["max_age_seconds"] == 240
    # a monitor that allows more says so
    assert _health(c, "--max-age", "3600")[0] == 0
    # and one that allows less
    _pass_at(engine, now - timedelta(seconds=120), poll=60)
    code, data = _health(c, "--max-age", "60")
    assert code == 20 and _codes(data) == ["scheduler_stale"]


class _Refusing(Notifier):
    def notify(self, notice: ReminderNotice) -> None:
        raise DeliveryError("550 no such recipient", permanent=True)


@pytest.mark.sql("the CLI runs on the engine's database")
def test_failed_reminders_need_attention_and_no_person_is_named(
    engine: Engine, area: str, tmp_path: Path
) -> None:
    c = _cli(engine, tmp_path)
    clock = FixedClock(datetime(2027, 6, 1, tzinfo=timezone.utc))
    e = Engine(store=engine.store, clock=clock, notifier=_Refusing())
    sign_agreement(e, area)
    clock.set(AT_28)
    assert len(e.send_due().failed) == 1
    _pass_at(engine, datetime.now(timezone.utc), poll=30)
    r = c.run("health")
    assert r.exit_code == 20
    assert "fehlgeschlagene Erinnerungen: 1" in r.stdout
    assert (
        "1 Erinnerung ist fehlgeschlagen: siehe `regsam-flow reminders list --status failed`"
        in r.stdout
    )
    code, data = _health(c)
    assert code == 20 and _codes(data) == ["reminders_failed"] and data["reminders"]["failed"] == 1
    # for monitoring: counts and times, no person, no area
    text = r.stdout + json.dumps(data)
    for pid, (name, email, _role) in PEOPLE.items():
        assert pid not in text and name not in text and email not in text
    assert area not in text


def test_an_old_schema_needs_attention_and_is_left_alone(db_url: str, tmp_path: Path) -> None:
    store = SqlStore(db_url)
    store.upgrade("0009")  # as the release before this one left it
    store.close()
    c = _German(db_url, tmp_path / "home")
    r = c.run("health")
    assert r.exit_code == 20
    assert f"0009, diese Version braucht {HEAD}" in r.stdout
    code, data = _health(c)
    assert code == 20 and _codes(data) == ["schema_mismatch"]
    assert data["schema"] == {"found": "0009", "expected": HEAD, "current": False}
    assert data["scheduler"]["last_pass"] is None and data["reminders"]["failed"] is None
    assert SqlStore(db_url).schema_status() == ("0009", HEAD)  # health upgraded nothing


def test_a_database_not_initialised_needs_attention(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    code, data = _health(_German(url, tmp_path / "home"))
    assert code == 20 and _codes(data) == ["schema_missing"]
    assert not (tmp_path / "none.db").exists()  # looking made no database


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REGSAM_FLOW_HOME": str(tmp_path / "home"),
        "REGSAM_FLOW_DB": "postgresql+psycopg://regsam:s3cr3t-pw@127.0.0.1:1/regsam",
        "LANG": "de_DE.UTF-8",
    }
    env.pop("REGSAM_FLOW_LANG", None)
    r = subprocess.run(
        [str(BIN), "--lang", "de", "health"], capture_output=True, text=True, env=env, timeout=120
    )
    assert r.returncode == 20, r.stderr
    assert "die Datenbank ist nicht erreichbar" in r.stdout
    assert "postgresql+psycopg://regsam:***@127.0.0.1:1/regsam (nicht erreichbar)" in r.stdout
    assert "s3cr3t-pw" not in r.stdout + r.stderr
    r = subprocess.run(
        [str(BIN), "--lang", "de", "health", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    data = json.loads(r.stdout)
    assert r.returncode == 20 and _codes(data) == ["database_unreachable"]
    assert data["database"] == {
        "url": "postgresql+psycopg://regsam:***@127.0.0.1:1/regsam",
        "reachable": False,
    }


def test_max_age_must_be_positive(tmp_path: Path) -> None:
    c = Cli(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "home")
    r = c.run("health", "--max-age", "0")
    assert r.exit_code == 2 and "--max-age" in r.stderr


def test_the_stores_keep_each_workers_last_pass(engine: Engine) -> None:
    t0 = datetime(2027, 7, 15, 6, 0, tzinfo=timezone.utc)
    assert engine.health().last_pass is None
    _pass_at(engine, t0, poll=30)
    _pass_at(engine, t0 + timedelta(seconds=30), poll=30)
    e = Engine(store=engine.store, clock=FixedClock(t0 + timedelta(seconds=40)))
    e.record_scheduler_pass("other:1:aaaaaa", 300)
    health = e.health()
    assert health.last_pass is not None
    assert (health.last_pass.worker, health.last_pass.at, health.last_pass.poll_seconds) == (
        "other:1:aaaaaa",
        t0 + timedelta(seconds=40),
        300,
    )
    assert health.ok and health.max_age == timedelta(seconds=960)
    # a week later another worker passes; the stopped ones' passes go
    later = Engine(store=engine.store, clock=FixedClock(t0 + timedelta(days=8)))
    later.record_scheduler_pass("new:2:bbbbbb", 30)
    stale = Engine(store=engine.store, clock=FixedClock(t0 + timedelta(days=9))).health()
    assert [p.code for p in stale.problems] == ["scheduler_stale"]
    assert stale.last_pass is not None and stale.last_pass.worker == "new:2:bbbbbb"


def test_a_pass_needs_a_positive_poll_interval(engine: Engine) -> None:
    from regsam_flow.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="positive"):
        engine.record_scheduler_pass("w", 0)
    assert engine.health().last_pass is None


@pytest.mark.sql("the CLI runs on the engine's database")
def test_info_json_has_the_facts_info_prints(engine: Engine, tmp_path: Path) -> None:
    c = _cli(engine, tmp_path)
    data = c.json("info")
    assert set(data) == {
        "version",
        "database",
        "schema",
        "schema_needed",
        "workflows",
        "mail",
        "config",
    }
    assert data["schema"] == data["schema_needed"] == HEAD
    assert {(w["name"], w["version"]) for w in data["workflows"]} >= {("schwerpunktgebiet", 1)}
    assert set(data["workflows"][0]) == {"name", "version", "title", "source"}
    text = c.ok("info").stdout
    assert re.search(rf"^Schema: +{data['schema']} \(aktuell\)$", text, re.M), text
    assert data["database"] in text and data["mail"] in text


@pytest.mark.sql("the CLI runs on the engine's database")
def test_unusable_mail_settings_need_attention_without_the_password(
    engine: Engine, tmp_path: Path
) -> None:
    _pass_at(engine, datetime.now(timezone.utc), poll=30)
    env = {
        **os.environ,
        "REGSAM_FLOW_HOME": str(tmp_path / "home"),
        "REGSAM_FLOW_DB": engine.url,
        "REGSAM_FLOW_SMTP_URL": "smtp://mia:pa/ss-w0rd@mail.example.org:587",
    }
    r = subprocess.run(
        [str(BIN), "--lang", "de", "health", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    data = json.loads(r.stdout)
    assert r.returncode == 20 and _codes(data) == ["mail_unusable"]
    assert data["mail"] == {"target": None}
    assert data["problems"][0]["message"].startswith(
        "die E-Mail-Einstellungen sind nicht verwendbar: SMTP-URL"
    )
    assert "ss-w0rd" not in r.stdout + r.stderr
