"""The final documentation (Abschlussdokumentation) recorded: its bytes'
SHA-256 in the audit log, and a later check whether a file is it.

The audit log *is* the record (no table): the entry
``final_documentation_recorded`` (kind ``kg``) holds the format, size and
SHA-256 of exactly the bytes written; the newest such entry of an area is
its final documentation.  The engine renders it itself through the
:class:`~regsam_flow.ports.DocumentRenderer` port (the composition root plugs
in :mod:`regsam_flow.documents`), inside the unit of work that records it.
"""

from __future__ import annotations

import hashlib

from .. import audit as audit_mod
from ..errors import BlockedError, Blocker, InvalidInputError
from ..i18n import _
from ..kg import DocumentCheck, FinalDocument, RenderedDocument
from ..ports import UnitOfWork
from .access import area_for, counted_change, expect, member, pick_role
from .catalogue import EVALUATION_PHASE
from .context import EngineContext
from .dossier import DOSSIER_ACTIONS, dossier_in

__all__ = [
    "DOCUMENT_ROLES",
    "RECORDED",
    "FinalDocumentService",
    "final_document_in",
]

#: Who records the final documentation: the moderation writes it (concept
#: paper, phase table).
DOCUMENT_ROLES = ("moderation",)
#: The audit action that records it.
RECORDED = "final_documentation_recorded"


class FinalDocumentService:
    """Recording an area's final documentation and checking a file against it."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def record(
        self, area_id: str, *, fmt: str, actor: str, expected_version: int | None = None
    ) -> RenderedDocument:
        """Render the area's final documentation in ``fmt`` and record it:
        moderation only, and only in the evaluation phase
        (:data:`~regsam_flow.engine.catalogue.EVALUATION_PHASE`): the
        documentation reports the rated results, and closing the area needs
        it recorded (guard ``final_documentation_recorded``).  The engine
        renders it itself (:attr:`EngineContext.renderer`), from the data
        of the same unit of work that records its hash: what is recorded is
        what the data says, never a file someone hands in.  A newer record
        replaces the older one (both stay in the audit log)."""
        renderer = self.ctx.renderer
        if fmt not in renderer.formats:
            raise InvalidInputError(
                _("format: {value} is not one of {known}").format(
                    value=repr(fmt), known=", ".join(renderer.formats)
                ),
                field="format",
            )
        with self.ctx.write() as tx:
            area, _wf, roles = member(
                self.ctx,
                tx.uow,
                area_id,
                actor,
                DOCUMENT_ROLES,
                _("record the final documentation"),
            )
            expect(area, expected_version)
            if area.state != EVALUATION_PHASE:
                raise BlockedError(
                    _(
                        "the final documentation is recorded in the phase {phase}; "
                        "area '{area}' is in {state}; nothing was written"
                    ).format(phase=EVALUATION_PHASE, area=area_id, state=area.state),
                    [
                        Blocker(
                            "not_in_evaluation",
                            _(
                                "recording the final documentation needs the phase "
                                "{phase} (now {state})"
                            ).format(phase=EVALUATION_PHASE, state=area.state),
                        )
                    ],
                    area=area_id,
                )
            dossier = dossier_in(self.ctx, tx.uow, area, tx.uow.get_assignments(area_id))
            content = renderer.render(dossier, fmt)
            counted_change(
                tx,
                area,
                "kg",
                actor=actor,
                role=pick_role(roles, DOCUMENT_ROLES),
                action=RECORDED,
                details={
                    "format": fmt,
                    "size": len(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                },
            )
            found = final_document_in(tx.uow, area_id)
        assert found is not None  # just written in this unit of work
        return RenderedDocument(found, content)

    def check(self, area_id: str, content: bytes, *, actor: str) -> DocumentCheck:
        """Whether ``content`` is the area's recorded final documentation
        (the same SHA-256); anyone who may read the area may check."""
        digest = hashlib.sha256(content).hexdigest()
        with self.ctx.read() as uow:
            area, _me, _roles, _assignments = area_for(self.ctx, uow, area_id, actor)
            final = self.ctx.workflow(area).is_final(area.state)
            recorded = final_document_in(uow, area_id, final=final)
        return DocumentCheck(
            area_id,
            len(content),
            digest,
            recorded,
            recorded is not None and recorded.sha256 == digest,
        )


def final_document_in(
    uow: UnitOfWork, area_id: str, *, final: bool = False
) -> FinalDocument | None:
    """The area's final documentation as its newest audit entry
    :data:`RECORDED` holds it (None: none recorded), read in ``uow``, with
    the changes to its data since (:data:`~.dossier.DOSSIER_ACTIONS`); for
    an area in a ``final`` state, transitions (its closing) do not count."""
    recorded = uow.query_audit(area=area_id, actions=[RECORDED])
    if not recorded:
        return None
    e = recorded[-1]
    counted = DOSSIER_ACTIONS - {"transition"} if final else DOSSIER_ACTIONS
    later = uow.query_audit(area=area_id, actions=sorted(counted), after=e.seq)
    d = e.to_dict()["details"]
    return FinalDocument(
        area=area_id,
        format=str(d["format"]),
        size=int(d["size"]),
        sha256=str(d["sha256"]),
        recorded_by=e.actor,
        recorded_at=audit_mod.parse_ts(e.at),
        seq=e.seq,
        changes_since=tuple(x.action for x in later),
    )
