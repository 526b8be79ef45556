"""Which stores the engine's behaviour tests run on (``pytest --stores``)."""

from __future__ import annotations

import pytest

from .databases import STORES, engine_stores


def test_a_developer_runs_them_on_memory_and_ci_on_every_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("REGSAM_FLOW_TEST_REQUIRE_PG", raising=False)
    assert engine_stores(None) == ("memory",)
    monkeypatch.setenv("CI", "true")
    assert engine_stores(None) == STORES
    monkeypatch.setenv("CI", "false")
    monkeypatch.setenv("REGSAM_FLOW_TEST_REQUIRE_PG", "1")
    assert engine_stores(None) == STORES


def test_the_stores_asked_for_win_over_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert engine_stores(" postgresql,memory ") == ("memory", "postgresql")
    assert engine_stores("sqlite") == ("sqlite",)


@pytest.mark.parametrize("option", ["", ",", "mem", "memory,oracle"])
def test_an_unknown_or_empty_list_is_refused(option: str) -> None:
    with pytest.raises(ValueError, match="name one or more of memory, sqlite, postgresql"):
        engine_stores(option)
