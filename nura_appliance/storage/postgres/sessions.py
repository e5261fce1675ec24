"""PostgreSQL implementation of :class:`~nura_appliance.storage.base.SessionStore`: native SQL
(``%(name)s`` parameters, data-modifying CTEs, ``RETURNING``), nothing goes through the SQLite
translator.

A command's whole write — the versioned ``UPDATE`` (or the ``INSERT`` of a new session), its
turns and its analytics row — is **one statement, one round trip**::

    WITH s AS (UPDATE sessions SET … WHERE id = … AND version = … RETURNING version),
         t AS (INSERT INTO chat_turns … SELECT … WHERE EXISTS (SELECT 1 FROM s) RETURNING id),
         l AS (INSERT INTO conversation_logs … (SELECT min(id) FROM t WHERE role = 'customer') …)
    SELECT (SELECT version FROM s), (SELECT array_agg(id ORDER BY id) FROM t)

When the row is at another version the UPDATE matches nothing, so neither the turns nor the log
row are written and ``version`` comes back NULL (the SQLite store's ``conn.changes() != 1``).
Outbox rows (they carry the first turn's id in their payload) and the command's ``after`` hook
follow on the same connection, in the same transaction.
"""

from __future__ import annotations

import json
import time
from typing import Any

from nura_appliance.errors import NotFound, StorageError
from nura_appliance.storage.base import (
    SessionChange,
    SessionCommand,
    SessionRecord,
    TurnRecord,
    like_contains,
    record_columns,
)
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase
from nura_appliance.storage.postgres.outbox import PgOutboxStore

_SESSION_COLUMNS = record_columns(SessionRecord)
_FIXED = frozenset(("id", "token_hash", "created_at", "version", "updated_at"))
_MUTABLE = frozenset(_SESSION_COLUMNS) - _FIXED
# Each column's type, so that a NULL parameter in a VALUES list is typed (psycopg sends ``str``
# and ``None`` as "unknown", which a VALUES list would resolve to text).
_SESSION_TYPES = {
    "created_at": "float8",
    "updated_at": "float8",
    "handoff_at": "float8",
    "accepted_at": "float8",
    "resolved_at": "float8",
    "closed_at": "float8",
    "low_confidence_streak": "int8",
    "negative_count": "int8",
    "message_count": "int8",
    "rating": "int8",
    "version": "int8",
}
_TURN_COLUMNS = (
    ("session_id", "text"),
    ("role", "text"),
    ("text", "text"),
    ("source", "text"),
    ("confidence", "float8"),
    ("article_id", "text"),
    ("sources", "text"),
    ("sender_name", "text"),
    ("meta", "text"),
    ("created_at", "float8"),
)
_TURN_NAMES = ", ".join(name for name, _ in _TURN_COLUMNS)
_LOG_COLUMNS = (
    "session_id, customer_id, channel, lang, customer_message, response, source, confidence, escalated,"
    " article_id, latency_ms, created_at, customer_turn_id, bot_turn_id"
)
_to_json = json.JSONEncoder(ensure_ascii=False).encode
# Statement text per shape (which columns change, how many turns, a log or not): built once.
_TEXTS: dict[tuple[Any, ...], str] = {}
_TEXTS_MAX = 512


def _cast(name: str, kind: str) -> str:
    return f"%({name})s::{kind}"


def _turns_and_log(turn_count: int, log: bool) -> str:
    """The CTEs that write a command's turns and log row, only when ``s`` wrote the session."""
    parts = []
    if turn_count:
        rows = ", ".join(
            "("
            + ", ".join(
                _cast("c_session_id" if name == "session_id" else f"t{i}_{name}", kind) for name, kind in _TURN_COLUMNS
            )
            + ")"
            for i in range(turn_count)
        )
        parts.append(
            f", t AS (INSERT INTO chat_turns ({_TURN_NAMES}) SELECT * FROM (VALUES {rows}) AS v ({_TURN_NAMES})"
            " WHERE EXISTS (SELECT 1 FROM s) RETURNING id, role)"
        )
    if log:
        turn_ids = (
            "(SELECT min(id) FROM t WHERE role = 'customer'), (SELECT min(id) FROM t WHERE role IN ('bot', 'system'))"
            if turn_count
            else "NULL::int8, NULL::int8"
        )
        parts.append(
            f", l AS (INSERT INTO conversation_logs ({_LOG_COLUMNS}) SELECT %(c_session_id)s::text,"
            " %(l_customer_id)s::text, %(l_channel)s::text, %(l_lang)s::text, %(l_customer_message)s::text,"
            " %(l_response)s::text, %(l_source)s::text, %(l_confidence)s::float8, %(l_escalated)s::int8,"
            f" %(l_article_id)s::text, %(l_latency_ms)s::float8, %(l_created_at)s::float8, {turn_ids}"
            " WHERE EXISTS (SELECT 1 FROM s))"
        )
    ids = "(SELECT array_agg(id ORDER BY id) FROM t)" if turn_count else "NULL::int8[]"
    return "".join(parts) + f" SELECT (SELECT version FROM s) AS version, {ids} AS turn_ids"


