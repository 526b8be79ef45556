"""PostgreSQL: a person's database login writes the audit log only as that
person, whatever the client claims (``--as``, ``REGSAM_FLOW_BIND_LOGIN`` left
out, raw SQL).

Two NOLOGIN group roles, made here if the cluster has none yet:
``regsam_person`` for the logins of people (one each, named like the
person's id) and ``regsam_service`` for the logins of the service
(``regsam-flow serve``) and the schedulers, which act for many people.  A
BEFORE INSERT trigger on ``audit_log`` lets an entry through when the
session's login (``session_user``: ``SET ROLE`` does not change it)

- is a superuser, or
- is not in ``regsam_person`` and is in ``regsam_service`` or in the role
  owning ``audit_log`` (the login that runs the migrations, ``init``), or
- is the entry's actor, and a person with that id exists.

Every other login counts as a person login: one that is in no group of
these (a login set up before this revision, a forgotten grant) is held to
its own person as well.  A refused entry raises SQLSTATE ``RF001``
(``persistence.logins.ACTOR_NOT_BOUND``) with the login, the actor and
whether the person exists as JSON in the DETAIL; the SQL store answers it as
``NotAllowedError``.  A migration runner that may not create the missing
roles gets one ``SchemaError`` naming the SQL a superuser runs.  SQLite has
no logins: nothing changes there.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from regsam_flow.persistence.logins import (
    ACTOR_NOT_BOUND,
    PERSON_ROLE,
    SERVICE_ROLE,
    roles_missing,
)
from regsam_flow.persistence.migrating import offline

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CREATE_ROLE = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
    CREATE ROLE {role} NOLOGIN;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN
    NULL;  -- made meanwhile, for another database of the cluster
END
$$
"""

ACTOR_FUNCTION = f"""
CREATE FUNCTION audit_log_actor_bound() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  login name := session_user;
  known boolean;
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = login) THEN
    RETURN NEW;
  END IF;
  IF NOT pg_has_role(login, '{PERSON_ROLE}', 'MEMBER') AND (
       pg_has_role(login, '{SERVICE_ROLE}', 'MEMBER')
       OR pg_has_role(login, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')
     ) THEN
    RETURN NEW;
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.people WHERE id = $1)', TG_TABLE_SCHEMA)
    INTO known USING login::text;
  IF NEW.actor = login::text AND known THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION USING
    ERRCODE = '{ACTOR_NOT_BOUND}',
    MESSAGE = format(
      'audit entry refused: the database login %s is a person login and writes only as '
      'the person %s (who must exist), not as %s', quote_ident(login), quote_literal(login),
      quote_literal(NEW.actor)),
    DETAIL = json_build_object('login', login, 'actor', NEW.actor, 'person', known)::text,
    HINT = 'logins of the service and of schedulers belong in {SERVICE_ROLE}';
END
$$
"""

ACTOR_TRIGGER = """
CREATE TRIGGER audit_log_actor_bound BEFORE INSERT ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_actor_bound()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    roles = (PERSON_ROLE, SERVICE_ROLE)
    if offline():  # SQL to review: each role made where missing, when it runs
        for role in roles:
            op.execute(CREATE_ROLE.format(role=role))
        op.execute(ACTOR_FUNCTION)
        op.execute(ACTOR_TRIGGER)
        return
    bind = op.get_bind()
    have = {
        name
        for (name,) in bind.execute(
            sa.text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:roles)"),
            {"roles": list(roles)},
        )
    }
    missing = [role for role in roles if role not in have]
    may_create = bind.execute(
        sa.text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    if missing and not may_create:
        login = str(bind.execute(sa.text("SELECT current_user")).scalar())
        raise roles_missing(login, missing, found=str(down_revision), expected=revision)
    for role in missing:
        op.execute(CREATE_ROLE.format(role=role))
    op.execute(ACTOR_FUNCTION)
    op.execute(ACTOR_TRIGGER)


def downgrade() -> None:
    """Drops the trigger and its function; the roles stay (they belong to
    the cluster, other databases may use them)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_actor_bound ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_actor_bound()")
