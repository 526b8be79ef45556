"""Documents people read and print, rendered from the engine's records.

A front end like the CLI: it may use Jinja2 (the core may not).  Today it
holds the final documentation (:mod:`.dossier`).
"""

from __future__ import annotations

from .dossier import FORMATS, DossierRenderer, render_dossier

__all__ = ["FORMATS", "DossierRenderer", "render_dossier"]
