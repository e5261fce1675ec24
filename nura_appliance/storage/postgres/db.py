"""PostgreSQL access with the shape of the SQLite :class:`~nura_appliance.storage.sqlite.db.Database`.

Stores hand ``fn(conn)`` to ``db.read`` / ``db.write`` as on SQLite; here ``fn`` receives
:class:`PgConnection`, a thin adapter over a psycopg connection that returns dict rows. It runs
PostgreSQL text as written (``sql``, ``sql_many``, ``sql_pipeline``, ``sql_deferred``: ``%s`` /
``%(name)s`` parameters): every statement comes from a native store in ``storage/postgres/``.
There is no SQLite-to-PostgreSQL translation and no ``execute``: SQLite text sent here is a
programming error that fails loudly (``AttributeError``), not a rewrite.

What both backends' databases offer (what code above the stores may call on either): ``read`` /
``read_sync``, ``write`` / ``write_sync`` / ``submit_write`` of ``fn(conn)``, ``watch`` /
``generation``, ``checkpoint``, ``close``, ``dialect`` and ``path``; a connection's ``changes()``.
The SQLite ``Database``'s ``fetchall`` / ``fetchone`` / ``execute`` helpers take SQLite text and
exist there only (its stores use them); ``table_names`` is this backend's own (``nura migrate-data``).

Semantics kept from SQLite:

* **One writer at a time.** SQLite serialises every write transaction; feature code relies on it
  (read-then-update inside one ``db.write``). Here one writer thread per process drains the queued
  writes into one transaction, each in its own savepoint (group commit: one WAL flush for many
  requests, a failing write rolls back alone), and each such transaction first takes a
  transaction-scoped advisory lock, so writes from every worker process are serialised the same
  way while reads run concurrently. Acknowledged = committed: ``write`` returns after ``COMMIT``.
* **Never on the event loop.** Calls run on a thread pool over a synchronous ``psycopg_pool``.
* **Clear failures.** A connection problem (PostgreSQL restarting, pool exhausted) becomes
  :class:`StorageError` (HTTP 503 with a retry hint), never a 500.
"""

from __future__ import annotations

import asyncio
import logging
import math
import queue
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from typing import Any, TypeVar, cast

import psycopg
from psycopg import abc as pgabc
from psycopg import pq
from psycopg import sql as pgsql
from psycopg.adapt import PyFormat, Transformer
from psycopg.errors import error_from_result
from psycopg.generators import execute as _execute_gen
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import Transaction
from nura_appliance.storage.writer import LoopFuture, serve_writes, settle, settle_all

log = logging.getLogger(__name__)

T = TypeVar("T")
Row = dict[str, Any]

DIALECT = "postgres"
# pg_advisory_xact_lock key for "the writer" (any constant; "nura" in ASCII).
WRITER_LOCK_KEY = 0x6E757261

_BEGIN_LOCKED = f"BEGIN; SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})"
_SAVEPOINT = "SAVEPOINT nura_write"
_NEXT_SAVEPOINT = "RELEASE SAVEPOINT nura_write; SAVEPOINT nura_write"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT nura_write"


# ``%(name)s`` / ``%s`` placeholders (and ``%%``) of our own statement texts, for ``sql_prepared``.
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")
# Server-side prepared statements per connection (``sql_prepared``): at most this many, then the
# rest run unnamed (parsed per call) rather than growing a backend's memory without bound.
PREPARED_MAX = 64
_prepared: weakref.WeakKeyDictionary[psycopg.Connection[Any], dict[tuple[Any, ...], bytes]] = (
    weakref.WeakKeyDictionary()
)
# Statement text → (the text with ``$n`` placeholders, the parameter names in order or None).
_positional: dict[str, tuple[bytes, tuple[str, ...] | None]] = {}


def _to_positional(statement: str) -> tuple[bytes, tuple[str, ...] | None]:
    """``statement`` with ``$1``, ``$2``… for its ``%(name)s`` (a name used twice is one parameter)
    or ``%s`` placeholders, and the names in parameter order (None for ``%s``). Built once a text."""
    known = _positional.get(statement)
    if known is not None:
        return known
    names: dict[str, int] = {}
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        text = match.group(0)
        if text == "%%":
            return "%"
        name = match.group(1)
        if name is None:
            count += 1
            return f"${count}"
        if name not in names:
            names[name] = len(names) + 1
        return f"${names[name]}"

    text = _PLACEHOLDER.sub(number, statement)
    if names and count:
        raise ValueError("a statement mixes %s and %(name)s placeholders")
    if len(_positional) >= 512:  # statement shapes are few; never grow without bound
        _positional.clear()
    known = _positional[statement] = (text.encode(), tuple(names) if names else None)
    return known


