"""Alembic environment: on the connection the store hands over (``init``),
else on the database :func:`~regsam_flow.persistence.migrating.database_url`
names (the ``alembic`` command), or as SQL without a database (``--sql``)."""

from __future__ import annotations

from alembic import context

from regsam_flow.persistence.migrating import database_url
from regsam_flow.persistence.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None and config.config_file_name is not None:  # the alembic command
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)

if connection is not None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
elif context.is_offline_mode():
    context.configure(
        url=database_url(config),
        target_metadata=metadata,
        render_as_batch=True,
        literal_binds=True,
        transactional_ddl=True,  # one BEGIN ... COMMIT: all of it or nothing, SQLite too
        dialect_opts={"paramstyle": "named"},  # '%' stays '%' (psycopg's style doubles it)
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    from regsam_flow.persistence.database import WRITE_OPTION, create_db_engine

    engine = create_db_engine(database_url(config))
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():  # one transaction, as `regsam-flow init` runs them
                context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
                with context.begin_transaction():
                    context.run_migrations()
    finally:
        engine.dispose()
