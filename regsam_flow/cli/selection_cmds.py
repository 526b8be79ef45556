"""selection nominate, from-screen, assess, vote, decide, list, show."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

import click

from .app import cli
from .area_cmds import print_next, status_json
from .common import json_option
from .context import Ctx, pass_ctx
from .output import echo, echo_json, kv, table

if TYPE_CHECKING:
    from regsam_flow.engine import Engine
    from regsam_flow.model import NewArea

__all__ = ["selection"]

WORKFLOW = "gebietsauswahl"
DECISIONS = {
    "arge": {"select": "arge_auswaehlen", "reject": "arge_ablehnen", "dissent": "arge_dissens"},
    "leitung": {"select": "leitung_auswaehlen", "reject": "leitung_ablehnen"},
}
SOURCES = ["monitoring", "rags", "sbh", "bezirksausschuss", "sozialplanung"]


@cli.group()
def selection() -> None:
    """Selecting focus areas: nominate, assess, vote, decide.

    Each candidate is an instance of the workflow gebietsauswahl: nominated
    -> assessed -> the 4er-Gremium (2 REGSAM, 2 social planning) votes; four
    yes select it, four no reject it, anything else is dissent for the ARGE
    Freie/Öffentliche, and then for the head of the social department.  A
    selected candidate becomes a focus area in phase Vorlauf.
    """


def slug(text: str) -> str:
    """hasenbergl-nord from "Hasenbergl-Nord"; ä -> ae, ß -> ss."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = text.replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:64] or "gebiet"


def _panel(engine: Engine, actor: str, like: str | None) -> tuple[tuple[str, str], ...]:
    """The roles of candidate ``like`` (all but its nominator), to copy."""
    from regsam_flow.errors import InvalidInputError

    if not like:
        return ()
    shown = engine.status(like, actor=actor)
    if shown.area.workflow != WORKFLOW:
        raise InvalidInputError(f"{like} is no candidate of a selection", field="like")
    return tuple((r, p) for r, people in shown.roles.items() for p in people if r != "nominator")


def _candidate(
    candidate: str,
    *,
    actor: str,
    name: str,
    district: str,
    fields: dict[str, Any],
    panel: tuple[tuple[str, str], ...],
    label: str = "",
) -> NewArea:
    """The candidate, its nominator and panel, and its nomination fields."""
    from regsam_flow.model import NewArea

    return NewArea(
        candidate,
        name=name,
        district=district,
        workflow=WORKFLOW,
        members=(("nominator", actor), *panel),
        fields={k: v for k, v in fields.items() if v not in (None, "")},
        label=label,
    )


def _nominate(engine: Engine, actor: str, candidates: list[NewArea]) -> None:
    """Nominate all ``candidates`` in one transaction, or none.  Each would
    become the focus area its field ``gebiet`` names: that area must not
    exist yet, nor be named by two candidates."""
    from regsam_flow.errors import InvalidInputError, NotFoundError

    seen: dict[str, NewArea] = {}
    for new in candidates:
        target = str(new.fields["gebiet"])
        where = f"{new.label}: " if new.label else ""
        if target in seen:
            raise InvalidInputError(
                f"{where}it would become area '{target}', as {seen[target].label} would",
                field="area",
            )
        seen[target] = new
        try:
            engine.get_area(target, actor=actor)
        except NotFoundError:
            pass
        else:
            raise InvalidInputError(f"{where}an area '{target}' exists already", field="area")
    engine.create_areas(candidates, actor=actor)


