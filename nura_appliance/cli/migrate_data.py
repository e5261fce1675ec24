"""``nura migrate-data``: the copy between SQLite and PostgreSQL is the storage-level tool
:mod:`nura_appliance.storage.migrate_data`; this layer hands it the knowledge feature's coarse
vector codes (for SQLite's ``kb_vec``)."""

from __future__ import annotations

from typing import Any

from nura_appliance.knowledge.indexer import coarse, coarse_dim, from_blob, to_blob
from nura_appliance.settings import Settings
from nura_appliance.storage.migrate_data import CoarseCodes, Report
from nura_appliance.storage.migrate_data import migrate_data as copy_and_verify

CODES = CoarseCodes(bits=coarse_dim, code=lambda blob: to_blob(coarse(from_blob(blob))))


def migrate_data(
    source_location: str, target_location: str, base: Settings, *, batch: int = 1000, progress: Any = None
) -> Report:
    """Copy, then verify (see :func:`nura_appliance.storage.migrate_data.migrate_data`)."""
    return copy_and_verify(source_location, target_location, base, batch=batch, progress=progress, codes=CODES)
