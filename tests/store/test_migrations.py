"""Migrations: empty → head on both backends, no drift between models and migrations, and back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.cli import main as roombot
from bot.store import migrate
from bot.store.db import create_engine_for_url
from bot.store.models import OCCURRENCE_OVERLAP_CONSTRAINT, Base

EXPECTED_TABLES = {
    "rooms",
    "room_aliases",
    "room_access_rules",
    "dispatches",
    "dispatch_zoom_responses",
    "idempotency_keys",
    "passcode_attempts",
    "bookings",
    "occurrences",
}


def _autogenerate_diff(url: str) -> list:
    engine = create_engine_for_url(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_object": migrate.include_object, "compare_type": True}
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_empty_database_upgrades_to_head_with_no_autogenerate_difference(db_url: str) -> None:
    assert migrate.current_revision(db_url) is None
    assert not migrate.is_up_to_date(db_url)

    result = migrate.upgrade_to_head(db_url)

    assert result.before is None and result.after == migrate.head_revisions()[0]
    assert migrate.is_up_to_date(db_url)
    engine = create_engine_for_url(db_url)
    try:
        assert EXPECTED_TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert _autogenerate_diff(db_url) == []


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(db_url: str) -> None:
    migrate.upgrade_to_head(db_url)
    migrate.downgrade_to("base", db_url)
    engine = create_engine_for_url(db_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    assert migrate.current_revision(db_url) is None
    migrate.upgrade_to_head(db_url)
    assert migrate.is_up_to_date(db_url)


def test_out_of_date_schema_error_names_the_migrate_command(db_url: str) -> None:
    with pytest.raises(migrate.SchemaOutOfDate) as caught:
        migrate.require_up_to_date(db_url)
    message = str(caught.value)
    assert "roombot migrate" in message and message.startswith("DATABASE_URL:") and "\n" not in message

    migrate.upgrade_to_head(db_url)
    migrate.require_up_to_date(db_url)  # no error at head


def test_unknown_revision_is_reported_as_newer_schema(db_url: str) -> None:
    migrate.upgrade_to_head(db_url)
    engine = create_engine_for_url(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'feedc0ffee00'"))
    finally:
        engine.dispose()
    with pytest.raises(migrate.SchemaOutOfDate, match="does not know"):
        migrate.require_up_to_date(db_url)


def test_roombot_migrate_command(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert roombot(["migrate", "--check"]) == 1
    assert "roombot migrate" in capsys.readouterr().err
    assert roombot(["migrate"]) == 0
    assert "upgraded from an empty database" in capsys.readouterr().out
    assert roombot(["migrate"]) == 0
    assert "already at" in capsys.readouterr().out
    assert roombot(["migrate", "--check"]) == 0


def test_postgres_has_the_overlap_exclusion_constraint(db_url: str, db_backend: str) -> None:
    if db_backend != "postgres":
        pytest.skip("exclusion constraints exist only on PostgreSQL")
    migrate.upgrade_to_head(db_url)
    engine = create_engine_for_url(db_url)
    try:
        with engine.connect() as connection:
            definition = connection.execute(
                text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name"),
                {"name": OCCURRENCE_OVERLAP_CONSTRAINT},
            ).scalar_one()
    finally:
        engine.dispose()
    assert "EXCLUDE USING gist" in definition and "tstzrange(starts_at, ends_at) WITH &&" in definition
    assert "cancelled" in definition and "skipped" in definition


def test_revision_files_are_date_prefixed() -> None:
    versions = Path(migrate.migrations_directory()) / "versions"
    names = [path.name for path in versions.glob("*.py")]
    assert names
    for name in names:
        assert re.fullmatch(r"\d{4}_\d{2}_\d{2}_\d{4}-[0-9a-f]+_\w+\.py", name), name
