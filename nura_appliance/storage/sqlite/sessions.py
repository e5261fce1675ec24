"""SQLite implementation of :class:`~nura_appliance.storage.base.SessionStore`."""

from __future__ import annotations

import json
import time
from dataclasses import fields
from typing import Any

from nura_appliance.errors import NotFound, StorageError
from nura_appliance.storage.base import (
    OutboxItem,
    SessionChange,
    SessionCommand,
    SessionRecord,
    TurnRecord,
    like_contains,
)
from nura_appliance.storage.sqlite.db import Connection, Database

_SESSION_COLUMNS = [f.name for f in fields(SessionRecord)]
# Positional parameters: binding by name costs apsw a dict lookup per column (0.7 µs a session).
_INSERT_SESSION = (
    f"INSERT INTO sessions ({', '.join(_SESSION_COLUMNS)}) VALUES ({', '.join('?' for _ in _SESSION_COLUMNS)})"
)
# What a command may change: everything but the identity of the session.
_FIXED = frozenset(("id", "token_hash", "created_at", "version", "updated_at"))
_MUTABLE = frozenset(_SESSION_COLUMNS) - _FIXED
# ``json.dumps(x, ensure_ascii=False)`` builds a new encoder on every call (any option does); the
# rows of a message are encoded by this one (same output).
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def _session_params(session: SessionRecord) -> tuple[Any, ...]:
    values = session.__dict__
    return tuple(_to_json(values["meta"]) if name == "meta" else values[name] for name in _SESSION_COLUMNS)


def insert_session(conn: Connection, session: SessionRecord) -> SessionRecord:
    """Create ``session`` as version 1; returns it as stored (the row holds exactly these values:
    no column has a default or trigger of its own, so no RETURNING round trip is needed)."""
    session.version = 1
    conn.execute(_INSERT_SESSION, _session_params(session))
    return session


def update_session(
    conn: Connection, current: SessionRecord, changes: dict[str, Any], at: float
) -> SessionRecord | None:
    """Write ``changes`` (owned columns only) to the row ``current`` was read from, if it is still
    at ``current.version`` (``UPDATE … WHERE id = ? AND version = ?``), bumping the version.
    Returns the committed row (``current`` with the changes: the row holds exactly these values),
    or None when the row is at another version (or gone) and nothing was written."""
    unknown = set(changes) - _MUTABLE
    if unknown:
        raise ValueError(f"a session command cannot write {sorted(unknown)}")
    params: dict[str, Any] = {f"v_{k}": v for k, v in changes.items()}
    if "meta" in changes:
        params["v_meta"] = _to_json(changes["meta"])
    sets = "".join(f"{k} = :v_{k}, " for k in changes)
    at = max(at, current.updated_at)
    params.update(id=current.id, at=at, expected=current.version)
    conn.execute(
        f"UPDATE sessions SET {sets}updated_at = :at, version = version + 1 WHERE id = :id AND version = :expected",
        params,
    )
    if conn.changes() != 1:
        return None
    for name, value in changes.items():
        setattr(current, name, value)
    current.updated_at = at
    current.version += 1
    return current


def load_session(conn: Connection, session_id: str) -> SessionRecord | None:
    rows = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchall()
    return SessionRecord.from_row(rows[0]) if rows else None


_TURN_COLUMNS = "session_id, role, text, source, confidence, article_id, sources, sender_name, meta, created_at"
_TURN_VALUES = "(?,?,?,?,?,?,?,?,?,?)"


def _turn_params(turn: TurnRecord) -> tuple[Any, ...]:
    return (
        turn.session_id,
        turn.role,
        turn.text,
        turn.source,
        turn.confidence,
        turn.article_id,
        _to_json(turn.sources) if turn.sources is not None else None,
        turn.sender_name,
        _to_json(turn.meta),
        turn.created_at,
    )


_INSERT_TURN = f"INSERT INTO chat_turns ({_TURN_COLUMNS}) VALUES {_TURN_VALUES}"
_INSERT_TWO_TURNS = f"INSERT INTO chat_turns ({_TURN_COLUMNS}) VALUES {_TURN_VALUES}, {_TURN_VALUES}"


def insert_turn(conn: Connection, turn: TurnRecord) -> int:
    conn.execute(_INSERT_TURN, _turn_params(turn))
    return conn.last_insert_rowid()


def insert_turns(conn: Connection, turns: list[TurnRecord]) -> None:
    """Insert ``turns`` with one statement and set their ids (a message writes two turns).

    The ids come from ``last_insert_rowid`` rather than ``RETURNING`` (which costs a step and a
    row object per turn, ~3 µs a message): ``chat_turns.id`` is the rowid, and SQLite gives a row
    without one the largest rowid in the table plus one, so the rows of one INSERT — on the one
    writer connection, nothing else inserting in between — get consecutive ids in the order
    written, the last of them ``last_insert_rowid``. (The random fallback only starts once the
    largest rowid is 2**63 - 1.)"""
    if len(turns) == 1:
        turns[0].id = insert_turn(conn, turns[0])
        return
    if len(turns) == 2:
        conn.execute(_INSERT_TWO_TURNS, (*_turn_params(turns[0]), *_turn_params(turns[1])))
    else:
        values = ", ".join(_TURN_VALUES for _ in turns)
        conn.execute(
            f"INSERT INTO chat_turns ({_TURN_COLUMNS}) VALUES {values}",
            [value for turn in turns for value in _turn_params(turn)],
        )
    first = conn.last_insert_rowid() - len(turns) + 1
    for offset, turn in enumerate(turns):
        turn.id = first + offset


