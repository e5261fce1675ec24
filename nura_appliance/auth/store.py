"""The auth feature's records and store Protocols (they live in ``storage/base.py``; the SQLite
and PostgreSQL implementations in ``storage/sqlite/auth.py`` and ``storage/postgres/auth.py``,
picked by ``storage/stores.py``). Services talk to the Protocols only."""

from __future__ import annotations

from nura_appliance.storage.base import LastAdminError, LogStore, UserRecord, UserStore

ROLES = ("admin", "agent", "viewer")

__all__ = ["ROLES", "LastAdminError", "LogStore", "UserRecord", "UserStore"]
