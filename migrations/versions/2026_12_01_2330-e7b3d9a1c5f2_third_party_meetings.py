"""dispatches and bookings can name a Teams, Meet or SIP meeting: its service and where to send it (encrypted)

Revision ID: e7b3d9a1c5f2
Revises: d9f2b6c1e8a4
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7b3d9a1c5f2"
down_revision: str | Sequence[str] | None = "d9f2b6c1e8a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("dispatches", "bookings")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("provider", sa.String(length=8), nullable=True))
            batch.add_column(sa.Column("third_party", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("third_party")
            batch.drop_column("provider")
