"""People and the first admin."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import (
    InvalidInputError,
    NotAllowedError,
)
from ..i18n import _
from ..model import (
    Person,
)
from ..validation import check_email, check_id, check_text
from . import access
from .context import EngineContext, Tx, WriteScope
from .definitions import deploy_shipped
from .suggest import no_user

__all__ = ["PeopleService"]


class PeopleService:
    """People and the first admin."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def init(
        self,
        admin: str | None = None,
        *,
        name: str = "",
        email: str = "",
        actor: str | None = None,
        only_first: bool = False,
    ) -> bool:
        """Schema, shipped definitions and first admin (see :meth:`Engine.init`)."""
        if admin is not None:
            check_id(admin, "user")
        self.ctx.schema_changed()
        # schema upgrade, shipped definitions and admin: one transaction
        with WriteScope(self.ctx, self.ctx.store.initialise()) as tx:
            deploy_shipped(tx)
            if admin is None:
                return False
            person = tx.uow.get_person(admin)
            if person is not None and person.admin:
                return False
            by, role = admin, ""  # the first admin makes themself
            if tx.uow.has_admin():
                if only_first:
                    return False
                known = actor is not None and tx.uow.get_person(actor) is not None
                if actor is None or not known or not access.person(self.ctx, tx.uow, actor).admin:
                    raise NotAllowedError(
                        _(
                            "this database has an admin already: init only upgrades the schema; "
                            "only an admin may make {user} an admin "
                            "(regsam-flow user add --admin, regsam-flow user promote --admin)"
                        ).format(user=admin),
                        actor=actor,
                    )
                by, role = actor, "admin"
            if person is not None:
                self._promote(tx, person, by, role, admin=True, auditor=person.auditor)
                return True
            if email:
                check_email(email)
            new = Person(admin, check_text(name or admin, "name", max_len=200), email, "", True)
            tx.uow.add_person(new, tx.now)
            tx.audit(
                "person", actor=by, role=role, action="person_added", details=_person_details(new)
            )
        return True

    def promote(
        self, person_id: str, *, actor: str, admin: bool = False, auditor: bool = False
    ) -> Person:
        """Give ``person_id`` the global role admin and/or auditor (admins
        only); roles they hold already are kept.  Audited."""
        with self.ctx.write() as tx:
            me = access.person(self.ctx, tx.uow, actor)
            if not me.admin:
                raise NotAllowedError(
                    _("only an admin may make someone admin or auditor ({actor} is not)").format(
                        actor=actor
                    ),
                    actor=actor,
                )
            person = tx.uow.get_person(person_id)
            if person is None:
                raise no_user(tx.uow, person_id)
            admin, auditor = person.admin or admin, person.auditor or auditor
            if (admin, auditor) == (person.admin, person.auditor):
                return person
            return self._promote(tx, person, actor, "admin", admin=admin, auditor=auditor)

    def _promote(
        self, tx: Tx, person: Person, by: str, role: str, *, admin: bool, auditor: bool
    ) -> Person:
        tx.uow.set_global_roles(person.id, admin=admin, auditor=auditor)
        tx.audit(
            "person",
            actor=by,
            role=role,
            action="person_promoted",
            details={"person": person.id, "admin": admin, "auditor": auditor},
        )
        return replace(person, admin=admin, auditor=auditor)

    # ----------------------------------------------------------------- people
    def add_person(
        self,
        person_id: str,
        *,
        actor: str,
        name: str,
        email: str,
        org: str = "",
        admin: bool = False,
        auditor: bool = False,
    ) -> Person:
        """Add a person (admins only)."""
        person = Person(
            check_id(person_id, "user"),
            check_text(name, "name", max_len=200, required=True, multiline=False),
            check_email(email),
            check_text(org, "org", max_len=200, multiline=False),
            admin,
            auditor,
        )
        with self.ctx.write() as tx:
            me = access.person(self.ctx, tx.uow, actor)
            if not me.admin:
                raise NotAllowedError(
                    _("only an admin may add people ({actor} is not)").format(actor=actor),
                    actor=actor,
                )
            if tx.uow.get_person(person_id) is not None:
                raise InvalidInputError(
                    _("user '{user}' exists already").format(user=person_id), field="user"
                )
            tx.uow.add_person(person, tx.now)
            tx.audit("person", actor=actor, action="person_added", details=_person_details(person))
        return person

    def set_decision_mails(self, person_id: str, on: bool, *, actor: str) -> Person:
        """Whether ``person_id`` gets the KG meetings' decisions by mail: set
        by the person themself or an admin; audited (``mail_preference_changed``)."""
        if not isinstance(on, bool):
            raise InvalidInputError(_("decisions must be true or false"), field="decisions")
        with self.ctx.write() as tx:
            me = access.person(self.ctx, tx.uow, actor)
            if actor != person_id and not me.admin:
                raise NotAllowedError(
                    _(
                        "only {user} themself or an admin may change their mail "
                        "preferences ({actor} is neither)"
                    ).format(user=person_id, actor=actor),
                    actor=actor,
                )
            p = tx.uow.get_person(person_id)
            if p is None:
                raise no_user(tx.uow, person_id)
            if p.decision_mails != on:
                tx.uow.set_decision_mails(person_id, on)
                tx.audit(
                    "person",
                    actor=actor,
                    role="" if actor == person_id else "admin",
                    action="mail_preference_changed",
                    details={"person": person_id, "decision_mails": on},
                )
        return replace(p, decision_mails=on)

    def get_person(self, person_id: str, *, actor: str) -> Person:
        with self.ctx.read() as uow:
            access.person(self.ctx, uow, actor)
            p = uow.get_person(person_id)
            if p is None:
                raise no_user(uow, person_id)
        return p

    def list_people(self, *, actor: str) -> list[Person]:
        """Everybody (any known person may look up whom to assign)."""
        with self.ctx.read() as uow:
            access.person(self.ctx, uow, actor)
            return uow.list_people()


def _person_details(p: Person) -> dict[str, Any]:
    return {
        "person": p.id,
        "name": p.name,
        "email": p.email,
        "org": p.org,
        "admin": p.admin,
        "auditor": p.auditor,
    }
