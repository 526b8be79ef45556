#!/usr/bin/env python
"""Load test of ``regsam-flow serve``: 50 people working through the JSON API.

    .venv/bin/python benchmarks/service_load.py                 # 60 s per side
    .venv/bin/python benchmarks/service_load.py --quick         # < 30 s, SQLite only
    .venv/bin/python benchmarks/service_load.py --seconds 20 --stores sqlite
    REGSAM_FLOW_TEST_PG_URL=... .venv/bin/python benchmarks/service_load.py

50 people u00..u49, each with a personal API token (``Engine.create_api_token``),
hold moderation or social planning in 20 areas, several people per area, so
they collide.  Each person is an asyncio task with its own httpx client and
does what a person would: GET the area (its ETag), pick an action that fits
what it shows (fill or change the agreement, sign it, report or reopen a
task, advance, resume or close) and send it with ``If-Match``.  Targets: two
``serve`` processes on one fresh PostgreSQL database (the people split
between them), one ``serve`` on a SQLite file.

Beside each HTTP run, in the same run, the same people do the same
operations on a fresh database of the same kind through the ``Engine``
directly (one process, the engine calls on a pool of 40 threads as the
server's thread pool runs them): the HTTP layer's cost is printed as a
ratio to that, not as an absolute claim.

Every answer must be one of: done (2xx), conflict (409 ``conflict`` or 412:
someone was faster), blocked (409 ``blocked``: a guard refused), refused
(403 ``not_allowed``: the person lacks the role).  Anything else is listed
as unexpected and the run exits 1.  Afterwards, per area: its final version
must equal its start version plus the done changes on it (no lost update),
and ``Engine.verify()`` must hold.  Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

__all__ = ["Result", "main", "prepare", "run_engine", "run_http", "run_target"]

PEOPLE = [f"u{i:02d}" for i in range(50)]
AREAS = [f"viertel-{i:02d}" for i in range(20)]
AGREEMENT = {
    "topic": "Ältere Menschen",
    "scope": "Viertel",
    "reasons": "Monitoring",
    "duration": "2 Jahre",
    "start": "2027-01-15",
    "review": "2027-07-15",
}


def roles_of() -> dict[str, list[tuple[str, str]]]:
    """Who holds which role where: (area, role) per person.

    Area i: moderation u(i) and u(40 + i // 2), social planning u(20 + i);
    u00..u39 also hold the other role in area i + 7 (mod 20), so every area
    has four or five people on it."""
    held: dict[str, list[tuple[str, str]]] = {p: [] for p in PEOPLE}
    for i, area in enumerate(AREAS):
        held[f"u{i:02d}"].append((area, "moderation"))
        held[f"u{20 + i:02d}"].append((area, "social_planning"))
        held[f"u{40 + i // 2:02d}"].append((area, "moderation"))
    for i in range(20):
        other = AREAS[(i + 7) % 20]
        held[f"u{i:02d}"].append((other, "social_planning"))
        held[f"u{20 + i:02d}"].append((other, "moderation"))
    return held


def prepare(url: str) -> tuple[dict[str, int], dict[str, str]]:
    """A fresh database with the people, areas and roles; each area's
    version and each person's API token secret."""
    from regsam_flow import Engine

    e = Engine(url)
    e.init("root", name="Root", email="root@regsam.example")
    for pid in PEOPLE:
        e.add_person(pid, actor="root", name=pid.upper(), email=f"{pid}@regsam.example")
    for i, aid in enumerate(AREAS):
        e.create_area(aid, actor="root", name=f"Viertel {i}")
    for pid, held in roles_of().items():
        for aid, role in held:
            e.assign(aid, role, pid, actor="root")
    tokens = {pid: e.create_api_token("load", actor=pid).secret for pid in PEOPLE}
    versions = {a.id: a.version for a in e.list_areas(actor="root")}
    e.close()
    return versions, tokens


@dataclass
class Result:
    outcomes: Counter[str] = field(default_factory=Counter)
    done_per_area: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # every request, seconds
    writes: list[float] = field(default_factory=list)  # the changes only
    seconds: float = 0.0
    operations: int = 0
    lost: list[str] = field(default_factory=list)
    verified: bool = False

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# One change: (kind, area, payload) -> outcome.  ``kind`` is one of
# agreement, sign, report, reopen, fire, advance.
Change = tuple[str, str, dict[str, Any]]


def choose(rng: random.Random, me: str, role: str, st: dict[str, Any], i: int) -> Change:
    """What a person does next, seeing the area ``st`` (``area show --json``)."""
    aid = st["area"]
    ag = st["agreement"]
    state = st["state"]
    tasks = [t for t in st["tasks"] if t["phase"] == state]
    open_tasks = [t for t in tasks if t["required"] and not t["done"]]
    done_tasks = [t for t in tasks if t["done"]]
    mine = [t for t in open_tasks if role in t["roles"]]
    choice = rng.random()
    if st["final"]:  # the area_final guard refuses: blocked
        return ("agreement", aid, {"terms": f"spät {me}-{i}"})
    if ag is None or ag["missing"]:
        return ("agreement", aid, dict(AGREEMENT))
    if choice < 0.15:
        return ("agreement", aid, {"terms": f"Absprache {me}-{i}"})
    if state == "vorlauf" and len(ag["signed_by"]) < 2 and choice < 0.55:
        return ("sign", aid, {"role": role})
    if open_tasks and choice < 0.75:
        # mostly one's own task; now and then one of the other role's (refused)
        task = rng.choice(mine if mine and rng.random() < 0.9 else open_tasks)
        return ("report", aid, {"task": task["id"]})
    if done_tasks and choice < 0.85:
        return ("reopen", aid, {"task": rng.choice(done_tasks)["id"], "reason": "nachbessern"})
    if state == "auswertung" and choice < 0.95:
        return ("fire", aid, {"trigger": "resume", "reason": "weitere Schritte"})
    if state == "auswertung":
        return ("fire", aid, {"trigger": "close", "reason": ""})
    return ("advance", aid, {})


# ------------------------------------------------------------------ HTTP side
def classify(status: int, body: Any) -> str | None:
    code = body.get("error") if isinstance(body, dict) else None
    if 200 <= status < 300:
        return "done"
    if status == 412 or (status == 409 and code == "conflict"):
        return "conflict"
    if status == 409 and code == "blocked":
        return "blocked"
    if status == 403 and code == "not_allowed":
        return "refused"
    return None


async def http_person(
    base: str, me: str, token: str, result: Result, stop: Callable[[int], bool], seed: int
) -> None:
    import httpx

    rng = random.Random(seed)
    held = roles_of()[me]
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60.0) as c:
        i = 0
        while not stop(i):
            i += 1
            aid, role = rng.choice(held)
            t = time.perf_counter()
            r = await c.get(f"/api/v1/areas/{aid}")
            result.latencies.append(time.perf_counter() - t)
            if r.status_code != 200:
                result.outcomes["unexpected"] += 1
                result.unexpected.append(
                    f"GET /api/v1/areas/{aid} -> {r.status_code} {r.text[:200]}"
                )
                continue
            etag = r.headers["ETag"]
            kind, _aid, data = choose(rng, me, role, r.json(), i)
            method, path, body = _request(kind, aid, data)
            t = time.perf_counter()
            w = await c.request(method, path, json=body, headers={"If-Match": etag})
            took = time.perf_counter() - t
            result.latencies.append(took)
            result.writes.append(took)
            result.operations += 1
            try:
                answer = w.json()
            except ValueError:
                answer = None
            outcome = classify(w.status_code, answer)
            if outcome is None:
                outcome = "unexpected"
                result.unexpected.append(f"{method} {path} -> {w.status_code} {w.text[:200]}")
            result.outcomes[outcome] += 1
            if outcome == "done":
                result.done_per_area[aid] += 1