def insert_outbox(conn: Connection, item: OutboxItem, *, max_attempts: int = 5) -> int:
    now = time.time()
    rows = conn.execute(
        "INSERT INTO outbox (kind, payload, status, attempts, max_attempts, next_attempt_at, created_at,"
        " updated_at) VALUES (?, ?, 'pending', 0, ?, ?, ?, ?) RETURNING id",
        (item.kind, _to_json(item.payload), max_attempts, now, now, now),
    ).fetchall()
    return int(rows[0]["id"])


def write_rows(conn: Connection, session: SessionRecord, change: SessionChange) -> None:
    """The turns, log row, outbox rows and ``after`` hook of a committed command."""
    turns, log = change.turns, change.log
    if turns:
        insert_turns(conn, turns)
    if log is not None:
        customer = next((t.id for t in turns if t.role == "customer"), None)
        bot = next((t.id for t in turns if t.role in ("bot", "system")), None)
        conn.execute(
            "INSERT INTO conversation_logs (session_id, customer_id, channel, lang, customer_message,"
            " response, source, confidence, escalated, article_id, customer_turn_id, bot_turn_id,"
            " latency_ms, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                log.session_id,
                log.customer_id,
                log.channel,
                log.lang,
                log.customer_message,
                log.response,
                log.source,
                log.confidence,
                int(log.escalated),
                log.article_id,
                customer,
                bot,
                log.latency_ms,
                log.created_at,
            ),
        )
    first_id = turns[0].id if turns else None
    for item in change.outbox:
        item.payload.setdefault("message_id", first_id)
        insert_outbox(conn, item)
    if change.after is not None:
        change.after(conn, turns)


class SqliteSessionStore:
    """Sessions as versioned aggregates: every change is a command run by :meth:`apply` inside the
    writer's transaction (the one writer thread); the UPDATE compares the version. PostgreSQL has
    its own twin, ``storage/postgres/sessions.py``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, session_id: str) -> SessionRecord | None:
        row = await self.db.fetchone("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return SessionRecord.from_row(row) if row else None

    async def apply(
        self,
        session_id: str,
        command: SessionCommand,
        *,
        new: SessionRecord | None = None,
        expected: SessionRecord | None = None,
    ) -> tuple[SessionRecord, SessionChange]:
        def run(conn: Connection) -> tuple[SessionRecord, SessionChange]:
            now = time.time()
            if new is not None:
                # A new session: the command's change goes into the INSERT itself (one statement).
                change = command(conn, new)
                for name, value in change.fields.items():
                    if name not in _MUTABLE:
                        raise ValueError(f"a session command cannot write {name!r}")
                    setattr(new, name, value)
                new.updated_at = max(now, new.updated_at)
                inserted = insert_session(conn, new)
                write_rows(conn, inserted, change)
                return inserted, change
            # With ``expected`` (a committed row the caller holds, e.g. from the cache) the command
            # runs on it and the UPDATE's version compare checks that it is still current; if not,
            # the row is read and the command runs again on it.
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
                committed = update_session(conn, current, change.fields, now)
                if committed is not None:
                    write_rows(conn, committed, change)
                    return committed, change
                if not retry:
                    raise StorageError("the session changed while its command ran", code="session_changed")
            raise AssertionError("unreachable")

        return await self.db.write(run)

    async def turns(self, session_id: str, *, after_id: int = 0, limit: int = 500) -> list[TurnRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM chat_turns WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?",
            (session_id, after_id, limit),
        )
        return [TurnRecord.from_row(r) for r in rows]

    async def recent_turns(self, session_id: str, limit: int) -> list[TurnRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM (SELECT * FROM chat_turns WHERE session_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
            (session_id, limit),
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
        params: list[Any] = []
        wanted = statuses or ((status,) if status else ())
        if wanted:
            where.append(f"status IN ({', '.join('?' for _ in wanted)})")
            params.extend(wanted)
        if customer_id:
            where.append("customer_id = ?")
            params.append(customer_id)
        if since is not None:
            where.append("updated_at >= ?")
            params.append(since)
        if until is not None:
            where.append("updated_at < ?")
            params.append(until)
        if text:
            like = like_contains(text)
            if search_messages:
                where.append(
                    "(id LIKE ? ESCAPE '\\' OR customer_id LIKE ? ESCAPE '\\'"
                    " OR id IN (SELECT session_id FROM chat_turns WHERE text LIKE ? ESCAPE '\\'))"
                )
                params.extend([like, like, like])
            else:
                where.append("(id LIKE ? ESCAPE '\\' OR customer_id LIKE ? ESCAPE '\\')")
                params.extend([like, like])
        clause = f"WHERE {' AND '.join(where)}" if where else ""

        def run(conn: Connection) -> tuple[list[SessionRecord], int]:
            total = conn.execute(f"SELECT count(*) AS n FROM sessions {clause}", params).fetchall()[0]["n"]
            rows = conn.execute(
                f"SELECT * FROM sessions {clause} ORDER BY updated_at DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
            return [SessionRecord.from_row(r) for r in rows], total

        return await self.db.read(run)