@selection.command("nominate")
@click.argument("candidate", metavar="CANDIDATE")
@click.option("--round", "round_", required=True, help="The selection round, e.g. 2027.")
@click.option("--name", required=True, help="Name of the quarter, e.g. Hasenbergl-Nord.")
@click.option("--district", default="", help="The city district.")
@click.option("--area", "area_id", help="Id of the focus area if selected [default: from --name].")
@click.option("--source", type=click.Choice(SOURCES), required=True, help="Who nominated it.")
@click.option("--quarter", default="", help="The district quarter's number, e.g. 24.11.")
@click.option("--scope", default="", help="Scope of the area (Umgriff).")
@click.option("--reasons", default="", help="Reasons for choosing it.")
@click.option("--like", metavar="CANDIDATE", help="Copy the panel (roles) of this candidate.")
@json_option
@pass_ctx
def nominate(
    obj: Ctx,
    candidate: str,
    round_: str,
    name: str,
    district: str,
    area_id: str | None,
    source: str,
    quarter: str,
    scope: str,
    reasons: str,
    like: str | None,
) -> None:
    """Nominate a candidate quarter (admins).  You become its nominator.

    \b
    Example:
      regsam-flow selection nominate 2027-hasenbergl-nord --round 2027 \\
          --name Hasenbergl-Nord --source rags --reasons "Nennung RAGS 24"
    """
    fields = {
        "runde": round_,
        "quelle": source,
        "gebiet": area_id or slug(name),
        "viertel": quarter,
        "umgriff": scope or name,
        "gruende": reasons,
    }
    panel = _panel(obj.engine, obj.user, like)
    new = _candidate(
        candidate, actor=obj.user, name=name, district=district, fields=fields, panel=panel
    )
    _nominate(obj.engine, obj.user, [new])
    if obj.json:
        echo_json({"candidate": candidate, **fields})
    else:
        echo(
            f"Nominated {candidate} ({name}) for round {round_}; "
            f"if selected it becomes area {fields['gebiet']}."
        )


@selection.command("from-screen")
@click.argument("path", metavar="FILE.csv", type=click.Path(dir_okay=False))
@click.option("--round", "round_", required=True, help="The selection round, e.g. 2027.")
@click.option(
    "--quarter",
    "quarters",
    multiple=True,
    help="Nominate this quarter (repeatable) [default: every qualifying one].",
)
@click.option("--like", metavar="CANDIDATE", help="Copy the panel (roles) of this candidate.")
@json_option
@pass_ctx
def from_screen(
    obj: Ctx, path: str, round_: str, quarters: tuple[str, ...], like: str | None
) -> None:
    """Nominate quarters straight from the monitoring screen (admins).

    Screens FILE.csv with the default rule (see `regsam-flow screen --help`)
    and nominates every qualifying quarter, or those named with --quarter.
    All or nothing: every row is checked first, and if one cannot be
    nominated, none is; the error names its row.

    \b
    Example:
      regsam-flow selection from-screen monitoring-2027.csv --round 2027
    """
    from regsam_flow.errors import InvalidInputError
    from regsam_flow.screen import INDICATORS, read_quarters, screen

    label = dict(INDICATORS)
    read = read_quarters(path)
    rows = {q.id: q.row for q in read}
    result = screen(read)
    by_id = {q.id: q for q in result.quarters}
    unknown = [q for q in quarters if q not in by_id]
    if unknown:
        raise InvalidInputError(f"no quarter {', '.join(unknown)} in {path}", field="quarter")
    chosen = [by_id[q] for q in quarters] if quarters else list(result.qualifying)
    panel = _panel(obj.engine, obj.user, like)
    # every row is checked before anything is written; then all in one transaction
    candidates = []
    done = []
    for q in chosen:
        where = f"row {rows[q.id]} (quarter {q.id}, {q.name})"
        candidate = f"{round_}-{slug(q.name)}"
        if len(candidate) > 64:
            raise InvalidInputError(
                f"{where}: its candidate id {candidate} would be longer than 64 characters; "
                "nominate it with `regsam-flow selection nominate` and a shorter id, "
                "and leave it out here with --quarter",
                field="quarter",
            )
        reasons = (
            f"Monitoring {round_}: {q.count} von 13 Werten mindestens 30 % über dem "
            f"Mittel ({', '.join(label.get(c, c) for c in q.counted)}); {q.population} Einwohner"
        )
        fields = {
            "runde": round_,
            "quelle": "monitoring",
            "gebiet": slug(q.name),
            "viertel": q.id,
            "umgriff": f"{q.name} (Viertel {q.id})",
            "gruende": reasons,
        }
        candidates.append(
            _candidate(
                candidate,
                actor=obj.user,
                name=q.name,
                district=q.district,
                fields=fields,
                panel=panel,
                label=where,
            )
        )
        done.append({"candidate": candidate, "quarter": q.id, "name": q.name, "count": q.count})
    if candidates:
        _nominate(obj.engine, obj.user, candidates)
    if obj.json:
        echo_json(done)
    elif not done:
        echo("No quarter qualifies; nothing nominated.")
    else:
        for d in done:
            echo(f"Nominated {d['candidate']} ({d['name']}, {d['count']} of 13).")