def _request(kind: str, aid: str, data: dict[str, Any]) -> tuple[str, str, Any]:
    base = f"/api/v1/areas/{aid}"
    if kind == "agreement":
        return "PATCH", f"{base}/agreement", data
    if kind == "sign":
        return "POST", f"{base}/agreement/signatures", data
    if kind == "report":
        return "POST", f"{base}/tasks/{data['task']}/report", None
    if kind == "reopen":
        return "POST", f"{base}/tasks/{data['task']}/reopen", {"reason": data["reason"]}
    if kind == "fire":
        return "POST", f"{base}/transitions", data
    return "POST", f"{base}/advance", None


def _stopper(seconds: float, ops: int | None) -> Callable[[int], bool]:
    end = time.perf_counter() + seconds

    def stop(i: int) -> bool:
        return (ops is not None and i >= ops) or time.perf_counter() >= end

    return stop


async def _run_people(
    make: Callable[[str, int, Callable[[int], bool]], Awaitable[None]],
    seconds: float,
    ops: int | None,
    result: Result,
) -> None:
    stop = _stopper(seconds, ops)
    t = time.perf_counter()
    await asyncio.gather(*(make(p, n, stop) for n, p in enumerate(PEOPLE)))
    result.seconds = time.perf_counter() - t


def run_http(
    bases: list[str], tokens: dict[str, str], seconds: float, ops: int | None, seed: int = 1
) -> Result:
    """The people against the servers at ``bases`` (person n uses bases[n % len])."""
    result = Result()

    def make(p: str, n: int, stop: Callable[[int], bool]) -> Awaitable[None]:
        return http_person(bases[n % len(bases)], p, tokens[p], result, stop, seed * 1000 + n)

    asyncio.run(_run_people(make, seconds, ops, result))
    return result


