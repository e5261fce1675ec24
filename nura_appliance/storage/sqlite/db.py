"""apsw access to ``nura.db``: one writer thread with group commit, a pool of readers.

Why this shape:

* SQLite allows one writer at a time. Funnelling every write through one thread removes
  ``SQLITE_BUSY`` between our own writers, and ``BEGIN IMMEDIATE`` takes the write lock up
  front so a deferred transaction can never fail half-way on upgrade (DESIGN.md §10).
* The writer drains whatever writes are queued and runs them in **one** transaction, each
  inside its own savepoint (group commit). One fsync then covers many requests, and a write
  that fails rolls back alone without touching its neighbours.
* A write's future resolves only after ``COMMIT`` returns, so an acknowledged write is
  committed. We run WAL with ``synchronous=FULL``: a committed transaction survives power
  loss, not only a process crash (``NORMAL`` could lose the last commits on power loss).
* Reads run on their own thread-local connections in a thread pool; WAL lets them proceed
  while the writer writes. Nothing here ever runs on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

import apsw
import sqlite_vec

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import Transaction
from nura_appliance.storage.writer import LoopFuture, Write, serve_writes, settle, settle_all

log = logging.getLogger(__name__)

T = TypeVar("T")
# One result row: column name -> value (our connections' row tracer builds it). The values are
# SQLite values whose types the query knows; each store turns rows into its own records.
Row = dict[str, Any]


def _dict_rows(cursor: apsw.Cursor, row: apsw.SQLiteValues) -> Row:
    return {d[0]: v for d, v in zip(cursor.get_description(), row, strict=False)}


if TYPE_CHECKING:
    # Statement parameters: positional (a sequence) or named (``:name``); a stub-only name of apsw.
    Params = apsw.Bindings

    # What the type checker sees of a connection from :func:`connect`: apsw's, whose cursors yield
    # dicts (the row tracer above). apsw's stubs type rows as tuples because a row tracer may
    # return anything; these subclasses state what ours returns. At run time both names are apsw's
    # own classes (nothing is wrapped). A function written against ``apsw.Connection`` still
    # accepts one of these.
    class Cursor(apsw.Cursor):
        def execute(
            self,
            statements: str,
            bindings: apsw.Bindings | None = None,
            *,
            can_cache: bool = True,
            prepare_flags: int = 0,
            explain: int = -1,
        ) -> Cursor: ...
        def executemany(
            self,
            statements: str,
            sequenceofbindings: Iterable[apsw.Bindings],
            *,
            can_cache: bool = True,
            prepare_flags: int = 0,
            explain: int = -1,
        ) -> Cursor: ...
        def fetchall(self) -> list[Row]: ...  # type: ignore[override]  # rows are dicts (row tracer)
        def fetchone(self) -> Row | None: ...
        def __iter__(self) -> Self: ...
        def __next__(self) -> Row: ...

    class Connection(apsw.Connection):
        def cursor(self) -> Cursor: ...
        def execute(
            self,
            statements: str,
            bindings: apsw.Bindings | None = None,
            *,
            can_cache: bool = True,
            prepare_flags: int = 0,
            explain: int = -1,
        ) -> Cursor: ...
        def executemany(
            self,
            statements: str,
            sequenceofbindings: Iterable[apsw.Bindings],
            *,
            can_cache: bool = True,
            prepare_flags: int = 0,
            explain: int = -1,
        ) -> Cursor: ...

else:
    Cursor = apsw.Cursor
    Connection = apsw.Connection


def own(conn: Transaction) -> Connection:
    """The apsw connection behind a transaction a SQLite store's method is handed: a store is only
    ever handed a connection of its own database (the seam's ``Transaction`` hides the driver from
    the features, not from the store)."""
    return cast(Connection, conn)


def engine_versions() -> str:
    """``sqlite X, sqlite-vec Y`` from a throw-away in-memory connection that loads the extension
    (``nura doctor``); a :class:`StorageError` when the extension does not load."""
    try:
        conn = apsw.Connection(":memory:")
        conn.enable_load_extension(True)
        conn.load_extension(sqlite_vec.loadable_path())
        version = conn.execute("SELECT vec_version()").fetchall()[0][0]
        conn.close()
    except apsw.Error as exc:
        raise StorageError(str(exc)) from None
    return f"sqlite {apsw.sqlite_lib_version()}, sqlite-vec {version}"


def connect(path: Path | str, *, readonly: bool = False) -> Connection:
    """Open a connection with our pragmas and sqlite-vec loaded."""
    flags = apsw.SQLITE_OPEN_READONLY if readonly else apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
    try:
        conn = apsw.Connection(str(path), flags=flags)
    except apsw.Error as exc:
        raise StorageError(f"cannot open database {path}: {exc}") from None
    conn.enable_load_extension(True)
    conn.load_extension(sqlite_vec.loadable_path())
    conn.enable_load_extension(False)
    conn.set_busy_timeout(5000)
    conn.row_trace = _dict_rows
    if not readonly:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_size_limit=67108864")
    return cast(Connection, conn)


def storage_error(exc: BaseException) -> StorageError:
    """Translate apsw's exceptions into the one error the API knows how to render."""
    if isinstance(exc, apsw.ReadOnlyError):
        return StorageError("the database is read-only; check the data directory's permissions")
    if isinstance(exc, apsw.FullError):
        return StorageError("the disk is full; free space in the data directory")
    if isinstance(exc, apsw.BusyError):
        return StorageError("the database is busy; try again")
    return StorageError(f"database error: {exc}")


