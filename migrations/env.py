"""Alembic environment for roombot.

Used both by ``roombot migrate`` (bot/store/migrate.py passes the engine in ``config.attributes``) and by
the plain ``alembic`` command (alembic.ini; the database comes from ``DATABASE_URL``).
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine

from bot.config import database_url_from_env
from bot.store.db import create_engine_for_url
from bot.store.migrate import include_object
from bot.store.models import Base

config = context.config
if config.config_file_name is not None:  # only the alembic CLI: roombot keeps its own logging set-up
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or database_url_from_env()


def _configure_options(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        "include_object": include_object,
        "compare_type": True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        "render_as_batch": dialect_name == "sqlite",
        # Our SQLite engine issues real BEGINs (bot.store.db), so DDL is transactional there too:
        # a migration that fails half-way leaves nothing behind.
        "transactional_ddl": True,
    }


def run_migrations_offline() -> None:
    """``alembic upgrade --sql``: print the SQL instead of running it."""
    url = _database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_configure_options(url.split(":", 1)[0].split("+", 1)[0]),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_with_connection(connection: Connection) -> None:
    context.configure(connection=connection, **_configure_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    owned = engine is None
    if engine is None:
        engine = create_engine_for_url(_database_url())
    try:
        with engine.connect() as connection:
            _run_with_connection(connection)
            connection.commit()
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
