"""The WhatsApp channel's rows on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.WhatsAppStore` and ``storage/sqlite/whatsapp.py``, whose
rules are the same): ``whatsapp_contacts``, ``whatsapp_inbound``, ``whatsapp_outbound`` and
``whatsapp_early_statuses``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from nura_appliance.storage.base import WHATSAPP_STATUS_RANK as STATUS_RANK
from nura_appliance.storage.base import EarlyStatusLimits
from nura_appliance.storage.postgres.channel_turns import TREE_CLICK, claim_turn_sql, pending_turns_sql
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase

_PENDING = pending_turns_sql("whatsapp_contacts", "c.wa_id, c.last_turn_id, c.last_inbound_at, c.lang")
_CLAIM = claim_turn_sql("whatsapp_contacts", "wa_id")


def _rank(column: str) -> str:
    """The SQL rank of a status column (``WHATSAPP_STATUS_RANK``; unknown ranks 0)."""
    return "CASE {} {} ELSE 0 END".format(column, " ".join(f"WHEN '{s}' THEN {r}" for s, r in STATUS_RANK.items()))


_RANK_SQL = _rank("status")
# The message went out: 'sent', unless Meta reported a further status for its id before (kept in
# whatsapp_early_statuses and not expired), which is taken over; the kept row goes either way.
_SENT = (
    "WITH early AS (DELETE FROM whatsapp_early_statuses WHERE wa_message_id = %(wamid)s"
    " RETURNING status, error, received_at),"
    f" further AS (SELECT status, error FROM early WHERE received_at > %(fresh)s AND {_rank('status')} > %(sent)s)"
    " UPDATE whatsapp_outbound SET status = COALESCE((SELECT status FROM further), 'sent'),"
    " error = (SELECT error FROM further), wa_message_id = %(wamid)s, claimed_until = NULL, updated_at = %(now)s"
    " WHERE id = %(id)s AND status = 'sending'"
)
_KEEP_EARLY = (
    "INSERT INTO whatsapp_early_statuses AS e (wa_message_id, status, error, received_at)"
    " VALUES (%(wamid)s, %(status)s, %(error)s, %(now)s) ON CONFLICT (wa_message_id) DO UPDATE"
    " SET status = EXCLUDED.status, error = COALESCE(EXCLUDED.error, e.error), received_at = EXCLUDED.received_at"
    f" WHERE {_rank('e.status')} < {_rank('EXCLUDED.status')}"
)


class PgWhatsAppStore:
    """WhatsApp contacts, handled message ids and the outbound queue on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase, early: EarlyStatusLimits = EarlyStatusLimits()) -> None:
        self.db = db
        self.early = early

    async def _one(self, statement: str, params: Any) -> dict[str, Any] | None:
        return await self.db.read(lambda c: c.sql(statement, params).fetchone())

    async def _all(self, statement: str, params: Any) -> list[dict[str, Any]]:
        return await self.db.read(lambda c: c.sql(statement, params).fetchall())

    async def _changed(self, statement: str, params: Any) -> int:
        def run(conn: PgConnection) -> int:
            conn.sql(statement, params)
            return conn.changes()

        return await self.db.write(run)

    # -- contacts ---------------------------------------------------------------------------------
    async def contact(self, wa_id: str) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM whatsapp_contacts WHERE wa_id = %s", (wa_id,))

    async def contact_of_session(self, session_id: str) -> dict[str, Any] | None:
        return await self._one(
            "SELECT * FROM whatsapp_contacts WHERE session_id = %s ORDER BY updated_at DESC LIMIT 1", (session_id,)
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
        params = {
            "wa": wa_id,
            "session": session_id,
            "token": token,
            "lang": lang,
            "profile": profile_name,
            "inbound": inbound_at,
            "now": time.time(),
        }
        # One upsert: a different (not None) session restarts agent-reply delivery; the language,
        # profile name and last inbound time keep their known values when not given.
        statement = (
            "INSERT INTO whatsapp_contacts AS c (wa_id, session_id, session_token, lang, profile_name, last_turn_id,"
            " last_inbound_at, created_at, updated_at)"
            " VALUES (%(wa)s, %(session)s, %(token)s, %(lang)s, %(profile)s, 0, %(inbound)s, %(now)s, %(now)s)"
            " ON CONFLICT (wa_id) DO UPDATE SET"
            " session_id = CASE WHEN %(session)s::text IS NOT NULL AND c.session_id IS DISTINCT FROM %(session)s::text"
            "   THEN %(session)s::text ELSE c.session_id END,"
            " session_token = CASE WHEN %(session)s::text IS NOT NULL"
            "   AND c.session_id IS DISTINCT FROM %(session)s::text THEN %(token)s::text ELSE c.session_token END,"
            " last_turn_id = CASE WHEN %(session)s::text IS NOT NULL"
            "   AND c.session_id IS DISTINCT FROM %(session)s::text THEN 0 ELSE c.last_turn_id END,"
            " lang = COALESCE(%(lang)s::text, c.lang), profile_name = COALESCE(%(profile)s::text, c.profile_name),"
            " last_inbound_at = COALESCE(%(inbound)s::double precision, c.last_inbound_at), updated_at = %(now)s"
        )
        await self.db.write(lambda c: c.sql(statement, params))

    async def template_sent(self, wa_id: str, at: float) -> None:
        await self._changed("UPDATE whatsapp_contacts SET template_sent_at = %s WHERE wa_id = %s", (at, wa_id))

    async def first_time(self, message_id: str, wa_id: str) -> bool:
        def run(conn: PgConnection) -> bool:
            return bool(
                conn.sql(
                    "INSERT INTO whatsapp_inbound (message_id, wa_id, received_at) VALUES (%s, %s, %s)"
                    " ON CONFLICT (message_id) DO NOTHING RETURNING message_id",
                    (message_id, wa_id, time.time()),
                ).fetchall()
            )

        return await self.db.write(run)

    async def forget_inbound_before(self, cutoff: float) -> int:
        return await self._changed("DELETE FROM whatsapp_inbound WHERE received_at < %s", (cutoff,))

    # -- outbound queue ---------------------------------------------------------------------------
    async def queue(
        self,
        wa_id: str,
        session_id: str | None,
        messages: list[tuple[str, dict[str, Any]]],
        enqueue: Callable[[Any, list[int]], None] | None = None,
    ) -> list[int]:
        now = time.time()
        kinds = [kind for kind, _ in messages]
        payloads = [json.dumps(payload, ensure_ascii=False) for _, payload in messages]

        def run(conn: PgConnection) -> list[int]:
            if not messages:
                return []
            rows = conn.sql(
                "INSERT INTO whatsapp_outbound (wa_id, session_id, kind, payload, status, attempts, created_at,"
                " updated_at) SELECT %s, %s, m.kind, m.payload, 'queued', 0, %s, %s"
                " FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS m(kind, payload, n) ORDER BY m.n"
                " RETURNING id",
                (wa_id, session_id, now, now, kinds, payloads),
            ).fetchall()
            ids = sorted(int(r["id"]) for r in rows)  # identities are handed out in insert order
            if enqueue is not None and ids:
                enqueue(conn, ids)
            return ids

        return await self.db.write(run)

    async def enqueue_later(self, enqueue: Callable[[Any], None]) -> None:
        await self.db.write(enqueue)

    async def waiting(self, wa_id: str, *, up_to: int | None = None, now: float | None = None) -> list[int]:
        now = time.time() if now is None else now
        rows = await self._all(
            "SELECT id FROM whatsapp_outbound WHERE wa_id = %s AND id <= %s"
            " AND (status = 'queued' OR (status = 'sending' AND claimed_until < %s)) ORDER BY id",
            (wa_id, up_to if up_to is not None else 2**62, now),
        )
        return [int(r["id"]) for r in rows]

    async def claim(self, row_id: int, lease_seconds: float) -> dict[str, Any] | None:
        now = time.time()
        return await self.db.write(
            lambda c: c.sql(
                "UPDATE whatsapp_outbound w SET status = 'sending', claimed_until = %s, attempts = w.attempts + 1,"
                " updated_at = %s WHERE w.id = %s AND (w.status = 'queued' OR (w.status = 'sending'"
                " AND w.claimed_until < %s)) AND NOT EXISTS (SELECT 1 FROM whatsapp_outbound o"
                " WHERE o.wa_id = w.wa_id AND o.id < w.id AND o.status IN ('queued', 'sending')) RETURNING w.*",
                (now + lease_seconds, now, row_id, now),
            ).fetchone()
        )

    async def sent(self, row_id: int, wa_message_id: str, *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        fresh = now - self.early.seconds
        params = {"wamid": wa_message_id, "id": row_id, "now": now, "fresh": fresh, "sent": STATUS_RANK["sent"]}
        await self._changed(_SENT, params)

    async def unsent(self, row_id: int, error: str, *, final: bool) -> None:
        await self._changed(
            "UPDATE whatsapp_outbound SET status = %s, error = %s, claimed_until = NULL, updated_at = %s"
            " WHERE id = %s AND status = 'sending'",
            ("failed" if final else "queued", error[:500], time.time(), row_id),
        )

    async def give_up(self, wa_id: str, up_to: int, error: str) -> int:
        return await self._changed(
            "UPDATE whatsapp_outbound SET status = 'failed', error = %s, claimed_until = NULL, updated_at = %s"
            " WHERE wa_id = %s AND id <= %s AND status IN ('queued', 'sending')",
            (error[:500], time.time(), wa_id, up_to),
        )

    async def status(
        self, wa_message_id: str, status: str, error: str | None = None, *, now: float | None = None
    ) -> bool:
        rank = STATUS_RANK.get(status)
        if rank is None or not wa_message_id:
            return False
        now = time.time() if now is None else now

        def run(conn: PgConnection) -> bool:
            # The first row with this id moves forward only (a late "delivered" never hides "read").
            row = conn.sql(
                "UPDATE whatsapp_outbound SET status = %s, error = COALESCE(%s, error), updated_at = %s"
                " WHERE id = (SELECT id FROM whatsapp_outbound WHERE wa_message_id = %s ORDER BY id LIMIT 1)"
                f" AND {_RANK_SQL} < %s RETURNING id",
                (status, error, now, wa_message_id, rank),
            ).fetchone()
            if row is not None:
                return True
            if conn.sql(
                "SELECT 1 FROM whatsapp_outbound WHERE wa_message_id = %s LIMIT 1", (wa_message_id,)
            ).fetchone():
                return False  # its message has a further status already
            # No message has the id yet (the send job saves it after the Graph API answered): keep it.
            conn.sql("DELETE FROM whatsapp_early_statuses WHERE received_at <= %s", (now - self.early.seconds,))
            conn.sql(_KEEP_EARLY, {"wamid": wa_message_id, "status": status, "error": error, "now": now})
            conn.sql(
                "DELETE FROM whatsapp_early_statuses WHERE wa_message_id IN (SELECT wa_message_id"
                " FROM whatsapp_early_statuses ORDER BY received_at DESC, wa_message_id OFFSET %s)",
                (self.early.max_ids,),
            )
            return False

        return await self.db.write(run)

    async def messages(
        self, *, wa_id: str | None = None, session_id: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        column, value = ("session_id", session_id) if session_id else ("wa_id", wa_id)
        return await self._all(
            "SELECT id, wa_id, session_id, kind, status, wa_message_id, attempts, error, created_at, updated_at"
            f" FROM whatsapp_outbound WHERE {column} = %s ORDER BY id DESC LIMIT %s",
            (value, limit),
        )

    async def counts(self) -> dict[str, int]:
        rows = await self._all("SELECT status, count(*) AS n FROM whatsapp_outbound GROUP BY status", None)
        return {r["status"]: int(r["n"]) for r in rows}

    async def tree_click(
        self, session_id: str | None, customer_id: str, article_id: str, label: str | None, lang: str
    ) -> None:
        await self._changed(TREE_CLICK, (session_id, customer_id, article_id, label, lang, "whatsapp", time.time()))

    # -- agent replies ----------------------------------------------------------------------------
    async def pending_turns(self, since: float, limit: int = 200) -> list[dict[str, Any]]:
        return await self._all(_PENDING, (since, limit))

    async def claim_turn(self, wa_id: str, turn_id: int) -> bool:
        return await self._changed(_CLAIM, (turn_id, wa_id, turn_id)) == 1
