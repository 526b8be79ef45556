"""selection nominate, from-screen, assess, vote, decide, list, show."""

from __future__ import annotations

from typing import Any

import click

from regsam_flow.i18n import _
from regsam_flow.kg_views import assessment_json, ballot_json, candidate_json, decision_json
from regsam_flow.views import status_json

from .app import cli
from .area_cmds import print_next
from .common import json_option
from .context import Ctx, pass_ctx
from .output import echo, echo_json, kv, table

__all__ = ["selection"]

#: Who may nominate: the choices of the selection workflow's source field
#: (here, for the usage error and --help; a test keeps them equal).
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
    from regsam_flow.model import Nomination

    new = Nomination(
        candidate,
        name=name,
        round=round_,
        source=source,
        district=district,
        area=area_id or "",
        quarter=quarter,
        scope=scope,
        reasons=reasons,
    )
    [c] = obj.engine.nominate([new], actor=obj.user, like=like)
    if obj.json:
        echo_json({"candidate": candidate, **obj.engine.nomination_fields(new)})
    else:
        echo(
            _(
                "Nominated {candidate} ({name}) for round {round}; "
                "if selected it becomes area {area}."
            ).format(candidate=candidate, name=name, round=round_, area=c.area)
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
    from regsam_flow.engine.selection import slug
    from regsam_flow.errors import InvalidInputError
    from regsam_flow.model import Nomination
    from regsam_flow.screen import INDICATORS, read_quarters, screen

    label = dict(INDICATORS)
    read = read_quarters(path)
    rows = {q.id: q.row for q in read}
    result = screen(read)
    by_id = {q.id: q for q in result.quarters}
    unknown = [q for q in quarters if q not in by_id]
    if unknown:
        raise InvalidInputError(
            _("no quarter {quarters} in {path}").format(quarters=", ".join(unknown), path=path),
            field="quarter",
        )
    chosen = [by_id[q] for q in quarters] if quarters else list(result.qualifying)
    # every row is checked before anything is written; then all in one transaction
    candidates = []
    done = []
    for q in chosen:
        where = _("row {row} (quarter {quarter}, {name})").format(
            row=rows[q.id], quarter=q.id, name=q.name
        )
        candidate = f"{round_}-{slug(q.name)}"
        if len(candidate) > 64:
            raise InvalidInputError(
                _(
                    "{where}: its candidate id {candidate} would be longer than 64 characters; "
                    "nominate it with `regsam-flow selection nominate` and a shorter id, "
                    "and leave it out here with --quarter"
                ).format(where=where, candidate=candidate),
                field="quarter",
            )
        reasons = (
            f"Monitoring {round_}: {q.count} von 13 Werten mindestens 30 % über dem "
            f"Mittel ({', '.join(label.get(c, c) for c in q.counted)}); {q.population} Einwohner"
        )
        candidates.append(
            Nomination(
                candidate,
                name=q.name,
                round=round_,
                source="monitoring",
                district=q.district,
                quarter=q.id,
                scope=f"{q.name} (Viertel {q.id})",
                reasons=reasons,
                label=where,
            )
        )
        done.append({"candidate": candidate, "quarter": q.id, "name": q.name, "count": q.count})
    if candidates or like:  # with none, this still checks --like
        try:
            obj.engine.nominate(candidates, actor=obj.user, like=like)
        except InvalidInputError as exc:
            failed = [
                q
                for q, n in zip(chosen, candidates, strict=True)
                if exc.message.startswith(n.label)
            ]
            if exc.field == "area" and failed:  # a quarter that cannot be nominated
                others = [q for q in chosen if q.id != failed[0].id]
                exc.message += (
                    _("; to leave quarter {quarter} out, name the others: {options}").format(
                        quarter=failed[0].id,
                        options=" ".join(f"--quarter {q.id}" for q in others),
                    )
                    if others
                    else _("; leave quarter {quarter} out").format(quarter=failed[0].id)
                )
                exc.args = (exc.message, *exc.args[1:])
            raise
    if obj.json:
        echo_json(done)
    elif not done:
        echo(_("No quarter qualifies; nothing nominated."))
    else:
        for d in done:
            echo(
                _("Nominated {candidate} ({name}, {count} of 13).").format(
                    candidate=d["candidate"], name=d["name"], count=d["count"]
                )
            )


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
    from regsam_flow.errors import InvalidInputError

    try:
        done = obj.engine.assess(
            candidate,
            actor=obj.user,
            fits=fits,
            hours=hours,
            duration=duration,
            special_programme=special_programme,
            reason=reason,
        )
    except InvalidInputError as exc:
        if exc.field == "reason":
            raise click.UsageError(
                _("{message}; give --reason").format(message=exc.message)
            ) from None
        raise
    result = done.result
    if obj.json:
        echo_json(assessment_json(done))
    elif done.missing:
        echo(
            _("Assessment of {candidate} saved; still missing: {missing}.").format(
                candidate=candidate, missing=", ".join(done.missing)
            )
        )
    elif result and result.to_state == "ausgeschlossen":
        echo(_("{candidate} is excluded (special programme).").format(candidate=candidate))
    else:
        echo(
            _(
                "{candidate} is assessed; the 4er-Gremium votes now "
                "(regsam-flow selection vote {candidate} yes|no)."
            ).format(candidate=candidate)
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
    ballot = obj.engine.cast_vote(candidate, choice == "yes", actor=obj.user, reason=reason)
    r = ballot.result
    if obj.json:
        echo_json(ballot_json(candidate, ballot))
    elif r is None:
        echo(
            _("Vote recorded ({cast} of {seats} cast).").format(
                cast=ballot.cast, seats=ballot.seats
            )
        )
    else:
        echo(
            _("Vote recorded; the 4er-Gremium has decided: {trigger} -> {state}.").format(
                trigger=r.trigger, state=r.to_state
            )
        )


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
    r = obj.engine.decide(candidate, decision, actor=obj.user, reason=reason)
    if obj.json:
        echo_json(decision_json(candidate, decision, r))
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
    rows = [candidate_json(c) for c in obj.engine.candidates(actor=obj.user, round=round_)]
    if obj.json:
        echo_json(rows)
        return
    table(
        [_("candidate"), _("round"), _("source"), _("phase"), _("name")],
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
            (_("candidate"), f"{st.area.id} ({st.area.name})"),
            (_("phase"), f"{st.state_title} ({st.area.state})"),
        ]
        + [(f.title, _show(st.fields[f.id])) for f in wf.definition.fields if f.id in st.fields]
    )
    if st.votes:
        echo("\n" + _("Votes of the 4er-Gremium"))
        for v in st.votes:
            echo(
                f"  {v.person} ({v.role}): {_('yes') if v.yes else _('no')}"
                + (f" – {v.reason}" if v.reason else "")
            )
    echo("\n" + _("Next steps"))
    print_next(
        st.next,
        _("none: the candidate was decided or withdrawn ({phase})").format(phase=st.state_title),
    )


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)
