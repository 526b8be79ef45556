"""People and the first admin."""

from __future__ import annotations

from typing import Any

from ..errors import (
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
)
from ..model import (
    Person,
)
from ..validation import check_email, check_id, check_text
from .base import EngineBase


class PeopleOps(EngineBase):
    """People and the first admin."""

    def init(self, admin: str | None = None, *, name: str = "", email: str = "") -> bool:
        """Create or upgrade the database; make ``admin`` an admin (created if
        new).  Returns True if the admin was created or promoted now."""
        self.upgrade()
        if admin is None:
            return False
        check_id(admin, "user")
        with self._write() as tx:
            person = tx.uow.get_person(admin)
            if person is not None and person.admin:
                return False
            if person is not None:
                raise InvalidInputError(
                    f"user '{admin}' exists and is not an admin; an admin can make them one",
                    field="admin",
                )
            if email:
                check_email(email)
            new = Person(admin, check_text(name or admin, "name", max_len=200), email, "", True)
            tx.uow.add_person(new, tx.now)
            tx.audit("person", actor=admin, action="person_added", details=_person_details(new))
        return True

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
        with self._write() as tx:
            me = self._person(tx.uow, actor)
            if not me.admin:
                raise NotAllowedError(f"only an admin may add people ({actor} is not)", actor=actor)
            if tx.uow.get_person(person_id) is not None:
                raise InvalidInputError(f"user '{person_id}' exists already", field="user")
            tx.uow.add_person(person, tx.now)
            tx.audit("person", actor=actor, action="person_added", details=_person_details(person))
        return person

    def get_person(self, person_id: str, *, actor: str) -> Person:
        with self._read() as uow:
            self._person(uow, actor)
            p = uow.get_person(person_id)
        if p is None:
            raise NotFoundError(f"no user '{person_id}'", kind="user", key=person_id)
        return p

    def list_people(self, *, actor: str) -> list[Person]:
        """Everybody (any known person may look up whom to assign)."""
        with self._read() as uow:
            self._person(uow, actor)
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
