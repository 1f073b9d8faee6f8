"""Alembic, driven from Python: ``roombot migrate`` and the schema check ``serve`` runs before starting.

The migration scripts live in the top-level ``migrations/`` directory of the source tree (next to
``alembic.ini``, so the plain ``alembic`` command works too); a built wheel carries the same directory as
``bot/_migrations`` (pyproject.toml maps it there), so an installed roombot migrates without its source tree.
``ROOMBOT_MIGRATIONS_DIR`` points elsewhere.

Alembic is configured once, in ``alembic.ini``: what is set there (how new revision files are named, logging,
``sys.path``) is for the ``alembic`` command.  Upgrading and downgrading need only the scripts and the
database, which are all :func:`alembic_config` sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import URL, Engine

from bot.config import MIGRATIONS_DIR_VARIABLE, database_url_from_env, migrations_dir_override
from bot.config_errors import ConfigError
from bot.store.db import create_engine_for_url, safe_url_text
from bot.store.models import OCCURRENCE_OVERLAP_CONSTRAINT

DATABASE_URL_VARIABLE = "DATABASE_URL"
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
PACKAGED_MIGRATIONS = Path(__file__).resolve().parents[1] / "_migrations"  # bot/_migrations in an installed wheel
CHECKOUT_MIGRATIONS = REPOSITORY_ROOT / "migrations"  # beside alembic.ini in a source checkout (or editable install)
MIGRATE_COMMAND = "roombot migrate"


class SchemaOutOfDate(ConfigError):
    """The database schema is not the one this code needs; ``str()`` names the command that fixes it."""

    def __init__(self, problem: str) -> None:
        super().__init__(DATABASE_URL_VARIABLE, problem)


@dataclass(frozen=True)
class UpgradeResult:
    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def migrations_directory() -> Path:
    """``ROOMBOT_MIGRATIONS_DIR`` if set, else the wheel's ``bot/_migrations``, else the checkout's ``migrations/``."""
    explicit = migrations_dir_override()
    candidates = [Path(explicit)] if explicit else [PACKAGED_MIGRATIONS, CHECKOUT_MIGRATIONS]
    for directory in candidates:
        if (directory / "env.py").is_file():
            return directory
    raise ConfigError(
        MIGRATIONS_DIR_VARIABLE,
        f"no Alembic migrations found in {' or '.join(str(c) for c in candidates)}; reinstall roombot "
        f"(its wheel carries them as bot/_migrations) or point {MIGRATIONS_DIR_VARIABLE} at a migrations/ directory",
    )


def alembic_config(url: str | URL | None = None, *, engine: Engine | None = None) -> Config:
    """An Alembic ``Config`` for upgrading or downgrading ``url`` (or an existing ``engine``).

    Only the scripts' location and the database: how ``alembic revision`` names new files is alembic.ini's
    business alone.  There is no config file, so env.py leaves roombot's logging as it is.
    """
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))  # ConfigParser interpolation
    if engine is not None:
        config.attributes["engine"] = engine  # env.py uses it instead of building its own
    return config


def head_revisions(config: Config | None = None) -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(config or alembic_config()).get_heads())


def _current_heads(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())


def _with_engine(url: str | URL | None, engine: Engine | None) -> tuple[Engine, bool]:
    if engine is not None:
        return engine, False
    return create_engine_for_url(url or database_url_from_env()), True


def current_revision(url: str | URL | None = None, *, engine: Engine | None = None) -> str | None:
    """The revision the database is at (None for an empty database)."""
    engine, owned = _with_engine(url, engine)
    try:
        heads = _current_heads(engine)
    finally:
        if owned:
            engine.dispose()
    return ",".join(heads) if heads else None


def upgrade_to_head(url: str | URL | None = None, *, engine: Engine | None = None) -> UpgradeResult:
    engine, owned = _with_engine(url, engine)
    try:
        before = _current_heads(engine)
        command.upgrade(alembic_config(engine=engine), "heads")
        after = _current_heads(engine)
    finally:
        if owned:
            engine.dispose()
    return UpgradeResult(",".join(before) or None, ",".join(after) or None)


def downgrade_to(target: str, url: str | URL | None = None, *, engine: Engine | None = None) -> None:
    engine, owned = _with_engine(url, engine)
    try:
        command.downgrade(alembic_config(engine=engine), target)
    finally:
        if owned:
            engine.dispose()


def is_up_to_date(url: str | URL | None = None, *, engine: Engine | None = None) -> bool:
    engine, owned = _with_engine(url, engine)
    try:
        return set(_current_heads(engine)) == set(head_revisions())
    finally:
        if owned:
            engine.dispose()


def require_up_to_date(url: str | URL | None = None, *, engine: Engine | None = None) -> None:
    """Raise :class:`SchemaOutOfDate` (one line naming ``roombot migrate``) unless the schema is at head.

    Raises ``DatabaseUnavailable`` when the database cannot be reached.
    """
    engine, owned = _with_engine(url, engine)
    try:
        current = set(_current_heads(engine))
        where = safe_url_text(engine.url)
    finally:
        if owned:
            engine.dispose()
    heads = set(head_revisions())
    if current == heads:
        return
    script = ScriptDirectory.from_config(alembic_config())
    unknown = sorted(revision for revision in current if not _is_known_revision(script, revision))
    if unknown:
        raise SchemaOutOfDate(
            f"the database at {where} is at revision {', '.join(unknown)}, which this version of roombot does not "
            "know (was it migrated by a newer version?); upgrade roombot, or restore a matching database"
        )
    state = f"at revision {', '.join(sorted(current))}" if current else "empty (no roombot tables)"
    raise SchemaOutOfDate(
        f"the database at {where} is {state} but this version of roombot needs {', '.join(sorted(heads))}; "
        f"run `{MIGRATE_COMMAND}` (with the same {DATABASE_URL_VARIABLE}) and start again"
    )


def _is_known_revision(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:  # "Can't locate revision identified by ..."
        return False


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate filter: leave out what SQLAlchemy cannot model or reflect.

    The occurrences exclusion constraint is declared on the model (``ddl_if`` PostgreSQL) and created by
    the migration, but PostgreSQL reflects only the GiST index behind it, which would otherwise show up
    as an index to drop on every autogenerate.
    """
    if type_ == "index" and name == OCCURRENCE_OVERLAP_CONSTRAINT:
        return False
    return True