def _literal(value: Any) -> str | None:
    """``value`` as an SQL literal for ``sql_deferred`` when it is one of the plain kinds a deferred
    row holds (None, str, int, a finite float); None for anything else (psycopg's binder then does
    it). Strings: quotes doubled, which is the whole escaping with ``standard_conforming_strings``
    on (checked per connection); a NUL, which PostgreSQL text cannot hold, goes to psycopg's error."""
    kind = type(value)
    if value is None:
        return "NULL"
    if kind is str:
        return None if "\x00" in value else "'" + value.replace("'", "''") + "'"
    if kind is int:
        return f" {value}" if value < 0 else str(value)  # " -1": never "--", a comment
    if kind is float and math.isfinite(value):
        return f" {value!r}" if value < 0 else repr(value)
    return None


def _convert(value: Any) -> Any:
    # sum()/avg() over integers are numeric in PostgreSQL; SQLite hands back int or float.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _params(params: Iterable[Any] | dict[str, Any] | None) -> Any:
    if params is None:
        return None
    if isinstance(params, dict):
        return params
    return tuple(params)


class PgCursor:
    """What ``conn.sql(...)`` returns: iterable, with ``fetchall``/``fetchone``."""

    def __init__(self, rows: list[Row]) -> None:
        self._rows = rows

    def fetchall(self) -> list[Row]:
        return self._rows

    def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)


