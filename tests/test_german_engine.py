"""The engine speaks the language of the call: German by default, English
on request; codes, fields, kinds and keys stay as they are."""

from __future__ import annotations

import pytest

from regsam_flow import BlockedError, Engine, InvalidInputError, NotAllowedError, NotFoundError
from regsam_flow.i18n import use_language

from .conftest import sign_agreement


def _blocked_cancel(engine: Engine, area: str) -> BlockedError:
    with pytest.raises(BlockedError) as exc:
        engine.fire(area, "cancel", actor="sven")  # no reason given
    return exc.value


def test_a_blocked_transition_is_told_in_german_and_in_english(engine: Engine, area: str) -> None:
    before = engine.head()
    with use_language("de"):
        de = _blocked_cancel(engine, area)
    with use_language("en"):
        en = _blocked_cancel(engine, area)
    assert de.message == f"'cancel' ist in '{area}' blockiert"
    assert en.message == f"'cancel' is blocked in '{area}'"
    assert [b.to_dict() for b in de.blockers] == [
        {"code": "reason_required", "message": "'cancel' braucht eine Begründung"}
    ]
    assert [b.to_dict() for b in en.blockers] == [
        {"code": "reason_required", "message": "'cancel' needs a reason"}
    ]
    assert (de.code, de.exit_code, de.area, de.trigger) == (en.code, en.exit_code, area, "cancel")
    assert engine.head() == before  # nothing written, in either language


def test_an_area_at_its_end_refuses_in_german(engine: Engine, area: str) -> None:
    engine.fire(area, "cancel", actor="sven", reason="Gebiet wird Sanierungsgebiet")
    with use_language("de"), pytest.raises(BlockedError) as exc:
        engine.report_task(area, "schwerpunktziel", actor="mia")
    assert (
        exc.value.message
        == f"Das Gebiet '{area}' ist abgebrochen: nichts kann mehr geändert werden"
    )
    assert [(b.code, b.message) for b in exc.value.blockers] == [
        ("area_final", "das Gebiet ist in seinem Endzustand 'abgebrochen'")
    ]


def test_refusals_name_the_same_person_field_and_key_in_both_languages(
    engine: Engine, area: str
) -> None:
    told: dict[str, list[str]] = {}
    for lang in ("de", "en"):
        with use_language(lang):
            with pytest.raises(NotAllowedError) as refused:
                engine.create_area("neuperlach-sued", actor="mia", name="Neuperlach-Süd")
            assert refused.value.actor == "mia"
            with pytest.raises(NotFoundError) as unknown:
                engine.status("nirgendwo", actor="mia")
            assert (unknown.value.kind, unknown.value.key) == ("area", "nirgendwo")
            with pytest.raises(InvalidInputError) as wrong:
                engine.set_agreement(area, actor="mia", colour="grün")
            assert wrong.value.field == "colour"
            told[lang] = [refused.value.message, unknown.value.message, wrong.value.message]
    assert told["de"][:2] == [
        "Nur ein Admin darf Gebiete anlegen (mia ist keiner)",
        "Kein Gebiet 'nirgendwo'",
    ]
    assert told["de"][2].startswith("Die Kooperationsvereinbarung hat kein Feld 'colour' (Felder: ")
    assert told["en"][:2] == ["only an admin may create areas (mia is not)", "no area 'nirgendwo'"]
    assert told["en"][2].startswith("the agreement has no field 'colour' (fields: ")


def test_dates_in_messages_are_written_as_people_of_the_language_write_them(
    engine: Engine, area: str
) -> None:
    with use_language("de"), pytest.raises(InvalidInputError) as de:
        engine.set_agreement(area, actor="mia", start="01.02.2027", review="15.01.2027")
    with use_language("en"), pytest.raises(InvalidInputError) as en:
        engine.set_agreement(area, actor="mia", start="2027-02-01", review="2027-01-15")
    assert de.value.message == "Der Überprüfungstermin 15.01.2027 liegt vor dem Beginn 01.02.2027"
    assert en.value.message == "review date 2027-01-15 lies before the start date 2027-02-01"
    assert de.value.field == en.value.field == "review"


def test_a_role_refusal_and_a_second_signature_in_german(engine: Engine, area: str) -> None:
    sign_agreement(engine, area)
    with use_language("de"):
        with pytest.raises(NotAllowedError) as exc:
            engine.fire(area, "cancel", actor="tom", reason="x")
        assert exc.value.message.startswith(f"tom darf 'cancel' in '{area}' nicht auslösen: ")
        assert "role_missing" in [b.code for b in exc.value.blockers]
        with pytest.raises(BlockedError) as signed:
            engine.sign_agreement(area, actor="mia")
    assert signed.value.message == "Die Kooperationsvereinbarung kann nicht unterschrieben werden"
    told = {b.code: b.message for b in signed.value.blockers}
    assert told["already_signed"] == "Version 1 ist bereits von moderation unterschrieben"
