"""The Python API's documentation says what the code does."""

from __future__ import annotations

import re
from datetime import date
from typing import get_type_hints

from regsam_flow import Engine
from regsam_flow.engine import EVENT_KINDS

from .conftest import sign_agreement


def test_on_documents_every_event_kind_and_no_other() -> None:
    doc = Engine.on.__doc__ or ""
    named = set(re.findall(r"``([a-z_*]+)``", doc))
    assert named == {*EVENT_KINDS, "*"}


def test_review_returns_what_it_declares(engine: Engine, area: str) -> None:
    assert get_type_hints(Engine.review)["return"] is type(None)
    sign_agreement(engine, area)
    result = engine.review(area, actor="mia", decision="continue", next_review=date(2028, 1, 15))
    assert result is None
    ag = engine.agreement(area, actor="mia")
    assert ag is not None and ag.review == date(2028, 1, 15)
