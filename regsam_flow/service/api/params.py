"""What every route of the API takes, as annotated types: the caller, the
engine and the page asked for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ...bootstrap import Engine
from ..deps import Caller, caller, engine
from .common import PageParams

__all__ = ["Eng", "Paging", "Who"]

#: The signed-in caller (401 ``not_signed_in`` without one).
Who = Annotated[Caller, Depends(caller)]
#: The engine the service runs on.
Eng = Annotated[Engine, Depends(engine)]
#: ``?limit=&offset=`` of a list.
Paging = Annotated[PageParams, Depends()]