class Database:
    """Thread-safe access to one SQLite file for async and sync callers."""

    def __init__(self, path: Path | str, *, readers: int = 4) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="nura-db-read")
        self._queue: queue.SimpleQueue[Write[Connection] | None] = queue.SimpleQueue()
        self._reader_conns: list[Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._writer_conn = connect(self.path)
        # Tables whose committed changes are counted (see watch / generation).
        self._watched: set[str] = set()
        self._touched: set[str] = set()
        self._generations: dict[str, int] = {}
        self._writer_conn.create_scalar_function("nura_touched", self._on_touched, 1)
        self._writer = threading.Thread(target=self._write_loop, name="nura-db-writer", daemon=True)
        self._writer.start()

    # -- change counters -----------------------------------------------------------------------
    def watch(self, table: str) -> None:
        """Count committed changes to ``table`` made through this process's writer.

        Noticed by temporary triggers on the writer's connection that call back into Python for
        the rows of ``table`` only. (An update hook did the same for every row any statement
        wrote — five calls back into Python per customer message, each taking the GIL from inside
        SQLite while the event loop wants it, for a table a message never touches.)"""
        if table in self._watched:
            return
        if not table.isidentifier():
            raise ValueError(f"cannot watch table {table!r}")

        def install(conn: Connection) -> None:
            for op in ("insert", "update", "delete"):
                conn.execute(
                    f"CREATE TEMP TRIGGER IF NOT EXISTS nura_watch_{table}_{op} AFTER {op.upper()} ON main.{table}"
                    f" BEGIN SELECT nura_touched('{table}'); END"
                )

        self.write_sync(install)
        self._generations.setdefault(table, 0)
        self._watched.add(table)

    def generation(self, table: str) -> int:
        """How many committed write batches of this process changed ``table`` (a watched one).

        Lets an in-memory cache notice this process's own changes at once, without a query; other
        processes' changes still need a read (their writes never pass through this counter)."""
        return self._generations[table]

    def _on_touched(self, *args: apsw.SQLiteValue) -> None:
        self._touched.add(str(args[0]))  # nura_touched('<table>') from a watch trigger

    def _count_commit(self, committed: bool) -> None:
        if committed:
            for table in self._touched:
                self._generations[table] += 1
        self._touched.clear()

    # -- writes -------------------------------------------------------------------------------
    def _write_loop(self) -> None:
        serve_writes(self._queue, lambda batch: self._run_batch(self._writer_conn, batch), "database writer")
        self._writer_conn.close()

    def _run_batch(self, conn: Connection, batch: list[Write[Connection]]) -> None:
        self._touched.clear()
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
        except apsw.Error as exc:
            for _, fut in batch:
                settle(fut, exc=storage_error(exc))
            return
        # The savepoints around each write run on one cursor: ``conn.execute`` makes a cursor per
        # call (and registers it with the connection), twice per write for these two statements.
        control = conn.cursor()
        for fn, _ in batch:
            control.execute("SAVEPOINT w")
            try:
                result = fn(conn)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's future
                if not conn.in_transaction:
                    # SQLite itself rolled the whole transaction back (disk full, I/O error):
                    # nothing in this batch was committed, so every caller gets this error.
                    for _, fut in batch:
                        settle(fut, exc=storage_error(exc) if isinstance(exc, apsw.Error) else exc)
                    return
                control.execute("ROLLBACK TO w")
                control.execute("RELEASE w")
                outcomes.append((False, exc))
            else:
                control.execute("RELEASE w")
                outcomes.append((True, result))
        try:
            conn.execute("COMMIT")
        except apsw.Error as exc:
            try:
                conn.execute("ROLLBACK")
            except apsw.Error:
                pass
            for _, fut in batch:
                settle(fut, exc=storage_error(exc))
            return
        # Counted after COMMIT and before any caller's future resolves: a caller that awaited its
        # write sees the new count.
        self._count_commit(True)
        settle_all(
            (fut, value, None) if ok else (fut, None, storage_error(value) if isinstance(value, apsw.Error) else value)
            for (_, fut), (ok, value) in zip(batch, outcomes, strict=True)
        )

    def submit_write(self, fn: Callable[[Connection], T]) -> Future[T]:
        if self._closed:
            raise StorageError("the database is closed")
        fut: Future[T] = Future()
        if threading.current_thread() is self._writer:
            # A write issued from inside a write runs inline, in the same transaction.
            fut.set_running_or_notify_cancel()
            fut.set_result(fn(self._writer_conn))
            return fut
        self._queue.put((fn, fut))
        return fut

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(conn)`` in a write transaction; returns once it is committed."""
        if self._closed:
            raise StorageError("the database is closed")
        slot: LoopFuture[T] = LoopFuture(asyncio.get_running_loop())
        self._queue.put((fn, slot))
        return await slot.future

    def write_sync(self, fn: Callable[[Connection], T]) -> T:
        return self.submit_write(fn).result()

    # -- reads ---------------------------------------------------------------------------------
    def _reader(self) -> Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._lock:
                self._reader_conns.append(conn)
        return conn

    def _read(self, fn: Callable[[Connection], T]) -> T:
        try:
            return fn(self._reader())
        except apsw.Error as exc:
            raise storage_error(exc) from None

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(conn)`` on a reader connection in the reader pool."""
        if self._closed:
            raise StorageError("the database is closed")
        return await asyncio.wrap_future(self._readers.submit(self._read, fn))

    def read_sync(self, fn: Callable[[Connection], T]) -> T:
        if self._closed:  # as ``read``: a StorageError, not the pool's RuntimeError
            raise StorageError("the database is closed")
        return self._readers.submit(self._read, fn).result()

    # -- helpers ----------------------------------------------------------------------------------
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self.read(lambda c: list(c.execute(sql, params)))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.read(lambda c: list(c.execute(sql, params)))
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement; returns the number of changed rows."""

        def run(c: Connection) -> int:
            c.execute(sql, params)
            return c.changes()

        return await self.write(run)

    def backup_to(self, target: Path | str) -> None:
        """Online, consistent copy of the database (SQLite's backup API) while serving.

        One step copies every page inside one read transaction: in WAL mode writers go on meanwhile.
        Copying in slices instead restarts from the first page whenever another process commits
        between two slices, so under steady traffic (the server answering messages) the copy never
        finished: ``nura backup`` of a busy appliance hung."""
        dest = apsw.Connection(str(target))
        try:
            with dest.backup("main", self._reader(), "main") as job:
                job.step(-1)
        finally:
            dest.close()

    def checkpoint(self) -> None:
        self.write_sync(lambda c: None)
        self._reader().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._writer.join(timeout=10)
        self._readers.shutdown(wait=True)
        with self._lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()


def snapshot_file(source: Path | str, target: Path | str) -> None:
    """A consistent copy of a live SQLite database file (the backup API, while it serves), left as a
    plain rollback-journal file so that nothing else (``-wal``, ``-shm``) needs to travel with it."""
    db = Database(source, readers=1)
    try:
        db.backup_to(target)
    finally:
        db.close()
    conn = apsw.Connection(str(target))
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