def _insert_text(turn_count: int, log: bool) -> str:
    key = ("insert", turn_count, log)
    text = _TEXTS.get(key)
    if text is None:
        values = ", ".join(_cast(f"s_{c}", _SESSION_TYPES.get(c, "text")) for c in _SESSION_COLUMNS)
        text = (
            f"WITH s AS (INSERT INTO sessions ({', '.join(_SESSION_COLUMNS)}) VALUES ({values}) RETURNING version)"
            + _turns_and_log(turn_count, log)
        )
        _remember(key, text)
    return text


def _update_text(columns: tuple[str, ...], turn_count: int, log: bool) -> str:
    key = ("update", columns, turn_count, log)
    text = _TEXTS.get(key)
    if text is None:
        sets = "".join(f"{c} = %(s_{c})s, " for c in columns)
        text = (
            f"WITH s AS (UPDATE sessions SET {sets}updated_at = %(at)s, version = version + 1"
            " WHERE id = %(id)s AND version = %(expected)s RETURNING version)" + _turns_and_log(turn_count, log)
        )
        _remember(key, text)
    return text


def _remember(key: tuple[Any, ...], text: str) -> None:
    if len(_TEXTS) >= _TEXTS_MAX:  # commands write few column sets; never grow without bound
        _TEXTS.clear()
    _TEXTS[key] = text


def _change_params(session_id: str, change: SessionChange, params: dict[str, Any]) -> None:
    """The turns' and the log row's parameters. Their session id is one parameter (``c_session_id``),
    one value to dump instead of three. The statement runs through ``PgConnection.sql_prepared``
    (server-side prepared, no psycopg cursor: the writer's largest per-message cost before)."""
    if change.turns or change.log is not None:
        params["c_session_id"] = session_id
    for i, turn in enumerate(change.turns):
        if turn.session_id != session_id:
            raise ValueError("a session command's turns belong to its session")
        params[f"t{i}_role"] = turn.role
        params[f"t{i}_text"] = turn.text
        params[f"t{i}_source"] = turn.source
        params[f"t{i}_confidence"] = turn.confidence
        params[f"t{i}_article_id"] = turn.article_id
        params[f"t{i}_sources"] = _to_json(turn.sources) if turn.sources is not None else None
        params[f"t{i}_sender_name"] = turn.sender_name
        params[f"t{i}_meta"] = _to_json(turn.meta)
        params[f"t{i}_created_at"] = turn.created_at
    log = change.log
    if log is not None:
        if log.session_id != session_id:
            raise ValueError("a session command's log row belongs to its session")
        params.update(
            l_customer_id=log.customer_id,
            l_channel=log.channel,
            l_lang=log.lang,
            l_customer_message=log.customer_message,
            l_response=log.response,
            l_source=log.source,
            l_confidence=log.confidence,
            l_escalated=int(log.escalated),
            l_article_id=log.article_id,
            l_latency_ms=log.latency_ms,
            l_created_at=log.created_at,
        )


def _finish(conn: PgConnection, row: dict[str, Any], change: SessionChange) -> None:
    """Hand the turns their ids, then write the outbox rows and run the ``after`` hook."""
    turns = change.turns
    if turns:
        for turn, turn_id in zip(turns, row["turn_ids"], strict=True):
            turn.id = int(turn_id)
    first_id = turns[0].id if turns else None
    for item in change.outbox:
        item.payload.setdefault("message_id", first_id)
        PgOutboxStore.insert_in(conn, item, max_attempts=5)
    if change.after is not None:
        change.after(conn, turns)


def _check_fields(change: SessionChange) -> None:
    unknown = set(change.fields) - _MUTABLE
    if unknown:
        raise ValueError(f"a session command cannot write {sorted(unknown)}")


def insert_session(conn: PgConnection, session: SessionRecord, change: SessionChange) -> SessionRecord:
    """Create ``session`` as version 1 with ``change``'s turns and log row (one statement)."""
    session.version = 1
    params = {f"s_{k}": v for k, v in session.__dict__.items()}
    params["s_meta"] = _to_json(session.meta)
    _change_params(session.id, change, params)
    row = conn.sql_prepared(_insert_text(len(change.turns), change.log is not None), params).fetchone()
    assert row is not None
    _finish(conn, row, change)
    return session