class PgConnection:
    """The psycopg connection that ``fn(conn)`` sees: PostgreSQL text in, dict rows out."""

    dialect = DIALECT

    def __init__(
        self,
        raw: psycopg.Connection[Any],
        database: PgDatabase | None = None,
    ) -> None:
        self.raw = raw
        self.database = database
        self._cursor: psycopg.Cursor[Any] | None = None
        self._changes = 0
        self.on_write: Callable[[str], None] | None = None  # the writer's change counter
        # Writes nobody reads a result of (``sql_deferred``), held by the writer's connection until
        # its next statement or the end of the write, then sent with it (see ``flush``).
        self.defer_writes = False
        self._deferred: list[str] = []
        self._binder: psycopg.ClientCursor[Any] | None = None
        self._tx: pgabc.Transformer | None = None
        self._conforming: bool | None = None

    def sql_deferred(self, statement: str, params: Iterable[Any] | dict[str, Any] | None = None) -> None:
        """A write of PostgreSQL text whose result nobody reads (no rows, no ``changes()``). On
        the writer's connection it is bound client-side and sent later in one simple query with
        whatever comes next in the same write — its next statement, or at the end of the write
        the savepoint commands or the COMMIT — so it costs no round trip of its own; an error in
        it is still the error of the write that made it. Elsewhere it runs at once."""
        if not self.defer_writes:
            self.sql(statement, params)
            return
        if self.on_write is not None:
            self.on_write(statement)
        args = _params(params)
        if type(args) is tuple and self._plain_strings():
            # Most deferred rows are plain values: quoted here (a message's insight row 3.4 µs,
            # psycopg's binder 16 µs)
            literals = [_literal(v) for v in args]
            if None not in literals:
                self._deferred.append(statement % tuple(literals))
                return
        binder = self._binder
        if binder is None:
            binder = self._binder = psycopg.ClientCursor(self.raw)
        self._deferred.append(binder.mogrify(statement, args))

    def _plain_strings(self) -> bool:
        """Whether this connection reads a backslash in a string literal as itself
        (``standard_conforming_strings``, on by default since PostgreSQL 9.1)."""
        plain = self._conforming
        if plain is None:
            status = self.raw.pgconn.parameter_status(b"standard_conforming_strings")
            plain = self._conforming = status == b"on"
        return plain

    def flush(self, tail: str = "") -> None:
        """Send the deferred writes, then ``tail`` (commands without parameters), as one simple
        query: one round trip. Raises what the first failing statement raised."""
        parts = self._deferred
        if tail:
            parts.append(tail)
        if not parts:
            return
        self._deferred = []
        self.simple("; ".join(parts))

    def simple(self, text: str) -> None:
        """``text`` (statements without parameters, no rows wanted) as one simple query straight
        through libpq, raising what the first failing statement raised, as psycopg would. The
        writer sends one of these per write (a lone write's ``COMMIT``, a batch's savepoint
        commands with the write's deferred rows) and two per batch (``BEGIN`` with the lock,
        ``COMMIT``); psycopg's cursor spent about twice the client CPU on each (a new
        ``Transformer`` for every new text, the prepared-statement bookkeeping, the result
        handling of a cursor): 49-52 -> 27 µs per round trip measured in-process
        (docs/PERFORMANCE.md)."""
        raw = self.raw
        pgconn = raw.pgconn
        if pgconn.status != pq.ConnStatus.OK:  # as psycopg's own check before a query
            raise psycopg.OperationalError("the connection is closed")
        encoding = raw.info.encoding
        with raw.lock:
            pgconn.send_query(text.encode(encoding))
            results = raw.wait(_execute_gen(pgconn))
        for result in results:
            if result.status == pq.ExecStatus.FATAL_ERROR:
                raise error_from_result(result, encoding=encoding)

    def discard(self) -> None:
        """Forget deferred writes (their write failed and is rolled back)."""
        self._deferred = []

    def sql(self, statement: str, params: Iterable[Any] | dict[str, Any] | None = None) -> PgCursor:
        """Run PostgreSQL statement text as written (``%s`` / ``%(name)s`` parameters): what the
        native stores (``storage/postgres/*.py``) call. Nothing is translated."""
        if self._deferred:
            self.flush()
        if self.on_write is not None:
            self.on_write(statement)
        cur = self._cursor
        if cur is None or cur.closed:
            cur = self._cursor = self.raw.cursor()
        args = _params(params)
        cur.execute(statement, args if args else None)
        self._changes = max(cur.rowcount, 0)
        if cur.description is None:
            return PgCursor([])
        rows = cur.fetchall()
        if not rows:
            return PgCursor([])
        # rows are dicts already; copy them only when a value needs converting (Decimal, bytea)
        if any(isinstance(v, Decimal | memoryview) for v in rows[0].values()) or len(rows) > 1:
            return PgCursor([{k: _convert(v) for k, v in row.items()} for row in rows])
        return PgCursor(rows)

    def sql_prepared(self, statement: str, params: Iterable[Any] | dict[str, Any]) -> PgCursor:
        """``sql`` for a hot statement (a message's write): the same parameters (psycopg's own
        adapters dump them), the same rows and errors, but run as a server-side prepared statement
        straight through libpq, without a cursor: ~40 µs less client CPU per execution of a
        message's ~50-parameter statement than psycopg's cursor (its query conversion and
        parameter reordering, the prepared-statement bookkeeping, the column objects, the row
        maker; docs/PERFORMANCE.md). Each connection prepares a (text, parameter types) pair once, on first use (as
        psycopg does, on a type change too); past ``PREPARED_MAX`` of them a statement runs
        unnamed."""
        if self._deferred:
            self.flush()
        if self.on_write is not None:
            self.on_write(statement)
        text, order = _to_positional(statement)
        if order is not None:
            if not isinstance(params, dict):
                raise TypeError("a statement with %(name)s placeholders takes a dict of parameters")
            values: Any = [params[name] for name in order]
        elif isinstance(params, dict):
            raise TypeError("a statement with %s placeholders takes a sequence of parameters")
        else:
            values = params if isinstance(params, list | tuple) else list(params)
        raw = self.raw
        pgconn = raw.pgconn
        if pgconn.status != pq.ConnStatus.OK:
            raise psycopg.OperationalError("the connection is closed")
        tx = self._tx
        if tx is None:
            tx = self._tx = Transformer(raw)
        dumped = tx.dump_sequence(values, [PyFormat.AUTO] * len(values))
        types, formats = tx.types, tx.formats
        names = _prepared.get(raw)
        if names is None:
            names = _prepared[raw] = {}
        key = (text, types)
        name = names.get(key)
        encoding = raw.info.encoding
        with raw.lock:
            if name is None and len(names) < PREPARED_MAX:
                fresh = b"nura_%d" % len(names)
                pgconn.send_prepare(fresh, text, types)
                for result in raw.wait(_execute_gen(pgconn)):
                    if result.status == pq.ExecStatus.FATAL_ERROR:
                        raise error_from_result(result, encoding=encoding)
                name = names[key] = fresh
            if name is None:
                pgconn.send_query_params(text, dumped, types, formats)
            else:
                pgconn.send_query_prepared(name, dumped, formats)
            results = raw.wait(_execute_gen(pgconn))
        result = results[-1]
        for each in results:
            if each.status == pq.ExecStatus.FATAL_ERROR:
                raise error_from_result(each, encoding=encoding)
        self._changes = result.command_tuples or 0
        if result.status != pq.ExecStatus.TUPLES_OK or not result.ntuples:
            return PgCursor([])
        tx.set_pgresult(result)
        columns = [(result.fname(i) or b"").decode(encoding) for i in range(result.nfields)]
        rows = [dict(zip(columns, row, strict=True)) for row in tx.load_rows(0, result.ntuples, tuple)]
        if any(isinstance(v, Decimal | memoryview) for v in rows[0].values()) or len(rows) > 1:
            return PgCursor([{k: _convert(v) for k, v in row.items()} for row in rows])
        return PgCursor(rows)

    def sql_many(self, statement: str, seq: Iterable[Iterable[Any] | dict[str, Any]]) -> int:
        """``executemany`` of PostgreSQL text as written (psycopg pipelines it); returns the rows changed."""
        if self._deferred:
            self.flush()
        if self.on_write is not None:
            self.on_write(statement)
        with self.raw.cursor() as cur:
            cur.executemany(statement, [_params(p) for p in seq])
            self._changes = max(cur.rowcount, 0)
        return self._changes

    def sql_pipeline(
        self, statements: list[tuple[str, Iterable[Any] | dict[str, Any] | None]], *, snapshot: bool = False
    ) -> list[list[Row]]:
        """Several statements of PostgreSQL text in one round trip (psycopg pipeline mode); their
        rows in order. ``snapshot`` outside a transaction (a reader) runs them in one REPEATABLE
        READ READ ONLY transaction, so that they all see the same data; inside one (the writer)
        they are part of it."""
        if self._deferred:
            self.flush()
        if self.on_write is not None:
            for statement, _ in statements:
                self.on_write(statement)
        own = snapshot and self.raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        cursors: list[psycopg.Cursor[Any]] = []
        with self.raw.pipeline():
            if own:
                self.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                for statement, params in statements:
                    cur = self.raw.cursor()
                    args = _params(params)
                    cur.execute(statement, args if args else None)
                    cursors.append(cur)
            finally:
                if own:
                    self.raw.execute("COMMIT")
        out: list[list[Row]] = []
        for cur in cursors:
            rows = cur.fetchall() if cur.description is not None else []
            out.append([{k: _convert(v) for k, v in row.items()} for row in rows])
            cur.close()
        return out

    def changes(self) -> int:
        return self._changes


