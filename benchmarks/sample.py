"""The sample area's cooperation agreement, signed, as the benchmarks that
build a database through the Engine set it up (bench_cli.py, scaling.py)."""

from __future__ import annotations

from datetime import date

from regsam_flow import Engine

__all__ = ["sign_sample_agreement"]


def sign_sample_agreement(eng: Engine, area: str) -> None:
    """Write the agreement of ``area`` as mia (moderation) and have mia and
    sven (social planning) sign it, then report the task schwerpunktziel."""
    eng.set_agreement(
        area,
        actor="mia",
        topic="Nachbarschaftskonflikte, ältere Menschen",
        scope="Hasenbergl-Nord zwischen Dülferstraße und Stanigplatz",
        reasons="Monitoring: 9 von 13 Werten 30 % über dem Mittel",
        partners="Baureferat, Schulreferat, Sportverein",
        terms="KG tagt monatlich",
        duration="2 Jahre",
        start=date(2027, 1, 15),
        review=date(2027, 7, 15),
    )
    eng.sign_agreement(area, actor="mia")
    eng.sign_agreement(area, actor="sven")
    eng.report_task(area, "schwerpunktziel", actor="mia")
