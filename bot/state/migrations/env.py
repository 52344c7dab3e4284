"""Alembic's environment: always handed an open connection by `Database.upgrade`, never run
from an alembic.ini, so there is no URL (and no password) in any file."""

from __future__ import annotations

from alembic import context

from bot.state.tables import METADATA


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=METADATA)
    with context.begin_transaction():
        context.run_migrations()


# Imported outside a migration run (a walk over every module), there is nothing to run.
if hasattr(context, "config"):
    run_migrations()