# ---------------------------------------------------------------- Engine side
def _engine_call(e: Any, me: str, change: Change) -> None:
    kind, aid, d = change
    if kind == "agreement":
        from datetime import date

        fields = {k: date.fromisoformat(v) if k in ("start", "review") else v for k, v in d.items()}
        e.set_agreement(
            aid,
            actor=me,
            expected_version=d["_v"],
            **{k: v for k, v in fields.items() if k != "_v"},
        )
    elif kind == "sign":
        e.sign_agreement(aid, actor=me, role=d["role"], expected_version=d["_v"])
    elif kind == "report":
        e.report_task(aid, d["task"], actor=me, expected_version=d["_v"])
    elif kind == "reopen":
        e.reopen_task(aid, d["task"], actor=me, reason=d["reason"], expected_version=d["_v"])
    elif kind == "fire":
        e.fire(aid, d["trigger"], actor=me, reason=d["reason"], expected_version=d["_v"])
    else:
        e.advance(aid, actor=me, expected_version=d["_v"])


def _engine_read(e: Any, me: str, aid: str) -> dict[str, Any]:
    from regsam_flow.views import status_json

    st = e.status(aid, actor=me)
    return status_json(st, e.kg_state(aid, actor=me))  # what GET /areas/{area} does


async def engine_person(
    e: Any,
    pool: ThreadPoolExecutor,
    me: str,
    result: Result,
    stop: Callable[[int], bool],
    seed: int,
) -> None:
    from regsam_flow.errors import RegsamFlowError

    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    held = roles_of()[me]
    i = 0
    while not stop(i):
        i += 1
        aid, role = rng.choice(held)
        t = time.perf_counter()
        st = await loop.run_in_executor(pool, _engine_read, e, me, aid)
        result.latencies.append(time.perf_counter() - t)
        kind, _aid, data = choose(rng, me, role, st, i)
        data["_v"] = st["version"]
        t = time.perf_counter()
        outcome = "done"
        try:
            await loop.run_in_executor(pool, _engine_call, e, me, (kind, aid, data))
        except RegsamFlowError as exc:
            outcome = {"conflict": "conflict", "blocked": "blocked", "not_allowed": "refused"}.get(
                exc.code, "unexpected"
            )
            if outcome == "unexpected":
                result.unexpected.append(f"{kind} {aid}: {exc.code}: {exc}")
        took = time.perf_counter() - t
        result.latencies.append(took)
        result.writes.append(took)
        result.operations += 1
        result.outcomes[outcome] += 1
        if outcome == "done":
            result.done_per_area[aid] += 1


def run_engine(url: str, seconds: float, ops: int | None, seed: int = 1) -> Result:
    """The same people and operations through one Engine, no HTTP."""
    from regsam_flow import Engine

    result = Result()
    e = Engine(url)
    with ThreadPoolExecutor(max_workers=40) as pool:

        def make(p: str, n: int, stop: Callable[[int], bool]) -> Awaitable[None]:
            return engine_person(e, pool, p, result, stop, seed * 1000 + n)

        asyncio.run(_run_people(make, seconds, ops, result))
    e.close()
    return result


# ------------------------------------------------------------------ checking
def check(url: str, before: dict[str, int], result: Result) -> None:
    """No lost update (final version = start + done changes), audit verified."""
    from regsam_flow import Engine

    e = Engine(url)
    after = {a.id: a.version for a in e.list_areas(actor="root")}
    for aid, v in sorted(before.items()):
        want = v + result.done_per_area[aid]
        if after[aid] != want:
            result.lost.append(
                f"{aid}: version {after[aid]}, expected {v} + {result.done_per_area[aid]} = {want}"
            )
    result.verified = e.verify().ok
    e.close()


