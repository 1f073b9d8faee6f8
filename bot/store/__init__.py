"""Storage: SQLAlchemy 2 models, Alembic migrations, passcodes encrypted at rest.

Modules: ``db`` (engines, sessions, ``DatabaseUnavailable``), ``models``, ``crypto`` (``SecretBox``),
``migrate`` (``roombot migrate`` and the start-up schema check), and the repositories: ``rooms``,
``audit`` (dispatch audit, once-only keys, passcode attempts), ``bookings`` and ``occurrences``.
Import the repository modules directly (``from bot.store import rooms``); this package stays light.
"""

from bot.store.db import DatabaseUnavailable, create_engine_for_url, session_factory, session_scope

__all__ = ["DatabaseUnavailable", "create_engine_for_url", "session_factory", "session_scope"]
