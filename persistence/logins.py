"""PostgreSQL logins and the audit log: a person's login writes entries only
as that person (migration 0009's trigger), the service's and schedulers'
logins (in :data:`SERVICE_ROLE`) for anyone.

What the SQL store makes of the database's answers: a refused entry
(SQLSTATE :data:`ACTOR_NOT_BOUND`) as :class:`NotAllowedError`, group roles
the migration cannot create as :class:`SchemaError`.  SQLite has no logins.
"""

from __future__ import annotations

import json

from sqlalchemy.exc import DBAPIError

from regsam_flow.errors import NotAllowedError, SchemaError
from regsam_flow.i18n import _

__all__ = [
    "ACTOR_NOT_BOUND",
    "PERSON_ROLE",
    "SERVICE_ROLE",
    "actor_refused",
    "roles_missing",
]

#: The group role of people's logins (one each, named like the person's id).
PERSON_ROLE = "regsam_person"
#: The group role of the service's and the schedulers' logins: they act for
#: many people and may write any actor.
SERVICE_ROLE = "regsam_service"
#: The SQLSTATE of an audit entry the database refused (class ``RF``:
#: regsam-flow's own, so no other error is taken for it); its DETAIL holds
#: the login, the actor and whether that person exists, as JSON.
ACTOR_NOT_BOUND = "RF001"


def actor_refused(exc: DBAPIError) -> NotAllowedError | None:
    """The :class:`NotAllowedError` for an audit entry the database refused
    because the login is a person's and the actor someone else (or no
    person has the login's name); None for any other error."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) != ACTOR_NOT_BOUND:
        return None
    try:
        found = json.loads(getattr(getattr(orig, "diag", None), "message_detail", None) or "")
        login, actor, person = str(found["login"]), str(found["actor"]), bool(found["person"])
    except (ValueError, TypeError, KeyError):
        login, actor, person = "?", "?", True
    if not person:
        message = _(
            "the database refused the change: {login} is a person's database login, "
            "and there is no person {login}; nothing was written (an admin adds the "
            "person, or the login belongs in regsam_service)"
        ).format(login=login)
    else:
        message = _(
            "the database refused the change: {login} is a person's database login and "
            "acts only as {login}, not as {actor}; nothing was written"
        ).format(login=login, actor=actor)
    return NotAllowedError(message, actor=actor)


def roles_missing(login: str, missing: list[str], found: str, expected: str) -> SchemaError:
    """The error of an upgrade that needs group roles ``login`` may not create."""
    sql = " ".join(f"CREATE ROLE {role} NOLOGIN;" for role in missing)
    return SchemaError(
        _(
            "the database needs the group roles {roles}, and the login {login} may not "
            "create them (that needs CREATEROLE); nothing was changed. As the database "
            "superuser run `{sql}`, then `regsam-flow init` again (README, 'Running for a team')"
        ).format(roles=", ".join(missing), login=login, sql=sql),
        found=found,
        expected=expected,
    )
