"""occurrences remember their progress message, so a worker taking one over edits the same message

Revision ID: c4e8a1f3b2d7
Revises: 5b0c2d7e9a41
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e8a1f3b2d7"
down_revision: str | Sequence[str] | None = "5b0c2d7e9a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("occurrences") as batch:
        batch.add_column(sa.Column("progress_message_ts", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("occurrences") as batch:
        batch.drop_column("progress_message_ts")
