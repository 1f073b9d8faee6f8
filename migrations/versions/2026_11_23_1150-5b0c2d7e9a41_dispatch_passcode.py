"""dispatches remember their passcode (encrypted), for Retry and Join-anyway buttons

Revision ID: 5b0c2d7e9a41
Revises: 80f19fc43084
Create Date: 2026-11-23 11:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b0c2d7e9a41"
down_revision: str | Sequence[str] | None = "80f19fc43084"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dispatches") as batch:
        batch.add_column(sa.Column("passcode", sa.String(length=500), nullable=True))  # Fernet token


def downgrade() -> None:
    with op.batch_alter_table("dispatches") as batch:
        batch.drop_column("passcode")