def update_session(
    conn: PgConnection, current: SessionRecord, change: SessionChange, at: float
) -> SessionRecord | None:
    """Write ``change`` to the row ``current`` was read from if it is still at ``current.version``
    (one statement with its turns and log row); the committed row, or None when the row is at
    another version (or gone) and nothing was written."""
    _check_fields(change)
    changes = change.fields
    at = max(at, current.updated_at)
    params: dict[str, Any] = {f"s_{k}": v for k, v in changes.items()}
    if "meta" in changes:
        params["s_meta"] = _to_json(changes["meta"])
    params.update(id=current.id, at=at, expected=current.version)
    _change_params(current.id, change, params)
    text = _update_text(tuple(changes), len(change.turns), change.log is not None)
    row = conn.sql_prepared(text, params).fetchone()
    if row is None or row["version"] is None:
        return None
    for name, value in changes.items():
        setattr(current, name, value)
    current.updated_at = at
    current.version = int(row["version"])
    _finish(conn, row, change)
    return current


def load_session(conn: PgConnection, session_id: str) -> SessionRecord | None:
    row = conn.sql("SELECT * FROM sessions WHERE id = %s", (session_id,)).fetchone()
    return SessionRecord.from_row(row) if row else None


class PgSessionStore:
    """Sessions as versioned aggregates on PostgreSQL: every change is a command run by
    :meth:`apply` in the writer's transaction (which holds the cluster-wide writers' lock); the
    UPDATE compares the version, as on SQLite."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def get(self, session_id: str) -> SessionRecord | None:
        return await self.db.read(lambda conn: load_session(conn, session_id))

    async def apply(
        self,
        session_id: str,
        command: SessionCommand,
        *,
        new: SessionRecord | None = None,
        expected: SessionRecord | None = None,
    ) -> tuple[SessionRecord, SessionChange]:
        def run(conn: PgConnection) -> tuple[SessionRecord, SessionChange]:
            now = time.time()
            if new is not None:
                change = command(conn, new)
                _check_fields(change)
                for name, value in change.fields.items():
                    setattr(new, name, value)
                new.updated_at = max(now, new.updated_at)
                return insert_session(conn, new, change), change
            for current in (expected, None):
                if current is None:
                    current = load_session(conn, session_id)
                    if current is None:
                        raise NotFound("no session with this id", code="session_not_found")
                    retry = False
                else:
                    retry = True
                change = command(conn, current)
                if not change.fields and not change.turns:
                    if retry:
                        continue  # a no-op decided on a row that may be old: decide on the current one
                    return current, change
                committed = update_session(conn, current, change, now)
                if committed is not None:
                    return committed, change
                if not retry:
                    raise StorageError("the session changed while its command ran", code="session_changed")
            raise AssertionError("unreachable")

        return await self.db.write(run)

    async def turns(self, session_id: str, *, after_id: int = 0, limit: int = 500) -> list[TurnRecord]:
        rows = await self.db.read(
            lambda conn: conn.sql(
                "SELECT * FROM chat_turns WHERE session_id = %s AND id > %s ORDER BY id LIMIT %s",
                (session_id, after_id, limit),
            ).fetchall()
        )
        return [TurnRecord.from_row(r) for r in rows]

    async def recent_turns(self, session_id: str, limit: int) -> list[TurnRecord]:
        rows = await self.db.read(
            lambda conn: conn.sql(
                "SELECT * FROM (SELECT * FROM chat_turns WHERE session_id = %s ORDER BY id DESC LIMIT %s) AS r"
                " ORDER BY id",
                (session_id, limit),
            ).fetchall()
        )
        return [TurnRecord.from_row(r) for r in rows]

    async def list(
        self,
        *,
        status: str | None = None,
        statuses: tuple[str, ...] | None = None,
        customer_id: str | None = None,
        text: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
        offset: int = 0,
        search_messages: bool = True,
    ) -> tuple[list[SessionRecord], int]:
        where: list[str] = []
        params: dict[str, Any] = {}
        wanted = statuses or ((status,) if status else ())
        if wanted:
            where.append("status = ANY(%(statuses)s)")
            params["statuses"] = list(wanted)
        if customer_id:
            where.append("customer_id = %(customer_id)s")
            params["customer_id"] = customer_id
        if since is not None:
            where.append("updated_at >= %(since)s")
            params["since"] = since
        if until is not None:
            where.append("updated_at < %(until)s")
            params["until"] = until
        if text:
            # ILIKE: SQLite's LIKE ignores case too (like_contains escapes with a backslash)
            params["like"] = like_contains(text)
            match = "id ILIKE %(like)s OR customer_id ILIKE %(like)s"
            if search_messages:
                match += " OR id IN (SELECT session_id FROM chat_turns WHERE text ILIKE %(like)s)"
            where.append(f"({match})")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        page = {**params, "limit": limit, "offset": offset}

        def run(conn: PgConnection) -> tuple[list[SessionRecord], int]:
            total, rows = conn.sql_pipeline(
                [
                    (f"SELECT count(*) AS n FROM sessions {clause}", params),
                    (
                        f"SELECT * FROM sessions {clause} ORDER BY updated_at DESC LIMIT %(limit)s OFFSET %(offset)s",
                        page,
                    ),
                ],
                snapshot=True,
            )
            return [SessionRecord.from_row(r) for r in rows], int(total[0]["n"])

        return await self.db.read(run)
