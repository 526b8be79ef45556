"""Deploying workflow definitions: the rules areas run on, stored in the database."""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidInputError, InvalidWorkflowError, NotAllowedError
from ..i18n import _
from ..model import StoredWorkflow
from ..shipped import SYSTEM_ACTOR
from ..workflows import BUILTIN_DIR, Workflow, parse_workflow, text_hash
from ..workflows.cache import load_stored
from .access import person
from .context import EngineContext, Tx

__all__ = ["SYSTEM_ACTOR", "DefinitionService", "deploy", "deploy_shipped"]


def read_definition(path: Path | str) -> str:
    """A definition file's text, or an error naming the file."""
    p = Path(path)
    try:
        return p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        problem = _("no such file")
    except UnicodeDecodeError as exc:
        problem = _("not UTF-8 text ({reason})").format(reason=exc.reason)
    except OSError as exc:
        problem = exc.strerror or str(exc)
    raise InvalidWorkflowError(f"{p}: (file): {problem}", source=str(p), element="(file)")


class DefinitionService:
    """Deploying workflow definitions."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def deploy_workflow(self, path: Path | str, *, actor: str) -> tuple[Workflow, bool]:
        """Deploy a definition file (see :meth:`Engine.deploy_workflow`)."""
        return self.deploy_text(read_definition(path), str(path), actor=actor)

    def deploy_text(self, text: str, source: str, *, actor: str) -> tuple[Workflow, bool]:
        """Deploy a definition given as text (see :meth:`Engine.deploy_workflow_text`)."""
        name = Path(source).name
        if not name.strip():
            raise InvalidInputError(
                _("source: give the definition's file name, such as my-workflow.yaml"),
                field="source",
            )
        wf = parse_workflow(text, source, self.ctx.guards)
        with self.ctx.write() as tx:
            me = person(self.ctx, tx.uow, actor)
            if not me.admin:
                raise NotAllowedError(
                    _("only an admin may deploy workflow definitions ({actor} is not)").format(
                        actor=actor
                    ),
                    actor=actor,
                )
            new = deploy(tx, wf, text, name, actor, "admin")
        if new:
            self.ctx.forget_workflows()  # read again, with the new one
        return wf, new


def deploy(tx: Tx, wf: Workflow, text: str, source: str, actor: str, role: str) -> bool:
    """Store a parsed definition (audited); False if that text is deployed already."""
    digest = text_hash(text)
    stored = {(d.name, d.version): d for d in tx.uow.list_workflow_definitions()}
    old = stored.get(wf.key)
    if old is not None:
        if old.hash == digest:
            return False
        raise InvalidWorkflowError(
            _(
                "{source}: name/version: {workflow} version {version} is deployed "
                "already with other content (hash {hash}, from {stored}, by "
                "{by}): a deployed definition never changes; give yours a new "
                "version"
            ).format(
                source=wf.source,
                workflow=wf.name,
                version=wf.version,
                hash=old.hash[:12],
                stored=old.source,
                by=old.deployed_by,
            ),
            source=wf.source,
            element="version",
        )
    names = {n for n, _v in stored} | {wf.name}
    for i, st in enumerate(wf.definition.states):
        if st.create_area and st.create_area.workflow not in names:
            element = f"states[{i}] ({st.id}).create_area.workflow"
            raise InvalidWorkflowError(
                _("{source}: {element}: no workflow named '{workflow}' is deployed").format(
                    source=wf.source, element=element, workflow=st.create_area.workflow
                ),
                source=wf.source,
                element=element,
            )
    tx.uow.add_workflow_definition(
        StoredWorkflow(wf.name, wf.version, digest, text, source, actor, tx.now)
    )
    tx.audit(
        "workflow",
        actor=actor,
        role=role,
        action="workflow_deployed",
        details={"workflow": wf.name, "version": wf.version, "hash": digest, "source": source},
    )
    return True


def deploy_shipped(tx: Tx) -> int:
    """Deploy the shipped definitions the database does not hold yet (a
    stored one is kept as it is: the database wins); returns how many.  A
    file whose very text is deployed is not parsed again; the others are
    read through the definition cache, keyed by their hash."""
    deployed = tx.uow.list_workflow_definitions()
    stored = {(d.name, d.version) for d in deployed}
    hashes = {d.hash for d in deployed}
    todo = []
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        text = read_definition(path)
        digest = text_hash(text)
        if digest in hashes:
            continue
        wf = load_stored(text, digest, str(path), tx.ctx.guards)
        if wf.key not in stored:
            todo.append((wf, text, path.name))
    # a definition creating areas of another goes after that one
    todo.sort(key=lambda t: any(s.create_area for s in t[0].definition.states))
    for wf, text, name in todo:
        deploy(tx, wf, text, name, SYSTEM_ACTOR, "")
    if todo:
        tx.ctx.forget_workflows()
    return len(todo)
