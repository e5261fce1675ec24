"""The WhatsApp channel's rows (:class:`~nura_appliance.storage.base.WhatsAppStore`):
``whatsapp_contacts``, ``whatsapp_inbound`` and ``whatsapp_outbound`` (migration 0018), and the
statuses that came before their message's id was saved, ``whatsapp_early_statuses`` (0020).

SQLite's SQL; ``storage/postgres/whatsapp.py`` is the PostgreSQL twin.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from nura_appliance.storage.base import WHATSAPP_STATUS_RANK as STATUS_RANK
from nura_appliance.storage.base import EarlyStatusLimits
from nura_appliance.storage.sqlite.channel_turns import TREE_CLICK, claim_turn_sql, pending_turns_sql
from nura_appliance.storage.sqlite.db import Connection, Database

_PENDING = pending_turns_sql("whatsapp_contacts", "c.wa_id, c.last_turn_id, c.last_inbound_at, c.lang")
_CLAIM = claim_turn_sql("whatsapp_contacts", "wa_id")


class SqlWhatsAppStore:
    """WhatsApp contacts, handled message ids and the outbound queue."""

    def __init__(self, db: Database, early: EarlyStatusLimits = EarlyStatusLimits()) -> None:
        self.db = db
        self.early = early

    # -- contacts ---------------------------------------------------------------------------------
    async def contact(self, wa_id: str) -> dict[str, Any] | None:
        return await self.db.fetchone("SELECT * FROM whatsapp_contacts WHERE wa_id = ?", (wa_id,))

    async def contact_of_session(self, session_id: str) -> dict[str, Any] | None:
        return await self.db.fetchone(
            "SELECT * FROM whatsapp_contacts WHERE session_id = ? ORDER BY updated_at DESC LIMIT 1", (session_id,)
        )

    async def remember(
        self,
        wa_id: str,
        *,
        session_id: str | None,
        token: str | None,
        lang: str | None,
        profile_name: str | None = None,
        inbound_at: float | None = None,
    ) -> None:
        """Insert or update the number's row; a different session restarts agent-reply delivery
        from its beginning. ``inbound_at`` (the customer wrote) reopens the 24-hour window; a
        ``lang`` of None keeps the one known (a new number has none until its text shows it)."""
        now = time.time()

        def run(conn: Connection) -> None:
            rows = list(conn.execute("SELECT session_id FROM whatsapp_contacts WHERE wa_id = ?", (wa_id,)))
            if not rows:
                conn.execute(
                    "INSERT INTO whatsapp_contacts (wa_id, session_id, session_token, lang, profile_name,"
                    " last_turn_id, last_inbound_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
                    (wa_id, session_id, token, lang, profile_name, inbound_at, now, now),
                )
                return
            if session_id is not None and rows[0]["session_id"] != session_id:
                conn.execute(
                    "UPDATE whatsapp_contacts SET session_id = ?, session_token = ?, last_turn_id = 0 WHERE wa_id = ?",
                    (session_id, token, wa_id),
                )
            conn.execute(
                "UPDATE whatsapp_contacts SET lang = COALESCE(?, lang), profile_name = COALESCE(?, profile_name),"
                " last_inbound_at = COALESCE(?, last_inbound_at), updated_at = ? WHERE wa_id = ?",
                (lang, profile_name, inbound_at, now, wa_id),
            )

        await self.db.write(run)

    async def template_sent(self, wa_id: str, at: float) -> None:
        await self.db.execute("UPDATE whatsapp_contacts SET template_sent_at = ? WHERE wa_id = ?", (at, wa_id))

    async def first_time(self, message_id: str, wa_id: str) -> bool:
        """Record an inbound message id; False when it was handled before (a redelivery)."""

        def run(conn: Connection) -> bool:
            conn.execute(
                "INSERT OR IGNORE INTO whatsapp_inbound (message_id, wa_id, received_at) VALUES (?, ?, ?)",
                (message_id, wa_id, time.time()),
            )
            return bool(conn.changes() == 1)

        return bool(await self.db.write(run))

    async def forget_inbound_before(self, cutoff: float) -> int:
        def run(conn: Connection) -> int:
            conn.execute("DELETE FROM whatsapp_inbound WHERE received_at < ?", (cutoff,))
            return int(conn.changes())

        return int(await self.db.write(run))

    # -- outbound queue ---------------------------------------------------------------------------
    async def queue(
        self,
        wa_id: str,
        session_id: str | None,
        messages: list[tuple[str, dict[str, Any]]],
        enqueue: Callable[[Any, list[int]], None] | None = None,
    ) -> list[int]:
        """Queue messages for one number in order; ``enqueue(conn, ids)`` runs in the same
        transaction (the outbox row that delivers them when they are not sent at once)."""
        now = time.time()

        def run(conn: Connection) -> list[int]:
            ids: list[int] = []
            for kind, payload in messages:
                row = list(
                    conn.execute(
                        "INSERT INTO whatsapp_outbound (wa_id, session_id, kind, payload, status, attempts,"
                        " created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?) RETURNING id",
                        (wa_id, session_id, kind, json.dumps(payload, ensure_ascii=False), now, now),
                    )
                )
                ids.append(int(row[0]["id"]))
            if enqueue is not None and ids:
                enqueue(conn, ids)
            return ids

        return list(await self.db.write(run))

    async def enqueue_later(self, enqueue: Callable[[Any], None]) -> None:
        """Run ``enqueue(conn)`` in a write transaction of its own (an outbox row for rows that
        could not be sent now)."""
        await self.db.write(enqueue)

    async def waiting(self, wa_id: str, *, up_to: int | None = None, now: float | None = None) -> list[int]:
        """Ids of the number's messages still to send, oldest first (a ``sending`` claim whose
        lease ran out counts: its process died mid-send)."""
        now = time.time() if now is None else now
        rows = await self.db.fetchall(
            "SELECT id FROM whatsapp_outbound WHERE wa_id = ? AND id <= ?"
            " AND (status = 'queued' OR (status = 'sending' AND claimed_until < ?)) ORDER BY id",
            (wa_id, up_to if up_to is not None else 2**62, now),
        )
        return [int(r["id"]) for r in rows]

    async def claim(self, row_id: int, lease_seconds: float) -> dict[str, Any] | None:
        """Take one message for sending (compare-and-set), so two senders never send it twice;
        refused while an older message of the same number waits or is being sent, so a number's
        messages go out in order whichever process sends them."""
        now = time.time()

        def run(conn: Connection) -> dict[str, Any] | None:
            conn.execute(
                "UPDATE whatsapp_outbound SET status = 'sending', claimed_until = ?, attempts = attempts + 1,"
                " updated_at = ? WHERE id = ? AND (status = 'queued' OR (status = 'sending' AND claimed_until < ?))"
                " AND NOT EXISTS (SELECT 1 FROM whatsapp_outbound o WHERE o.wa_id = whatsapp_outbound.wa_id"
                "   AND o.id < whatsapp_outbound.id AND o.status IN ('queued', 'sending'))",
                (now + lease_seconds, now, row_id, now),
            )
            if conn.changes() != 1:
                return None
            rows = list(conn.execute("SELECT * FROM whatsapp_outbound WHERE id = ?", (row_id,)))
            return dict(rows[0]) if rows else None

        return await self.db.write(run)

    async def sent(self, row_id: int, wa_message_id: str, *, now: float | None = None) -> None:
        """The message went out as ``wa_message_id``; a further status Meta reported for it before
        (``whatsapp_early_statuses``) is applied in the same transaction."""
        now = time.time() if now is None else now

        def run(conn: Connection) -> None:
            conn.execute(
                "UPDATE whatsapp_outbound SET status = 'sent', wa_message_id = ?, error = NULL, claimed_until = NULL,"
                " updated_at = ? WHERE id = ? AND status = 'sending'",
                (wa_message_id, now, row_id),
            )
            if conn.changes() != 1:
                return
            early = list(
                conn.execute(
                    "DELETE FROM whatsapp_early_statuses WHERE wa_message_id = ? RETURNING status, error, received_at",
                    (wa_message_id,),
                )
            )
            if not early or early[0]["received_at"] <= now - self.early.seconds:
                return
            if STATUS_RANK.get(early[0]["status"], 0) > STATUS_RANK["sent"]:
                conn.execute(
                    "UPDATE whatsapp_outbound SET status = ?, error = ? WHERE id = ?",
                    (early[0]["status"], early[0]["error"], row_id),
                )

        await self.db.write(run)

    async def unsent(self, row_id: int, error: str, *, final: bool) -> None:
        """A send that failed: back in the queue (``final=False``) or failed for good."""
        await self.db.execute(
            "UPDATE whatsapp_outbound SET status = ?, error = ?, claimed_until = NULL, updated_at = ?"
            " WHERE id = ? AND status = 'sending'",
            ("failed" if final else "queued", error[:500], time.time(), row_id),
        )

    async def give_up(self, wa_id: str, up_to: int, error: str) -> int:
        """Mark the number's waiting messages up to ``up_to`` failed (the outbox's retries ran out)."""

        def run(conn: Connection) -> int:
            conn.execute(
                "UPDATE whatsapp_outbound SET status = 'failed', error = ?, claimed_until = NULL, updated_at = ?"
                " WHERE wa_id = ? AND id <= ? AND status IN ('queued', 'sending')",
                (error[:500], time.time(), wa_id, up_to),
            )
            return int(conn.changes())

        return int(await self.db.write(run))

    async def status(
        self, wa_message_id: str, status: str, error: str | None = None, *, now: float | None = None
    ) -> bool:
        """Record a delivery status Meta reported; never moves a message backwards. A status for an
        id no message has yet is kept for :meth:`sent` (see ``WhatsAppStore.status``)."""
        rank = STATUS_RANK.get(status)
        if rank is None or not wa_message_id:
            return False
        now = time.time() if now is None else now

        def run(conn: Connection) -> bool:
            rows = list(
                conn.execute("SELECT id, status FROM whatsapp_outbound WHERE wa_message_id = ?", (wa_message_id,))
            )
            if not rows:
                self._keep_early(conn, wa_message_id, status, error, now)
                return False
            if STATUS_RANK.get(rows[0]["status"], 0) >= rank:
                return False
            conn.execute(
                "UPDATE whatsapp_outbound SET status = ?, error = COALESCE(?, error), updated_at = ? WHERE id = ?",
                (status, error, now, rows[0]["id"]),
            )
            return True

        return bool(await self.db.write(run))

    def _keep_early(self, conn: Connection, wa_message_id: str, status: str, error: str | None, now: float) -> None:
        """Keep the furthest status of an id not saved yet; drop the expired ones and, over
        ``early.max_ids``, the oldest."""
        conn.execute("DELETE FROM whatsapp_early_statuses WHERE received_at <= ?", (now - self.early.seconds,))
        kept = list(
            conn.execute("SELECT status FROM whatsapp_early_statuses WHERE wa_message_id = ?", (wa_message_id,))
        )
        if kept:
            if STATUS_RANK.get(kept[0]["status"], 0) < STATUS_RANK[status]:
                conn.execute(
                    "UPDATE whatsapp_early_statuses SET status = ?, error = COALESCE(?, error), received_at = ?"
                    " WHERE wa_message_id = ?",
                    (status, error, now, wa_message_id),
                )
            return
        conn.execute(
            "INSERT INTO whatsapp_early_statuses (wa_message_id, status, error, received_at) VALUES (?, ?, ?, ?)",
            (wa_message_id, status, error, now),
        )
        conn.execute(
            "DELETE FROM whatsapp_early_statuses WHERE wa_message_id IN (SELECT wa_message_id"
            " FROM whatsapp_early_statuses ORDER BY received_at DESC, rowid DESC LIMIT -1 OFFSET ?)",
            (self.early.max_ids,),
        )

    async def messages(
        self, *, wa_id: str | None = None, session_id: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """The newest outbound messages of a number or session, newest first."""
        column, value = ("session_id", session_id) if session_id else ("wa_id", wa_id)
        rows = await self.db.fetchall(
            f"SELECT id, wa_id, session_id, kind, status, wa_message_id, attempts, error, created_at, updated_at"
            f" FROM whatsapp_outbound WHERE {column} = ? ORDER BY id DESC LIMIT ?",
            (value, limit),
        )
        return [dict(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, count(*) AS n FROM whatsapp_outbound GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}

    async def tree_click(
        self, session_id: str | None, customer_id: str, article_id: str, label: str | None, lang: str
    ) -> None:
        """An article opened from the topic lists (the analytics' ``tree_clicks``)."""
        await self.db.execute(TREE_CLICK, (session_id, customer_id, article_id, label, lang, "whatsapp", time.time()))

    # -- agent replies ----------------------------------------------------------------------------
    async def pending_turns(self, since: float, limit: int = 200) -> list[dict[str, Any]]:
        """Agent replies and hand-off notices of WhatsApp sessions not yet delivered."""
        return await self.db.fetchall(_PENDING, (since, limit))

    async def claim_turn(self, wa_id: str, turn_id: int) -> bool:
        def run(conn: Connection) -> bool:
            conn.execute(_CLAIM, (turn_id, wa_id, turn_id))
            return bool(conn.changes() == 1)

        return bool(await self.db.write(run))
