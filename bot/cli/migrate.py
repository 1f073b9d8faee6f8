"""`roombot migrate`: upgrade the database in DATABASE_URL to the latest schema (Alembic ``upgrade head``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="create or upgrade the database schema (DATABASE_URL; default sqlite:///roombot.sqlite3)",
        description=__doc__,
    )
    parser.add_argument(
        "--check", action="store_true", help="only report whether the schema is up to date (exit 1 if not)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so that other subcommands do not pay for SQLAlchemy and Alembic.
    from bot.config import database_url_from_env
    from bot.config_errors import ConfigError
    from bot.store.db import DatabaseUnavailable, safe_url_text
    from bot.store.migrate import require_up_to_date, upgrade_to_head

    try:
        url = database_url_from_env()
        if args.check:
            require_up_to_date(url)
            print(f"{safe_url_text(url)}: schema is up to date")
            return 0
        result = upgrade_to_head(url)
    except (ConfigError, DatabaseUnavailable) as error:
        print(f"roombot migrate: {error}", file=sys.stderr)
        return 1
    if result.changed:
        print(f"{safe_url_text(url)}: upgraded from {result.before or 'an empty database'} to {result.after}")
    else:
        print(f"{safe_url_text(url)}: already at {result.after}")
    return 0
