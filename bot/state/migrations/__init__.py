"""Alembic migrations of the shared-state schema, run to head by `Database.upgrade`."""