@selection.command("assess")
@click.argument("candidate", metavar="CANDIDATE")
@click.option("--fits", type=click.Choice(["yes", "no"]), help="Fits REGSAM's work?")
@click.option(
    "--hours",
    type=click.IntRange(min=0, max=60),
    help="Hours per week of REGSAM moderation needed.",
)
@click.option("--duration", help='Expected duration, e.g. "2 Jahre".')
@click.option(
    "--special-programme",
    type=click.Choice(["yes", "no"]),
    help="Does a special programme already run there? (excludes it)",
)
@click.option("--reason", default="", help="Why it is excluded (with a special programme).")
@json_option
@pass_ctx
def assess(
    obj: Ctx,
    candidate: str,
    fits: str | None,
    hours: int | None,
    duration: str | None,
    special_programme: str | None,
    reason: str,
) -> None:
    """Record the assessment (REGSAM or social-planning members).

    Once complete, the candidate goes to the 4er-Gremium's vote, or is
    excluded when a special programme already runs there (needs --reason).

    \b
    Example:
      regsam-flow selection assess 2027-hasenbergl-nord --fits yes --hours 10 \\
          --duration "2 Jahre" --special-programme no
    """
    engine = obj.engine
    values = {
        "passt_zu_regsam": fits,
        "stunden_pro_woche": hours,
        "dauer": duration,
        "sonderprogramm": special_programme,
    }
    values = {k: v for k, v in values.items() if v is not None}
    current = engine.fields(candidate, actor=obj.user)
    merged = {**current, **values}
    if merged.get("sonderprogramm") in (True, "yes") and not reason:
        raise click.UsageError("a special programme excludes the candidate: give --reason")
    if values:
        engine.set_fields(candidate, values, actor=obj.user)
    special = merged.get("sonderprogramm") in (True, "yes")
    trigger = "ausschliessen" if special else "bewerten"
    wf = engine.workflows.get(WORKFLOW)
    need = next(t.requires for t in wf.definition.transitions if t.trigger == trigger)
    missing = [k for k in need if merged.get(k) in (None, "")]
    result = None
    if not missing:
        result = engine.fire(candidate, trigger, actor=obj.user, reason=reason)
    if obj.json:
        echo_json(
            {
                "candidate": candidate,
                "missing": missing,
                "state": result.to_state if result else None,
            }
        )
    elif missing:
        echo(f"Assessment of {candidate} saved; still missing: {', '.join(missing)}.")
    elif result and result.to_state == "ausgeschlossen":
        echo(f"{candidate} is excluded (special programme).")
    else:
        echo(
            f"{candidate} is assessed; the 4er-Gremium votes now "
            f"(regsam-flow selection vote {candidate} yes|no)."
        )


@selection.command("vote")
@click.argument("candidate", metavar="CANDIDATE")
@click.argument("choice", type=click.Choice(["yes", "no"]))
@click.option("--reason", default="", help="A reason, recorded with the vote.")
@json_option
@pass_ctx
def vote(obj: Ctx, candidate: str, choice: str, reason: str) -> None:
    """Vote in the 4er-Gremium (2 REGSAM, 2 social-planning members).

    The fourth vote decides: four yes select the candidate, four no reject
    it, anything else goes to the ARGE Freie/Öffentliche.

    \b
    Example:
      regsam-flow --as rita selection vote 2027-hasenbergl-nord yes
    """
    r = obj.engine.vote(candidate, choice == "yes", actor=obj.user, reason=reason)
    if obj.json:
        echo_json({"candidate": candidate, "vote": choice, "outcome": r.to_state if r else None})
    elif r is None:
        left = len(obj.engine.votes(candidate, actor=obj.user))
        echo(f"Vote recorded ({left} of 4 cast).")
    else:
        echo(f"Vote recorded; the 4er-Gremium has decided: {r.trigger} -> {r.to_state}.")


