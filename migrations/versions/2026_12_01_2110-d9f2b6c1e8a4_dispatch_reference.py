"""dispatches get a reference that cannot repeat, shown on cards instead of the row number

Row numbers come from a sequence (PostgreSQL) or the highest rowid (SQLite): a database restored from a
backup, or one that lost its last writes, hands the same numbers out again, so a card could name a dispatch
that the audit trail knows as another one.

Revision ID: d9f2b6c1e8a4
Revises: c4e8a1f3b2d7
Create Date: 2026-12-01 21:10:00
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d9f2b6c1e8a4"
down_revision: str | Sequence[str] | None = "c4e8a1f3b2d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: people read these out


def _reference() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(10))


def upgrade() -> None:
    with op.batch_alter_table("dispatches") as batch:
        batch.add_column(sa.Column("reference", sa.String(length=16), nullable=True))
    connection = op.get_bind()
    dispatches = sa.table("dispatches", sa.column("id", sa.Integer), sa.column("reference", sa.String))
    for (dispatch_id,) in connection.execute(sa.select(dispatches.c.id)).all():
        connection.execute(dispatches.update().where(dispatches.c.id == dispatch_id).values(reference=_reference()))
    op.create_index("ux_dispatches_reference", "dispatches", ["reference"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_dispatches_reference", table_name="dispatches")
    with op.batch_alter_table("dispatches") as batch:
        batch.drop_column("reference")
