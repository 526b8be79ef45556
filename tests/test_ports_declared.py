"""What the engine needs from its adapters is declared in ``ports.py``, not
probed with ``getattr``: the store's ``check_schema`` and a delivery
error's ``permanent``."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from regsam_flow import Engine
from regsam_flow.errors import SchemaError
from regsam_flow.notifications import MailDeliveryError
from regsam_flow.persistence import SqlStore
from regsam_flow.ports import (
    DeliveryError,
    FixedClock,
    Notifier,
    ReminderNotice,
    Store,
    UnitOfWork,
)

from .conftest import sign_agreement

BERLIN = ZoneInfo("Europe/Berlin")
AT_28 = datetime.combine(date(2027, 6, 17), time(8), tzinfo=BERLIN).astimezone(timezone.utc)


class _Delegating(Store):
    """A store that passes everything to a SQL store (to vary one method)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.url = inner.url

    def write(self) -> AbstractContextManager[UnitOfWork]:
        return self.inner.write()

    def read(self) -> AbstractContextManager[UnitOfWork]:
        return self.inner.read()

    def initialise(self) -> AbstractContextManager[UnitOfWork]:
        return self.inner.initialise()

    def schema_status(self) -> tuple[str | None, str]:
        return self.inner.schema_status()

    def check_schema(self) -> None:
        self.inner.check_schema()

    def upgrade(self) -> tuple[str | None, str]:
        return self.inner.upgrade()

    def login(self) -> str:
        return self.inner.login()

    def close(self) -> None:
        self.inner.close()


def test_check_schema_is_part_of_the_store_port() -> None:
    assert "check_schema" in Store.__abstractmethods__
    # a store implementing everything else cannot be made
    methods = {
        name: getattr(_Delegating, name)
        for name in Store.__abstractmethods__ | {"__init__"}
        if name != "check_schema"
    }
    forgetful = type("Forgetful", (Store,), methods)
    with pytest.raises(TypeError, match="check_schema"):
        forgetful(SqlStore("sqlite://"))


def test_the_engine_refuses_a_store_whose_schema_check_refuses(engine: Engine, area: str) -> None:
    class Outdated(_Delegating):
        def check_schema(self) -> None:
            raise SchemaError("schema 0001, this code needs 0009", found="0001", expected="0009")

    e = Engine(store=Outdated(engine.store))
    try:
        with pytest.raises(SchemaError, match="needs 0009"):
            e.status(area, actor="mia")
    finally:
        e.close()


def test_the_mail_adapters_error_is_the_ports_delivery_error() -> None:
    err = MailDeliveryError("550 refused", transport="smtp://host", permanent=True)
    assert isinstance(err, DeliveryError) and err.permanent
    assert not MailDeliveryError("timeout", transport="smtp://host").permanent


class _Raising(Notifier):
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def notify(self, notice: ReminderNotice) -> None:
        raise self.exc


class _LooksPermanent(Exception):
    permanent = True  # but not a DeliveryError: no longer probed


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (DeliveryError("550 no such recipient", permanent=True), "failed"),
        (DeliveryError("421 try again later", permanent=False), "retrying"),
        (_LooksPermanent("refused?"), "retrying"),
        (OSError("network down"), "retrying"),
    ],
)
def test_only_a_permanent_delivery_error_fails_a_reminder_at_once(
    engine: Engine, area: str, exc: Exception, outcome: str
) -> None:
    clock = FixedClock(datetime(2027, 6, 1, tzinfo=timezone.utc))
    e = Engine(store=engine.store, clock=clock, notifier=_Raising(exc))
    try:
        sign_agreement(e, area)
        clock.set(AT_28)
        report = e.send_due()
        assert len(getattr(report, outcome)) == 1
        [r] = [r for r in e.reminders(actor="root", area=area) if r.id in getattr(report, outcome)]
        assert r.status == ("failed" if outcome == "failed" else "pending")
        assert r.attempts == 1 and type(exc).__name__ in (r.last_error or "")
    finally:
        e.close()


def test_a_core_engine_without_a_notifier_says_so(engine: Engine) -> None:
    from regsam_flow.engine import Engine as CoreEngine
    from regsam_flow.errors import InvalidInputError

    core = CoreEngine(store=engine.store)
    try:
        with pytest.raises(InvalidInputError, match="no notifier") as caught:
            _ = core.notifier
        assert caught.value.field == "notifier"
    finally:
        core.close()
