"""initial schema: rooms, access rules, dispatch audit, dedup keys, passcode attempts, bookings, occurrences

Revision ID: 80f19fc43084
Revises:
Create Date: 2026-11-23 11:32:02.471691+00:00

Hand-checked.  Columns use plain SQLAlchemy types (what the database sees) rather than roombot's Python
column types, so this file keeps working whatever later happens to bot.store:
UTCDateTime -> DateTime(timezone=True); SealedType -> String(500); enums -> String(16) holding the
lower-case value (no native ENUM, no CHECK: adding a value needs no migration).

PostgreSQL only: the btree_gist extension and the occurrences exclusion constraint that makes two
overlapping bookings of one room impossible, even from concurrent transactions.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "80f19fc43084"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _enum(name: str) -> sa.Column:
    return sa.Column(name, sa.String(length=16), nullable=False)


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"])

    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zoom_room_id", sa.String(length=64), nullable=False),
        sa.Column("zoom_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("location_id", sa.String(length=64), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
        sa.UniqueConstraint("name_key", name=op.f("uq_rooms_name_key")),
        sa.UniqueConstraint("zoom_id", name=op.f("uq_rooms_zoom_id")),
        sa.UniqueConstraint("zoom_room_id", name=op.f("uq_rooms_zoom_room_id")),
    )

    op.create_table(
        "room_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("alias_key", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_aliases_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_aliases")),
        sa.UniqueConstraint("alias_key", name=op.f("uq_room_aliases_alias_key")),
    )
    op.create_index(op.f("ix_room_aliases_room_id"), "room_aliases", ["room_id"])

    op.create_table(
        "room_access_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        _enum("principal_kind"),  # channel | usergroup | user | everyone
        sa.Column("principal_id", sa.String(length=32), nullable=False),  # "*" for everyone
        sa.Column("created_by", sa.String(length=32), nullable=True),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_access_rules_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_access_rules")),
        sa.UniqueConstraint(
            "room_id",
            "principal_kind",
            "principal_id",
            name=op.f("uq_room_access_rules_room_id_principal_kind_principal_id"),
        ),
    )

    op.create_table(
        "dispatches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        _enum("source"),  # command | button | shortcut | modal | booking
        _enum("action"),  # join | new | leave
        sa.Column("protocol", sa.String(length=16), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("room_name", sa.String(length=200), nullable=False),
        sa.Column("zoom_room_id", sa.String(length=64), nullable=True),
        sa.Column("meeting_id", sa.String(length=16), nullable=True),
        sa.Column("passcode_used", sa.Boolean(), nullable=False),
        sa.Column("force_accept", sa.Boolean(), nullable=False),
        _enum("outcome"),  # pending | accepted | joined | left | refused | failed
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("slack_message_ts", sa.String(length=32), nullable=True),
        _timestamp("finished_at", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_dispatches_room_id_rooms"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatches")),
    )
    op.create_index("ix_dispatches_room_id_created_at", "dispatches", ["room_id", "created_at"])

    op.create_table(
        "dispatch_zoom_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("http_method", sa.String(length=8), nullable=True),
        sa.Column("http_path", sa.String(length=300), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("zoom_code", sa.Integer(), nullable=True),
        sa.Column("zoom_field", sa.String(length=200), nullable=True),
        sa.Column("zoom_message", sa.Text(), nullable=True),
        sa.Column("room_status", sa.String(length=32), nullable=True),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatches.id"],
            name=op.f("fk_dispatch_zoom_responses_dispatch_id_dispatches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_zoom_responses")),
    )
    op.create_index(op.f("ix_dispatch_zoom_responses_dispatch_id"), "dispatch_zoom_responses", ["dispatch_id"])

    op.create_table(
        "passcode_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=True),
        _timestamp("attempted_at"),
        sa.Column("succeeded", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatches.id"],
            name=op.f("fk_passcode_attempts_dispatch_id_dispatches"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_passcode_attempts_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passcode_attempts")),
    )
    op.create_index("ix_passcode_attempts_room_id_attempted_at", "passcode_attempts", ["room_id", "attempted_at"])

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("requester_user_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("tz_name", sa.String(length=64), nullable=False),
        _timestamp("starts_at"),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("rrule", sa.Text(), nullable=True),
        _enum("meeting_mode"),  # link | new
        sa.Column("meeting_id", sa.String(length=16), nullable=True),
        sa.Column("personal_link", sa.String(length=100), nullable=True),
        sa.Column("pwd_token", sa.String(length=500), nullable=True),  # Fernet token
        sa.Column("passcode", sa.String(length=500), nullable=True),  # Fernet token
        sa.Column("topic", sa.String(length=200), nullable=True),
        _enum("status"),  # active | cancelled | finished
        _timestamp("materialised_until", nullable=True),
        _timestamp("cancelled_at", nullable=True),
        sa.Column("cancelled_by", sa.String(length=32), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_bookings_positive_duration")),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_bookings_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    op.create_index(op.f("ix_bookings_requester_user_id"), "bookings", ["requester_user_id"])
    op.create_index("ix_bookings_room_id_status", "bookings", ["room_id", "status"])

    op.create_table(
        "occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        _timestamp("starts_at"),
        _timestamp("ends_at"),
        _enum("status"),  # scheduled | claimed | dispatched | skipped | failed | cancelled
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        _timestamp("lease_expires_at", nullable=True),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        _timestamp("reminder_sent_at", nullable=True),
        sa.Column("reminder_message_ts", sa.String(length=32), nullable=True),
        sa.Column("meeting_id", sa.String(length=16), nullable=True),
        sa.Column("passcode", sa.String(length=500), nullable=True),  # Fernet token
        sa.Column("join_url", sa.Text(), nullable=True),
        sa.Column("dispatch_id", sa.Integer(), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        _timestamp("finished_at", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_occurrences_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_occurrences_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatches.id"],
            name=op.f("fk_occurrences_dispatch_id_dispatches"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_occurrences_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occurrences")),
        sa.UniqueConstraint("booking_id", "starts_at", name=op.f("uq_occurrences_booking_id_starts_at")),
    )
    op.create_index("ix_occurrences_room_id_starts_at", "occurrences", ["room_id", "starts_at"])
    op.create_index("ix_occurrences_status_starts_at", "occurrences", ["status", "starts_at"])

    if op.get_bind().dialect.name == "postgresql":
        # `room_id WITH =` inside a GiST index needs the btree_gist operator classes.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        # Occurrences that still hold their room may not overlap (half-open ranges: back-to-back is fine).
        # Keep the name and the status list in step with bot.store.models.
        op.execute(
            "ALTER TABLE occurrences ADD CONSTRAINT ex_occurrences_room_time "
            "EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
            "WHERE (status NOT IN ('cancelled', 'skipped'))"
        )


def downgrade() -> None:
    # Dropping occurrences drops its exclusion constraint.  btree_gist stays installed: other database
    # objects may use it, and CREATE EXTENSION IF NOT EXISTS makes a later upgrade work either way.
    op.drop_table("occurrences")
    op.drop_table("bookings")
    op.drop_table("passcode_attempts")
    op.drop_table("dispatch_zoom_responses")
    op.drop_table("dispatches")
    op.drop_table("room_access_rules")
    op.drop_table("room_aliases")
    op.drop_table("rooms")
    op.drop_table("idempotency_keys")
