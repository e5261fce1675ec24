"""``nura purge --older-than 90d``: retention for logs (and, on request, finished conversations).

Deletes in small batches, each its own short write transaction through the one writer, so a
purge of millions of rows never holds the write lock for long while the server is serving.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nura_appliance.attachments.service import FOLDER, remove_orphans
from nura_appliance.errors import ValidationFailed
from nura_appliance.storage.base import PurgeTable, RetentionStore

BATCH = 2000
_AGE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400}

# (table, time column, extra condition): the logs retention applies to.
LOG_TABLES: tuple[PurgeTable, ...] = (
    ("conversation_logs", "created_at", ""),
    ("widget_events", "created_at", ""),
    ("tree_clicks", "created_at", ""),
    ("message_feedback", "created_at", ""),
    ("message_insights", "created_at", ""),
    ("llm_usage_logs", "created_at", ""),
    ("security_logs", "created_at", ""),
    ("ingestion_logs", "started_at", ""),
    ("telegram_updates", "received_at", ""),
    ("whatsapp_inbound", "received_at", ""),
    # Delivery statuses that came before their message's id was saved (migration 0020): the channel
    # drops them after an hour when the next early status arrives; a number that stops receiving
    # them kept its last ones for ever without this.
    ("whatsapp_early_statuses", "received_at", ""),
    # Messages to WhatsApp customers whose fate is known (still-queued ones are work to do).
    ("whatsapp_outbound", "created_at", "status NOT IN ('queued', 'sending')"),
    # Finished jobs only: pending and failed ones are still work to do or to look at.
    ("outbox", "created_at", "status = 'done'"),
)
# With --sessions: finished conversations (their transcript goes with them: ON DELETE CASCADE).
SESSION_TABLE = ("sessions", "updated_at", "status IN ('resolved', 'closed')")
AUDIT_TABLE = ("audit_log", "created_at", "")
# With --attachments: photos and PDFs in conversations (rows here; their files by sweep_attachments).
ATTACHMENT_TABLE = ("attachments", "created_at", "")


def parse_age(text: str) -> float:
    """Seconds in ``90d``, ``12h`` or ``4w``."""
    match = _AGE.match(text or "")
    if not match or int(match.group(1)) <= 0:
        raise ValidationFailed(f"--older-than must look like 90d, 12h or 4w (got {text!r})", code="invalid_age")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


@dataclass
class PurgePlan:
    cutoff: float
    tables: tuple[PurgeTable, ...]


def plan(
    older_than: str,
    *,
    sessions: bool = False,
    audit: bool = False,
    attachments: bool = False,
    now: float | None = None,
) -> PurgePlan:
    tables = (
        LOG_TABLES
        + ((SESSION_TABLE,) if sessions else ())
        + ((AUDIT_TABLE,) if audit else ())
        + ((ATTACHMENT_TABLE,) if attachments else ())
    )
    return PurgePlan((now or time.time()) - parse_age(older_than), tables)


async def count(store: RetentionStore, purge: PurgePlan) -> dict[str, int]:
    """Rows each table would lose (``--dry-run``)."""
    return await store.count_older(purge.tables, purge.cutoff)


async def purge(
    store: RetentionStore, purge_plan: PurgePlan, *, on_batch: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Delete the rows, a batch per short write transaction; returns how many each table lost."""
    present = await store.tables()
    removed: dict[str, int] = {}
    for table in purge_plan.tables:
        if table[0] not in present:
            continue
        removed[table[0]] = 0
        while True:
            changed = await store.delete_older(table, purge_plan.cutoff, BATCH)
            removed[table[0]] += changed
            if on_batch:
                on_batch(table[0], changed)
            if changed < BATCH:
                break
    return removed


async def sweep_attachments(store: RetentionStore, uploads: Path) -> int:
    """Remove attachment files whose row is gone (purged sessions take their attachment rows with
    them; ``--attachments`` deletes the rows): returns how many files went."""
    return remove_orphans(uploads / FOLDER, await store.attachment_names())
