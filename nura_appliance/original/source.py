"""Values read from an original NURA database, as the import needs them: a row's key for the import
ledger, timestamps as UNIX seconds, JSON-safe copies. The reading itself (SQL, the psycopg
connection) is ``storage/original_source.py``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from nura_appliance.storage.original_source import KEYS


def source_key(table: str, row: dict[str, Any]) -> str:
    """The text form of a row's primary key (the import ledger's ``source_key``)."""
    return "|".join(str(row[k]) for k in KEYS.get(table, ("id",)))


def epoch(value: Any) -> float | None:
    """A timestamp (``timestamptz``, a date, or the ISO text the original kept in JSON) as UNIX
    seconds; naive values are UTC, as the original wrote them."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
    return None


def plain(value: Any) -> Any:
    """A JSON-safe copy of a source value (for archived rows and skip details)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def json_value(value: Any, default: Any) -> Any:
    """A JSONB column's value (psycopg decodes it; text copies of JSON are decoded here)."""
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return default
    return value