def own(conn: Transaction) -> PgConnection:
    """The :class:`PgConnection` behind a transaction a PostgreSQL store's method is handed: a store
    is only ever handed a connection of its own database (the seam's ``Transaction`` hides the
    driver from the features, not from the store)."""
    return cast(PgConnection, conn)


def storage_error(exc: BaseException) -> StorageError:
    # Connection problems are transient (PostgreSQL restarting, pool exhausted): tell clients when
    # to retry; the pool replaces broken connections in the meantime.
    retry = {"Retry-After": "2"}
    if isinstance(exc, PoolTimeout):
        return StorageError("the database is busy or unavailable; try again", headers=retry)
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return StorageError("the database is unavailable; try again shortly", headers=retry)
    return StorageError(f"database error: {exc}")


class PgDatabase:
    """PostgreSQL with the SQLite ``Database`` interface (see the module docstring)."""

    dialect = DIALECT

    def __init__(self, url: str, *, min_size: int = 2, max_size: int = 12, timeout: float = 5.0) -> None:
        self.url = url
        self.path = None  # no file: code that backs up files checks for this
        self._closed = False
        # Rows are dicts (the row factory below); the annotation tells the type checker so.
        self.pool: ConnectionPool[psycopg.Connection[DictRow]] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            kwargs={"row_factory": dict_row, "autocommit": True},
            reconnect_timeout=30.0,
            name="nura-pg",
        )
        try:
            self.pool.open(wait=True, timeout=timeout)
        except PoolTimeout as exc:
            self.pool.close()
            raise StorageError(f"cannot connect to PostgreSQL: {exc}") from None
        # Readers leave two pool connections free for the writer thread.
        self._executor = ThreadPoolExecutor(max_workers=max(2, max_size - 2), thread_name_prefix="nura-pg")
        self._queue: queue.SimpleQueue[tuple[Callable[[PgConnection], Any], Future[Any] | LoopFuture[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._writer_conn: PgConnection | None = None
        # Committed changes to watched tables made through this process's writer (see watch).
        self._watched: set[str] = set()
        self._touched: set[str] = set()
        self._generations: dict[str, int] = {}
        self._writer = threading.Thread(target=self._write_loop, name="nura-pg-writer", daemon=True)
        self._writer.start()
        self._checking = threading.Lock()

    # -- reads (thread pool) ------------------------------------------------------------------
    def _read(self, fn: Callable[[PgConnection], T]) -> T:
        if self._closed:
            raise StorageError("the database is closed")
        try:
            with self.pool.connection() as raw:
                return fn(PgConnection(raw, self))
        except (PoolTimeout, psycopg.OperationalError, psycopg.InterfaceError) as exc:
            log.warning("PostgreSQL unavailable: %s", exc)
            self._connection_lost()
            raise storage_error(exc) from None

    def _connection_lost(self) -> None:
        """Test the idle pooled connections once one failed: after PostgreSQL restarted or ended
        every backend, the next callers then get fresh connections rather than finding the dead
        ones one by one (a 503 or a job retry each). One check at a time; cheap when all is well."""
        if not self._checking.acquire(blocking=False):
            return
        try:
            self.pool.check()
        except Exception:  # noqa: BLE001 - best effort: the pool also replaces bad connections itself
            log.debug("pool check failed", exc_info=True)
        finally:
            self._checking.release()

    def read_sync(self, fn: Callable[[PgConnection], T]) -> T:
        return self._read(fn)

    async def read(self, fn: Callable[[PgConnection], T]) -> T:
        if self._closed:  # as SQLite's Database: a StorageError, not the executor's RuntimeError
            raise StorageError("the database is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._read, fn)

    # -- change counters (the SQLite Database's interface) ----------------------------------------
    def watch(self, table: str) -> None:
        """Count committed changes to ``table`` made through this process's writer."""
        self._watched.add(table)
        self._generations.setdefault(table, 0)

    def generation(self, table: str) -> int:
        return self._generations[table]

    def _note_write(self, statement: str) -> None:
        """Called by the writer's connection for every statement: remember watched tables that a
        data-changing statement names (SQLite has an update hook for this; PostgreSQL's client has
        none, and the statements are our own, so naming the table is the signal)."""
        head = statement.lstrip()[:7].upper()
        if head.startswith(("INSERT", "UPDATE", "DELETE", "REPLACE")):
            for table in self._watched:
                if table in statement:
                    self._touched.add(table)

    # -- writes: one writer thread, group commit -------------------------------------------------
    def _write_loop(self) -> None:
        serve_writes(self._queue, self._run_batch, "PostgreSQL writer")

    def _run_batch(self, batch: list[tuple[Callable[[PgConnection], Any], Future[Any] | LoopFuture[Any]]]) -> None:
        """Run queued writes in one transaction, each in its own savepoint (a lone write needs
        none): one commit (one WAL flush) covers the batch, and a write that fails rolls back
        alone. Round trips for one write: BEGIN with the lock, its statements, COMMIT."""
        outcomes: list[tuple[bool, Any]] = []
        self._touched.clear()
        try:
            with self.pool.connection() as raw:
                conn = PgConnection(raw, self)
                conn.on_write = self._note_write if self._watched else None
                conn.defer_writes = True
                lone = len(batch) == 1
                # BEGIN and the writers' lock (and a batch's first savepoint) in one round trip
                # (a simple query, no parameters)
                conn.flush(_BEGIN_LOCKED if lone else _BEGIN_LOCKED + "; " + _SAVEPOINT)
                self._writer_conn = conn
                finished = committed = False
                try:
                    if lone:
                        # One write: the transaction is its own savepoint (two round trips fewer);
                        # it fails alone and rolls back alone either way. Its deferred writes go
                        # with the COMMIT.
                        try:
                            result = batch[0][0](conn)
                            conn.flush("COMMIT")
                            committed = True
                            outcomes.append((True, result))
                        except BaseException as exc:  # noqa: BLE001 - handed to the caller's future
                            conn.discard()
                            if raw.broken or raw.closed:
                                raise
                            outcomes.append((False, exc))
                    else:
                        # Each write in a savepoint, so that a failing one rolls back alone. The
                        # savepoint commands go as simple queries with the write's deferred writes,
                        # one round trip: after a success "RELEASE; SAVEPOINT" (none after the last:
                        # COMMIT ends them), after a failure "ROLLBACK TO" (the savepoint stays
                        # set). psycopg's transaction() block cost two round trips and its own
                        # Python work per write.
                        last = len(batch) - 1
                        for index, (fn, _) in enumerate(batch):
                            try:
                                result = fn(conn)
                                conn.flush(_NEXT_SAVEPOINT if index < last else "")
                            except BaseException as exc:  # noqa: BLE001 - handed to the caller's future
                                conn.discard()
                                if raw.broken or raw.closed:
                                    raise
                                outcomes.append((False, exc))
                                conn.simple(_ROLLBACK_TO)
                            else:
                                outcomes.append((True, result))
                    finished = True
                finally:
                    self._writer_conn = None
                    conn.discard()
                    if not committed and not raw.closed and not raw.broken:
                        # one commit for the batch; nothing to keep when every write failed (or
                        # something escaped the loop, which the caller's futures then learn)
                        keep = finished and any(ok for ok, _ in outcomes)
                        conn.simple("COMMIT" if keep else "ROLLBACK")
        except (PoolTimeout, psycopg.OperationalError, psycopg.InterfaceError) as exc:
            log.warning("PostgreSQL unavailable: %s", exc)
            for _, fut in batch:
                settle(fut, exc=storage_error(exc))
            self._connection_lost()
            return
        for table in self._touched:  # committed: counted before any caller's future resolves
            self._generations[table] += 1
        self._touched.clear()
        settle_all(
            (fut, value, None)
            if ok
            else (fut, None, storage_error(value) if isinstance(value, psycopg.Error) else value)
            for (_, fut), (ok, value) in zip(batch, outcomes, strict=True)
        )

    def submit_write(self, fn: Callable[[PgConnection], T]) -> Future[T]:
        if self._closed:
            raise StorageError("the database is closed")
        fut: Future[T] = Future()
        if threading.current_thread() is self._writer and self._writer_conn is not None:
            # A write issued from inside a write runs inline, in the same transaction.
            fut.set_running_or_notify_cancel()
            fut.set_result(fn(self._writer_conn))
            return fut
        self._queue.put((fn, fut))
        return fut

    def write_sync(self, fn: Callable[[PgConnection], T]) -> T:
        return self.submit_write(fn).result()

    async def write(self, fn: Callable[[PgConnection], T]) -> T:
        """Run ``fn(conn)`` in a serialised write transaction; returns once it is committed. The
        writer resolves the caller's asyncio future directly (``LoopFuture``, as on SQLite): no
        ``concurrent.futures.Future`` and ``wrap_future`` chain per write."""
        if self._closed:
            raise StorageError("the database is closed")
        slot: LoopFuture[T] = LoopFuture(asyncio.get_running_loop())
        self._queue.put((fn, slot))
        result: T = await slot.future
        return result

    # -- helpers ----------------------------------------------------------------------------------
    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL manages its WAL (kept for interface parity)."""

    def table_names(self) -> list[str]:
        rows = self.read_sync(
            lambda c: c.sql(
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
                " AND table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
        )
        return [r["name"] for r in rows]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._writer.join(timeout=10)
        self._executor.shutdown(wait=True)
        self.pool.close()


def quote_ident(name: str) -> pgsql.Identifier:
    return pgsql.Identifier(name)