@selection.command("decide")
@click.argument("candidate", metavar="CANDIDATE")
@click.argument("decision", type=click.Choice(["select", "reject", "dissent"]))
@click.option("--reason", default="", help="Why; required for dissent.")
@json_option
@pass_ctx
def decide(obj: Ctx, candidate: str, decision: str, reason: str) -> None:
    """The ARGE Freie/Öffentliche (on dissent), or finally the head of the
    social department, decides.  The ARGE may pass a remaining dissent on.

    \b
    Example:
      regsam-flow --as arne selection decide 2027-hasenbergl-nord select
    """
    from regsam_flow.errors import BlockedError, Blocker

    engine = obj.engine
    st = engine.get_area(candidate, actor=obj.user).state
    trigger = DECISIONS.get(st, {}).get(decision)
    if trigger is None:
        raise BlockedError(
            f"'{decision}' is not a decision to take in phase {st}",
            [
                Blocker(
                    "wrong_state",
                    "only the ARGE (phase arge) or the head of the social "
                    "department (phase leitung) decide; 'dissent' only the ARGE",
                )
            ],
            area=candidate,
        )
    r = engine.fire(candidate, trigger, actor=obj.user, reason=reason)
    if obj.json:
        echo_json({"candidate": candidate, "decision": decision, "state": r.to_state})
    else:
        echo(f"{candidate}: {r.from_state} -> {r.to_state}.")


@selection.command("list")
@click.option("--round", "round_", help="Only candidates of this round.")
@json_option
@pass_ctx
def list_(obj: Ctx, round_: str | None) -> None:
    """The candidates you may see, with their phase.

    \b
    Example:
      regsam-flow selection list --round 2027
    """
    engine = obj.engine
    rows = []
    for a in engine.list_areas(actor=obj.user):
        if a.workflow != WORKFLOW:
            continue
        f = engine.fields(a.id, actor=obj.user)
        if round_ and f.get("runde") != round_:
            continue
        rows.append(
            {
                "candidate": a.id,
                "name": a.name,
                "round": f.get("runde"),
                "source": f.get("quelle"),
                "state": a.state,
                "area": f.get("gebiet"),
            }
        )
    if obj.json:
        echo_json(rows)
        return
    table(
        ["candidate", "round", "source", "phase", "name"],
        [[r["candidate"], r["round"], r["source"], r["state"], r["name"]] for r in rows],
    )


@selection.command("show")
@click.argument("candidate", metavar="CANDIDATE")
@json_option
@pass_ctx
def show(obj: Ctx, candidate: str) -> None:
    """A candidate: nomination, assessment, votes and next steps.

    \b
    Example:
      regsam-flow selection show 2027-hasenbergl-nord
    """
    st = obj.engine.status(candidate, actor=obj.user)
    if obj.json:
        echo_json(status_json(st))
        return
    wf = obj.engine.workflows.get(st.area.workflow, st.area.workflow_version)
    kv(
        [
            ("candidate", f"{st.area.id} ({st.area.name})"),
            ("phase", f"{st.state_title} ({st.area.state})"),
        ]
        + [(f.id, _show(st.fields[f.id])) for f in wf.definition.fields if f.id in st.fields]
    )
    if st.votes:
        echo("\nVotes of the 4er-Gremium")
        for v in st.votes:
            echo(
                f"  {v.person} ({v.role}): {'yes' if v.yes else 'no'}"
                + (f" – {v.reason}" if v.reason else "")
            )
    echo("\nNext steps")
    print_next(st.next)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nein"
    return str(value)
