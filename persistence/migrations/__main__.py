"""``python -m regsam_flow.persistence.migrations`` prints the path of the
shipped ``alembic.ini``, for ``alembic -c "$(...)" upgrade head``."""

from __future__ import annotations

from . import ALEMBIC_INI

print(ALEMBIC_INI)
