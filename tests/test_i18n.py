"""Choosing the language and writing dates and numbers for people."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from regsam_flow.i18n import (
    _,
    format_date,
    format_datetime,
    format_decimal,
    language,
    language_from_env,
    set_language,
    use_language,
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "de"),
        ({"LANG": "C.UTF-8"}, "de"),
        ({"LANG": "de_DE.UTF-8"}, "de"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "de_DE.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "de"),
        ({"LANG": "en_US.UTF-8", "REGSAM_FLOW_LANG": "de"}, "de"),
        ({"REGSAM_FLOW_LANG": "EN"}, "en"),
        ({"REGSAM_FLOW_LANG": "fr", "LANG": "en_US"}, "en"),
    ],
)
def test_the_language_the_environment_asks_for(env: dict[str, str], expected: str) -> None:
    assert language_from_env(env) == expected


def test_the_language_is_set_per_context_and_translates() -> None:
    with use_language("de"):
        assert language() == "de"
        assert _("Show this message and exit.") == "Diese Hilfe zeigen und beenden."
        with use_language("en"):
            assert _("Show this message and exit.") == "Show this message and exit."
        assert _("Options") == "Optionen"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        set_language("fr")


def test_dates_times_and_numbers_as_people_write_them() -> None:
    d = date(2027, 7, 15)
    winter = datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc)
    with use_language("de"):
        assert format_date(d) == "15.07.2027"
        assert format_datetime(winter) == "02.12.2026 00:30"  # Berlin: the next day
        assert format_decimal(1234.567) == "1.234,57"
        assert format_decimal(8.03333, 1) == "8,0"
    with use_language("en"):
        assert format_date(d) == "2027-07-15"
        assert format_datetime(winter) == "2026-12-02 00:30"
        assert format_decimal(1234.567) == "1,234.57"
    assert format_date(None) == "-" and format_datetime(None) == "-"