# ------------------------------------------------------------------- running
def fresh_pg(base_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(base_url)
    eng = create_engine(base, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_pg(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    eng = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    eng.dispose()


def run_target(
    http_url: str, engine_url: str, servers: int, home: Path, seconds: float, ops: int | None
) -> tuple[Result, Result]:
    """HTTP against ``servers`` serve processes on ``http_url``, then the same
    through the Engine on ``engine_url`` (both fresh databases), each checked."""
    from tests.service_process import start

    before, tokens = prepare(http_url)
    procs = []
    try:
        for _ in range(servers):
            procs.append(start(http_url, home))
        http = run_http([p.url for p in procs], tokens, seconds, ops)
    finally:
        for p in procs:
            p.stop()
    check(http_url, before, http)
    before, _tokens = prepare(engine_url)
    eng = run_engine(engine_url, seconds, ops)
    check(engine_url, before, eng)
    return http, eng


def report(label: str, http: Result, eng: Result) -> None:
    def line(name: str, r: Result) -> str:
        ms = [x * 1000 for x in r.latencies]
        o = r.outcomes
        return (
            f"  {name:7} {r.requests:6d} requests in {r.seconds:5.1f} s = {r.rate():7.1f} req/s  "
            f"p50 {pct(ms, 50):6.1f} ms  p95 {pct(ms, 95):6.1f}  p99 {pct(ms, 99):6.1f}   "
            f"done {o['done']}, conflict {o['conflict']}, blocked {o['blocked']}, "
            f"refused {o['refused']}, unexpected {o['unexpected']}"
        )

    print(f"{label}")
    print(line("HTTP", http))
    print(line("Engine", eng))
    hw = [x * 1000 for x in http.writes]
    ew = [x * 1000 for x in eng.writes]
    ratio_rate = eng.rate() / http.rate() if http.rate() else float("nan")
    p50 = pct([x * 1000 for x in http.latencies], 50) / max(
        pct([x * 1000 for x in eng.latencies], 50), 1e-9
    )
    print(
        f"  HTTP / Engine: throughput {1 / ratio_rate if ratio_rate else 0:.2f}x "
        f"(Engine {ratio_rate:.2f}x faster), p50 latency {p50:.2f}x, "
        f"p50 of changes {pct(hw, 50) / max(pct(ew, 50), 1e-9):.2f}x"
    )
    for name, r in (("HTTP", http), ("Engine", eng)):
        print(
            f"  {name}: lost updates {len(r.lost)}, audit verify {'ok' if r.verified else 'FAILED'}"
        )
        for text in r.lost[:10]:
            print("    lost:", text)
        for text in r.unexpected[:20]:
            print("    unexpected:", text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="per side (default 60)")
    ap.add_argument("--ops", type=int, default=None, help="stop after this many per person")
    ap.add_argument("--stores", default="sqlite,postgresql", help="sqlite, postgresql or both")
    ap.add_argument("--quick", action="store_true", help="4 s per side, SQLite only: < 30 s")
    args = ap.parse_args(argv)
    stores = args.stores.split(",")
    if args.quick:
        args.seconds = 4.0
        if "--stores" not in (argv if argv is not None else sys.argv):
            stores = ["sqlite"]
    ok = True
    with tempfile.TemporaryDirectory(prefix="rf-service-load-") as tmp:
        folder = Path(tmp)
        targets: list[tuple[str, str, str, int]] = []
        if "sqlite" in stores:
            targets.append(
                (
                    "SQLite, one serve process",
                    f"sqlite:///{folder / 'http.db'}",
                    f"sqlite:///{folder / 'engine.db'}",
                    1,
                )
            )
        if "postgresql" in stores:
            pg = os.environ.get("REGSAM_FLOW_TEST_PG_URL")
            if pg:
                targets.append(
                    (
                        "PostgreSQL, two serve processes",
                        fresh_pg(pg, f"rf_sload_http_{os.getpid()}"),
                        fresh_pg(pg, f"rf_sload_engine_{os.getpid()}"),
                        2,
                    )
                )
            else:
                print("PostgreSQL: skipped (set REGSAM_FLOW_TEST_PG_URL)")
        print(
            f"50 people, 20 areas, {args.seconds:g} s per side"
            + (f" or {args.ops} operations per person" if args.ops else "")
            + f"; load average {os.getloadavg()[0]:.2f}"
        )
        for label, http_url, engine_url, servers in targets:
            try:
                http, eng = run_target(
                    http_url, engine_url, servers, folder / "home", args.seconds, args.ops
                )
            finally:
                if http_url.startswith("postgresql"):
                    drop_pg(http_url)
                    drop_pg(engine_url)
            report(label, http, eng)
            for r in (http, eng):
                ok = ok and not r.unexpected and not r.lost and r.verified
    print("correct: no unexpected answer, no lost update, audit verified" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
