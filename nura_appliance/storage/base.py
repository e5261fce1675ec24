"""Storage Protocols and records. Services talk to these, never to SQL, so that the SQLite
implementation (default) and the PostgreSQL one (scale-out) are interchangeable."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from nura_appliance.errors import Conflict
from nura_appliance.storage.records import Chunk, Item, chunk_fts_text

if TYPE_CHECKING:
    from concurrent.futures import Future

    import numpy as np
    from numpy.typing import NDArray

RecordT = TypeVar("RecordT")
T = TypeVar("T")


class Transaction(Protocol):
    """An open connection of one database inside a transaction that the caller holds: what a
    store's ``*_in`` method, a ``read``/``write`` callback, a session command and an outcome or
    enqueue hook are handed. Features only carry it from a store's callback to the ``*_in``
    methods of stores of the same database; each backend's stores know the connection behind it
    (SQLite: apsw's, whose rows are dicts; PostgreSQL: ``storage.postgres.db.PgConnection``), so
    no feature sees a driver type. The one operation both offer is the number of rows the last
    statement changed."""

    def changes(self) -> int: ...


class Database(Protocol):
    """An open database of either backend (``storage.sqlite.db.Database``,
    ``storage.postgres.db.PgDatabase``), as the composition root, the CLI and the features hold it
    (``AppContext.db``, ``Stores.db``): a function ``fn(conn)`` runs on a reader or in the one
    serialised writer's transaction and is handed a :class:`Transaction`; SQL stays in the stores."""

    async def read(self, fn: Callable[[Transaction], T]) -> T: ...

    def read_sync(self, fn: Callable[[Transaction], T]) -> T: ...

    async def write(self, fn: Callable[[Transaction], T]) -> T: ...

    def write_sync(self, fn: Callable[[Transaction], T]) -> T: ...

    def submit_write(self, fn: Callable[[Transaction], T]) -> Future[T]: ...

    def watch(self, table: str) -> None: ...

    def generation(self, table: str) -> int: ...

    def checkpoint(self) -> None: ...

    def close(self) -> None: ...


class SearchIndex(Protocol):
    """The text analysis the knowledge and handbook stores index with (FTS rows and vectors): the
    knowledge feature's ``knowledge.indexer.VectorIndex``, handed to the stores at construction.
    Its writes run on the store's connection, in the store's transaction."""

    def article_items(self, article: dict[str, Any]) -> list[Item]: ...

    def write_article_fts(
        self, conn: Transaction, article_id: str, items: Sequence[Item], *, fresh: bool = False
    ) -> None: ...

    def mark_analysis_if_new(self, conn: Transaction) -> None: ...

    def embed(self, texts: Sequence[str], conn: Transaction | None = None) -> np.ndarray: ...

    def write(self, conn: Transaction, items: Sequence[Item], vectors: np.ndarray | None = None) -> int: ...

    def delete(self, conn: Transaction, kind: str, refs: Sequence[str] | None = None) -> None: ...


def record_columns(record_type: type) -> list[str]:
    """The column names of a flat record dataclass (its fields, in order): both backends' SQL."""
    return [f.name for f in fields(record_type)]


def record_from_row(record_type: type[RecordT], row: Mapping[str, Any]) -> RecordT:
    """A flat record dataclass from a row that holds a column per field (either backend's row)."""
    return record_type(**{f.name: row[f.name] for f in fields(record_type)})  # type: ignore[arg-type]


SESSION_STATUSES = ("bot", "pending_handoff", "human_active", "resolved", "closed")
TURN_ROLES = ("customer", "bot", "agent", "system")


@dataclass
class SessionRecord:
    """A customer conversation's durable state (the transcript lives in turns)."""

    id: str
    token_hash: str
    created_at: float
    updated_at: float
    customer_id: str | None = None
    channel: str = "web"
    lang: str = "ar"
    status: str = "bot"
    handoff_reason: str | None = None
    handoff_at: float | None = None
    accepted_at: float | None = None
    assigned_agent: str | None = None
    resolved_at: float | None = None
    closed_at: float | None = None
    low_confidence_streak: int = 0
    negative_count: int = 0
    message_count: int = 0
    rating: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # Bumped by every committed change (0 = never stored); the live cache keeps the newest.
    version: int = 0

    def to_dict(self) -> dict[str, Any]:
        # The fields are scalars but ``meta``: a shallow copy plus a copy of meta is what
        # dataclasses.asdict gives, without its recursive walk (it ran on every message).
        data = dict(self.__dict__)
        data["meta"] = copy.deepcopy(self.meta) if self.meta else {}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionRecord:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        if "meta" in known:  # never share the mutable meta with the dict it came from (a cache entry)
            known["meta"] = copy.deepcopy(known["meta"]) if known["meta"] else {}
        return cls(**known)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SessionRecord:
        """From a ``sessions`` row (either backend: ``meta`` is JSON text in both)."""
        data = dict(row)
        data["meta"] = json.loads(data.get("meta") or "{}")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class TurnRecord:
    """One message in a session's transcript."""

    session_id: str
    role: str
    text: str
    created_at: float
    id: int | None = None
    source: str | None = None
    confidence: float | None = None
    article_id: str | None = None
    sources: list[dict[str, Any]] | None = None
    sender_name: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TurnRecord:
        """From a ``chat_turns`` row (either backend: ``sources`` and ``meta`` are JSON text)."""
        return cls(
            id=row["id"],
            session_id=row["session_id"],
            role=row["role"],
            text=row["text"],
            created_at=row["created_at"],
            source=row["source"],
            confidence=row["confidence"],
            article_id=row["article_id"],
            sources=json.loads(row["sources"]) if row["sources"] else None,
            sender_name=row["sender_name"],
            meta=json.loads(row["meta"] or "{}"),
        )


@dataclass
class ExchangeLog:
    """The analytics row for one customer message and the answer it got."""

    session_id: str
    customer_message: str
    created_at: float
    customer_id: str | None = None
    channel: str | None = None
    lang: str | None = None
    response: str | None = None
    source: str | None = None
    confidence: float | None = None
    escalated: bool = False
    article_id: str | None = None
    latency_ms: float | None = None


@dataclass
class OutboxItem:
    """Durable work to hand to the job queue, written with the data that caused it."""

    kind: str
    payload: dict[str, Any]


# A function the job runner calls on the connection of the transaction that records a job's
# outcome (e.g. to insert the webhook delivery log rows of the attempts the job made).
OutcomeWrite = Callable[[Transaction], None]
# How an outcome write went: "recorded" (this call wrote it), "already" (an earlier try of the
# same claim had, its commit unseen), "lost" (another claim holds the row now: ours expired). The
# outcome's own writes run for "recorded" and "lost" (what the job did happened either way),
# never twice for one claim.
Recorded = Literal["recorded", "already", "lost"]


@dataclass(frozen=True)
class DeliveryAttempt:
    """One HTTP attempt of a webhook delivery, as the delivery log keeps it."""

    delivery_id: str
    url: str
    event: str
    attempt: int
    status_code: int | None
    ok: bool
    error: str | None
    duration_ms: float
    created_at: float


class OutboxStore(Protocol):
    """The outbox's life cycle (claims with a token, leases, outcomes) and the delivery log
    (``storage/sqlite/outbox.py``, ``storage/postgres/outbox.py``)."""

    def insert_in(self, conn: Transaction, item: OutboxItem, *, max_attempts: int, dispatched: bool = False) -> int:
        """Insert a pending row on ``conn``, inside a write transaction the caller holds (the data
        that caused it); ``dispatched`` marks it handed to the queue now. Returns its id."""
        ...

    async def claim(self, row_ids: Sequence[int], token: str, lease_seconds: float) -> list[dict[str, Any]]: ...
    def extend_leases(self, row_ids: Sequence[int], until: float) -> None: ...
    def pick_due(self, now: float, stale_before: float, lease_seconds: float, limit: int = 500) -> list[int]: ...
    async def due_ids(self, now: float, limit: int = 100) -> list[int]: ...
    async def progress(
        self, row_id: int, token: str, handlers_done: list[str], writes: Sequence[OutcomeWrite]
    ) -> Recorded: ...
    async def finish(self, row_id: int, token: str, writes: Sequence[OutcomeWrite]) -> Recorded: ...
    async def fail(
        self,
        row_id: int,
        token: str,
        error: str,
        max_attempts: int,
        retry_at: float | None,
        writes: Sequence[OutcomeWrite],
    ) -> Recorded: ...
    async def failed(self, limit: int, offset: int) -> dict[str, Any]: ...
    async def retry(self, row_id: int, max_attempts: int) -> dict[str, Any] | None: ...
    async def counts(self) -> dict[str, int]: ...
    async def purge_done(self, before: float, limit: int) -> int:
        """Delete up to ``limit`` rows done before ``before``; how many went."""
        ...

    def delivery_write(self, attempt: DeliveryAttempt) -> OutcomeWrite: ...
    async def log_deliveries(self, attempts: Sequence[DeliveryAttempt]) -> None: ...


@dataclass
class SessionChange:
    """What one session command writes, decided on the committed row inside the transaction.

    ``fields`` are the columns the command's owner changes (the message path: turns, counters and
    the bot's fields; the hand-off service: status, agent, timings; the rating route: the rating);
    the store adds ``updated_at`` and bumps ``version``. ``turns`` (this session's; ids filled in), ``log`` and
    ``outbox`` rows are written in the same transaction, then ``after(conn, turns)``. ``result`` is
    anything the command wants handed back to its caller. A change with no fields and no turns
    writes nothing (the row and its version stay as they are)."""

    fields: dict[str, Any] = field(default_factory=dict)
    turns: list[TurnRecord] = field(default_factory=list)
    log: ExchangeLog | None = None
    outbox: list[OutboxItem] = field(default_factory=list)
    after: Callable[[Transaction, list[TurnRecord]], None] | None = None
    result: Any = None


# A session command: ``(connection, committed row) -> SessionChange``. It runs in the writer's
# transaction, so it may read other tables and write rows of its own (events, outcomes) on the
# connection; raising rolls everything back.
SessionCommand = Callable[[Transaction, SessionRecord], SessionChange]


class SessionStore(Protocol):
    async def get(self, session_id: str) -> SessionRecord | None: ...

    async def apply(
        self,
        session_id: str,
        command: SessionCommand,
        *,
        new: SessionRecord | None = None,
        expected: SessionRecord | None = None,
    ) -> tuple[SessionRecord, SessionChange]:
        """Run ``command`` on the committed row of ``session_id`` in one write transaction and
        return the row as committed with the change. With ``new`` (a record never stored), the
        session is created: the command sees ``new`` and its change is part of the INSERT. With
        ``expected`` (a committed row the caller holds, which the command may change), the command
        runs on it first and the write is conditional on the row still being at its version
        (``UPDATE … WHERE version = ?``); otherwise the row is read and the command runs again —
        so only commands that write nothing but their change may be given ``expected``. Raises
        NotFound for an unknown id, and whatever the command raises (nothing written)."""
        ...

    async def turns(self, session_id: str, *, after_id: int = 0, limit: int = 500) -> list[TurnRecord]: ...

    async def recent_turns(self, session_id: str, limit: int) -> list[TurnRecord]: ...

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
    ) -> tuple[list[SessionRecord], int]: ...


class HandoffStore(Protocol):
    """The hand-off service's and the desk's own SQL (``storage/sqlite/handoff.py``,
    ``storage/postgres/handoff.py``). The ``*_in`` methods run on the connection of the session
    command that calls them (inside its write transaction); the rest open their own."""

    def display_name_in(self, conn: Transaction, username: str) -> str | None:
        """A staff member's display name, stripped; None without one (or without the user)."""
        ...

    def article_exists_in(self, conn: Transaction, article_id: str) -> bool: ...
    def insert_outcome_in(self, conn: Transaction, row: dict[str, Any]) -> int:
        """Insert a ``session_outcomes`` row (its columns as keys); returns its id."""
        ...

    def event_in(
        self, conn: Transaction, session_id: str, action: str, agent: str | None, detail: str | None, at: float
    ) -> None: ...
    def capacity_in(self, conn: Transaction, agent: str) -> int | None:
        """The agent's own capacity; None when they have not set one."""
        ...

    def active_count_in(self, conn: Transaction, agent: str) -> int:
        """Sessions ``human_active`` with ``agent`` (any letter case)."""
        ...

    def known_agent_in(self, conn: Transaction, agent: str) -> bool:
        """True when there are no staff accounts yet, or ``agent`` is an active agent or admin."""
        ...

    async def set_capacity(self, agent: str, capacity: int | None, at: float) -> int | None:
        """Set (None: clear) an agent's capacity; returns what is stored afterwards."""
        ...

    async def queue(self) -> list[tuple[SessionRecord, str | None, bool]]:
        """Sessions in hand-off (pending or active) by ``handoff_at``, ``id``: each with the
        customer's last message and whether it was flagged stale since its hand-off."""
        ...

    async def detail(self, session_id: str) -> tuple[SessionRecord | None, dict[str, Any] | None, list[dict[str, Any]]]:
        """The session, its latest outcome row and its hand-off events (oldest first)."""
        ...

    async def close_idle(self, cutoff: float, now: float) -> list[SessionRecord]:
        """Close bot sessions last changed before ``cutoff`` (version bumped); the closed rows."""
        ...

    async def record_feedback(
        self, session_id: str, message_id: int, value: str, comment: str | None, at: float, since: float
    ) -> tuple[str | None, int]:
        """A thumbs up/down on turn ``message_id`` of the session, replacing an earlier vote on it,
        written only when that turn is an answer (``bot`` or ``agent``). Returns the turn's role
        (None: no such turn in this session) and the session's thumbs-down votes after ``since``."""
        ...

    async def flag_stale(self, cutoff: float, now: float) -> list[dict[str, Any]]:
        """Record a ``stale_pending`` event for sessions pending since before ``cutoff`` and not yet
        flagged in this hand-off; their ``id``, ``handoff_at``, ``handoff_reason``."""
        ...


class CannedReplyStore(Protocol):
    """The desk's canned replies (``canned_replies`` rows as dicts: id, lang, title, text,
    created_at, updated_at); ``storage/{sqlite,postgres}/handoff.py``."""

    async def list(self, *, lang: str | None, query: str | None) -> list[dict[str, Any]]:
        """By lang, title, id; ``query`` matches title or text anywhere, case ignored, literally."""
        ...

    async def create(self, row: dict[str, Any]) -> dict[str, Any]:
        """Insert ``row``; Conflict (``duplicate_id``) when its id exists."""
        ...

    async def update(self, reply_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Set ``values``; the row as stored. NotFound (``canned_reply_not_found``) when missing."""
        ...

    async def delete(self, reply_id: str) -> None:
        """NotFound (``canned_reply_not_found``) when missing."""
        ...


INBOX_TABLES = ("suggestions", "offline_requests")


class InboxRowStore(Protocol):
    """Rows of the desk's inbox tables (``INBOX_TABLES``: what customers leave outside a live chat),
    as dicts; ``storage/{sqlite,postgres}/handoff.py``. Other table names are a ValueError."""

    async def insert(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """Insert ``row`` (its columns as keys); the row with its new ``id`` first."""
        ...

    async def page(self, table: str, status: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Newest first (by id), optionally of one status; with the total of that filter."""
        ...

    async def update(self, table: str, item_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
        """Set ``values``; the row as stored, or None when there is no such row."""
        ...


@dataclass
class AttachmentRecord:
    """A photo or PDF attached to a conversation (the file is ``uploads/attachments/<stored_name>``)."""

    id: str
    session_id: str
    uploader_role: str  # "customer" | "agent"
    kind: str  # "jpeg" | "png" | "webp" | "pdf" (what the stored bytes are)
    content_type: str
    stored_name: str
    original_name: str
    size: int
    sha256: str
    created_at: float
    uploader: str | None = None  # the agent's username; None for the customer
    channel: str = "web"
    width: int | None = None
    height: int | None = None
    turn_id: int | None = None

    def public(self) -> dict[str, Any]:
        """What customers and agents see (never the stored name or the uploader's username)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "content_type": self.content_type,
            "name": self.original_name,
            "size": self.size,
            "width": self.width,
            "height": self.height,
            "uploader_role": self.uploader_role,
            "created_at": self.created_at,
            # Relative to the API's origin; needs the session's token (X-Session-Token) or staff.
            "url": f"/v1/session/{self.session_id}/attachments/{self.id}",
        }


class AttachmentStore(Protocol):
    """The rows of ``attachments``; the files are the attachment service's business."""

    def insert_in(self, conn: Transaction, records: list[AttachmentRecord], turn_id: int | None) -> None:
        """Insert inside a transaction the caller holds (the turn that shows them)."""
        ...

    async def get(self, session_id: str, attachment_id: str) -> AttachmentRecord | None: ...

    async def for_session(self, session_id: str) -> list[AttachmentRecord]: ...

    async def stored_names(self) -> set[str]:
        """Every stored name with a row (what the orphan sweep keeps)."""
        ...

    async def delete_older(self, cutoff: float, *, limit: int = 2000) -> list[str]:
        """Delete up to ``limit`` rows created before ``cutoff``; returns their stored names."""
        ...

    async def totals(self) -> dict[str, int]:
        """``{"count", "bytes"}`` over every attachment."""
        ...


@dataclass
class CustomerIdentity:
    """Who the host site says a session's customer is (the widget's data-customer-* / setUser)."""

    session_id: str
    updated_at: float
    customer_id: str | None = None
    verified: bool = False
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> CustomerIdentity:
        """From a ``session_identities`` row (either backend)."""
        return cls(
            session_id=row["session_id"],
            customer_id=row["customer_id"],
            verified=bool(row["verified"]),
            name=row["name"],
            phone=row["phone"],
            email=row["email"],
            attributes=json.loads(row["attributes"] or "{}"),
            updated_at=row["updated_at"],
        )

    def row_values(self) -> tuple[Any, ...]:
        """The values of a ``session_identities`` row: session_id, customer_id, verified, name, phone,
        email, attributes, updated_at (the stores' upsert order)."""
        return (
            self.session_id,
            self.customer_id,
            1 if self.verified else 0,
            self.name,
            self.phone,
            self.email,
            json.dumps(self.attributes, ensure_ascii=False),
            self.updated_at,
        )

    def public(self) -> dict[str, Any]:
        """The ``customer`` object of session summaries (agents' view)."""
        return {
            "id": self.customer_id,
            "verified": self.verified,
            "name": self.name,
            "phone": self.phone,
            "email": self.email,
            "attributes": dict(self.attributes),
        }


class IdentityStore(Protocol):
    """The rows of ``session_identities``."""

    async def save(self, identity: CustomerIdentity) -> None:
        """Insert or replace the session's identity."""
        ...

    async def get(self, session_id: str) -> CustomerIdentity | None: ...

    async def for_sessions(self, session_ids: list[str]) -> dict[str, CustomerIdentity]: ...

    async def sessions_of(self, customer_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Sessions whose identity is this **verified** customer id, newest first:
        ``{session_id, status, channel, lang, created_at, updated_at}``."""
        ...


def rule_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``rules`` row (either backend) as the pack's rule shape plus ``position`` and ``updated_at``."""
    return {
        "id": row["id"],
        "patterns": json.loads(row["patterns"]),
        "response": json.loads(row["response"]),
        "match": row.get("match_mode") or "exact",
        "enabled": bool(row.get("enabled", 1)),
        "position": row["position"],
        "updated_at": row.get("updated_at"),
    }


def rule_row_values(rule: Mapping[str, Any], position: int, now: float) -> tuple[Any, ...]:
    """``(id, position, patterns, response, match_mode, enabled, updated_at)`` of a validated rule,
    the column values both backends' upserts bind."""
    return (
        rule["id"],
        position,
        json.dumps(rule["patterns"], ensure_ascii=False),
        json.dumps(rule["response"], ensure_ascii=False),
        rule.get("match", "exact"),
        int(rule.get("enabled", True)),
        now,
    )


class HealthStore(Protocol):
    """What ``GET /v1/health`` asks the database (``health.py``): cheap counts that prove it answers."""

    async def migration_count(self) -> int:
        """How many migrations are recorded (``schema_migrations``)."""
        ...

    async def article_count(self) -> int:
        """How many knowledge articles there are (all of them, drafts included)."""
        ...


# A table retention may purge: (table, time column, extra condition). The condition is a plain SQL
# fragment both backends accept (``status = 'done'``); the feature (``ops/retention.py``) owns the list.
PurgeTable = tuple[str, str, str]


class RetentionStore(Protocol):
    """What ``nura purge`` needs (``ops/retention.py``): counts and batched deletes of rows older
    than a cutoff, each batch its own short write transaction. Tables the database lacks are skipped."""

    async def tables(self) -> set[str]:
        """The names of the tables this database has."""
        ...

    async def count_older(self, tables: Sequence[PurgeTable], cutoff: float) -> dict[str, int]:
        """Rows each present table holds with its time column before ``cutoff`` (and its condition)."""
        ...

    async def delete_older(self, table: PurgeTable, cutoff: float, limit: int) -> int:
        """Delete at most ``limit`` such rows of one table in one transaction; how many went."""
        ...

    async def attachment_names(self) -> set[str]:
        """The stored file names of the attachment rows that remain."""
        ...


class SupportStore(Protocol):
    """What the support bundle reads (``ops/support.py``), never customer text: ``{tables: {name:
    rows}, migrations: [name], failed_jobs: [{id, kind, attempts, last_error, created_at,
    updated_at}] (newest 50, errors cut to 300 characters), ingestion_runs: [{id, status, files,
    skipped, chunks, error, started_at, finished_at}] (newest 20), sessions_by_status: {status: n},
    engine: {…}}`` — ``engine`` is the backend's own facts (SQLite pragmas, PostgreSQL version and size)."""

    async def facts(self) -> dict[str, Any]: ...

    async def stats(self) -> dict[str, Any]:
        """``nura db stats``: ``{tables: {name: rows}, bytes: n}`` — every table of the app's schema
        (SQLite: plain and virtual tables, not their shadow tables; PostgreSQL: base tables) with
        its row count, read in one snapshot, and the database's size on disk (the SQLite file; the
        PostgreSQL database)."""
        ...


class PassageSearchStore(Protocol):
    """The grounded answer tier's built-in lexical search (``ai/grounded.py``, used when the
    knowledge feature's retriever is not there): handbook chunks whose indexed text holds any of
    ``terms``, best lexical match first (SQLite ``bm25``, PostgreSQL ``ts_rank``), at most
    ``limit``, as ``{ref, norm, text, heading, path}`` (``norm``: the indexed, normalised text).
    No terms or ``limit == 0`` is ``[]``; a negative ``limit`` is a ``ValueError``; any text is a
    safe term (quoted)."""

    async def chunk_matches(self, terms: list[str], limit: int) -> list[dict[str, Any]]: ...


class SearchStore(Protocol):
    """The knowledge feature's search reads: the article tier's index (``knowledge/retrieval.py``)
    and the hybrid search over handbook chunks and articles (``knowledge/hybrid.py``).
    ``storage/sqlite/search.py`` reads FTS5, its fts5vocab tables and sqlite-vec's coarse binary
    index; ``storage/postgres/search.py`` the ``tsvector`` tables (BM25 with FTS5's constants,
    ``ts_stat``) and the per-worker in-memory vector index.

    A message is scored in one reader hop: :meth:`read` runs the feature's function on a reader
    connection, and the ``*_in(conn, …)`` methods run on that connection (never on another
    backend's). Texts are the index's normalised, space-separated terms; ``ref`` is an article id
    or a chunk id as text; vectors are float32 blobs. Terms are plain text, never query syntax (any
    text is safe)."""

    async def read(self, fn: Callable[[Transaction], T]) -> T:
        """Run ``fn(conn)`` on a reader connection; its result (a closed database: StorageError)."""
        ...

    def meta_in(self, conn: Transaction, key: str) -> str | None:
        """The ``kb_meta`` value of ``key`` (``version``, ``vector_space``,
        ``out_of_scope_examples`` …); None when unset."""
        ...

    # -- the article tier ----------------------------------------------------------------------
    def article_items_in(self, conn: Transaction) -> list[tuple[str, str, bytes]]:
        """``(ref, field, vector)`` of every article item vector, by article then insertion."""
        ...

    def article_fields_in(self, conn: Transaction) -> list[tuple[str, str, str]]:
        """``(ref, field, text)`` of every article index row but the whole-article ones (``all``)."""
        ...

    def article_postings_in(self, conn: Transaction) -> ArticlePostings | None:
        """Every index row and its term counts, read from the lexical index itself, for an
        in-memory BM25 identical to :meth:`article_bm25_in` (both backends give them: the
        article tier reads them once per knowledge version and makes no query per message); None
        where the backend cannot (the feature then calls :meth:`article_bm25_in` per message)."""
        ...

    def article_bm25_in(self, conn: Transaction, terms: list[str]) -> list[tuple[str, str, float]]:
        """``(ref, field, score)`` of the article index rows holding any of ``terms``: FTS5's BM25
        (k1 1.2, b 0.75, its idf floor over every index row), positive, in no particular order."""
        ...

    def indexed_terms_in(self, conn: Transaction, words: list[str]) -> set[str]:
        """Which of ``words`` occur anywhere in the article index."""
        ...

    # -- the handbook search -------------------------------------------------------------------
    def chunk_stats_in(self, conn: Transaction) -> tuple[int, float, bool]:
        """``(chunks, average length in terms, frequencies)`` of the handbook chunk index;
        ``frequencies`` is False when :meth:`chunk_frequencies_in` cannot be read (no term
        vocabulary: the feature then sends the question's terms as they are)."""
        ...

    def chunk_frequencies_in(self, conn: Transaction, terms: list[str]) -> dict[str, int]:
        """How many handbook chunks hold each of ``terms`` (0 for a term none holds)."""
        ...

    def chunk_count_in(self, conn: Transaction) -> int:
        """How many handbook chunks are indexed."""
        ...

    def chunk_bm25_in(self, conn: Transaction, terms: list[str], limit: int) -> list[tuple[str, float, str]]:
        """``(ref, score, text)`` of the best ``limit`` chunks holding any of ``terms``, best first:
        FTS5's BM25 (positive) as :meth:`article_bm25_in` scores it."""
        ...

    def chunk_terms_in(self, conn: Transaction, refs: Sequence[str]) -> dict[str, str]:
        """ref → indexed text of these handbook chunks (refs that are not chunk ids are left out)."""
        ...

    def chunk_texts_in(self, conn: Transaction, refs: Sequence[str]) -> dict[str, str]:
        """ref → the chunk's own text (``handbook_chunks.text``) of these chunks."""
        ...

    def chunk_row_in(self, conn: Transaction, ref: str) -> dict[str, Any] | None:
        """``text, heading, unit, lang, title, doc`` of a visible chunk (``doc``: its document's
        source name or path); None for a chunk being staged or purged, or gone."""
        ...

    def handbook_vocabulary_in(self, conn: Transaction) -> list[str]:
        """Every index term of the handbook chunks ([] without a vocabulary)."""
        ...

    def article_matches_in(self, conn: Transaction, terms: list[str], limit: int) -> list[tuple[str, float, str]]:
        """``(ref, score, text)`` of the best ``limit`` whole-article index rows (``all``) holding
        any of ``terms``, best first (BM25 as :meth:`chunk_bm25_in`)."""
        ...

    def article_documents_in(self, conn: Transaction, refs: Sequence[str]) -> dict[str, str]:
        """ref → the whole-article index text (``all``) of these articles."""
        ...

    def article_row_in(self, conn: Transaction, article_id: str) -> tuple[str, str] | None:
        """The article's ``(title, body)`` JSON texts; None when there is no such article."""
        ...

    def article_sources_in(self, conn: Transaction) -> list[dict[str, Any]]:
        """``id, title, body, examples`` (JSON texts) of every article, by id (the word bridge and the
        sentence encoder learn from them)."""
        ...

    def has_vectors_in(self, conn: Transaction) -> bool:
        """Whether this database can search vectors (SQLite: sqlite-vec's coarse index exists)."""
        ...

    def nearest_in(
        self,
        conn: Transaction,
        kind: str,
        query: NDArray[np.float32],
        coarse_query: NDArray[np.float32],
        count: int,
        version: str,
    ) -> dict[str, float]:
        """The vector half of a search over ``kind`` (``chunk`` or ``article``) items: the best
        cosine per ref of the items nearest ``query`` (float32) under knowledge ``version``. SQLite
        finds the ``count`` items whose coarse codes (the sign bits of ``coarse_query``) are
        nearest and re-scores them; PostgreSQL scores every item and keeps the best ``count``
        refs. {} when the index holds vectors of another dimension."""
        ...

    def cosines_in(
        self, conn: Transaction, kind: str, refs: Sequence[str], query: NDArray[np.float32]
    ) -> dict[str, float]:
        """The best cosine between ``query`` and each ref's ``kind`` item vectors (refs without
        vectors, or vectors of another dimension, are left out)."""
        ...


@dataclass
class ArticlePostings:
    """The article index as the lexical index holds it (:meth:`SearchStore.article_postings_in`):
    every row ``(rowid, kind, ref, field)`` by rowid, and ``(term, rowid, count)`` of each term in
    each row."""

    rows: list[tuple[Any, ...]]
    counts: list[tuple[Any, ...]]


# ``sink(columns, rows) -> n``: writes the rows (dicts in ``columns`` order) as they are read.
ExportSink = Callable[[list[str], Iterator[dict[str, Any]]], int]


class ExportStore(Protocol):
    """What ``nura export`` (``ops/export.py``) reads: a report (``ops.export.REPORTS``, each
    backend's own SQL) or a table's rows, streamed to ``sink`` from one read. ``tables()`` lists
    the exportable tables (not the engine's own, nor the lexical/vector index tables), sorted.
    ``stream(name, …)`` leaves out the ``hidden`` columns of a table, keeps rows whose time column
    (``created_at``, ``started_at`` or ``updated_at``) is at least ``since`` (when ``since``), at
    most ``limit`` rows; it returns what ``sink`` returns. A name that is neither is a
    ``LookupError``; a negative ``limit`` a ``ValueError``."""

    async def tables(self) -> list[str]: ...

    async def stream(
        self, name: str, *, since: float, limit: int | None, hidden: frozenset[str], sink: ExportSink
    ) -> int: ...


class MetricsStore(Protocol):
    """What ``GET /v1/metrics`` reads (``ops/metrics.py``): the rows of each statement in
    ``storage/metric_queries.py``, by name, all read in one snapshot. A statement whose table this
    install lacks gives ``[]``."""

    async def figures(self) -> dict[str, list[dict[str, Any]]]: ...


class RuleStore(Protocol):
    """The knowledge base's rules as the admin edits them (a rule is the pack shape: ``{id,
    patterns: {lang: [phrase]}, response: {lang: text}, match, enabled}`` plus ``position`` and
    ``updated_at``). Every change bumps the knowledge version in the same transaction."""

    async def list(self) -> list[dict[str, Any]]: ...

    async def get(self, rule_id: str) -> dict[str, Any] | None: ...

    async def save(self, rule: dict[str, Any]) -> dict[str, Any]:
        """Insert (at the end) or replace (in place) one validated rule; returns it as stored."""
        ...

    async def delete(self, rule_id: str) -> bool: ...


class OriginalImportStore(Protocol):
    """The writes of ``nura import-original`` (``storage/sqlite/original.py``,
    ``storage/postgres/original.py``; the records they share are in ``storage/original_rows.py``):
    converted rows of an original NURA database, each batch in one transaction with its ledger rows
    (``original_import_rows``: what every source row became), so the import is idempotent. A row
    for a table the import never writes is a ``ValueError`` and the batch writes nothing."""

    async def done_keys(self, source_table: str) -> set[str]:
        """Source keys of ``source_table`` an earlier run dealt with."""
        ...

    async def ledger_counts(self) -> dict[tuple[str, str], int]: ...

    async def record(self, entries: list[Any]) -> None:
        """Ledger rows of source rows that write nothing else (merged, archived, skipped)."""
        ...

    async def existing_sessions(self, ids: list[str]) -> set[str]: ...

    async def usernames(self) -> set[str]: ...

    async def canned_ids(self) -> set[str]: ...

    async def bot_turn_before(self, session_id: str, at: float) -> int | None: ...

    async def write_rows(self, inserts: list[Any], others: list[Any]) -> None: ...

    async def session_states(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Imported conversations: the ledger's note from their import and their state here now."""
        ...

    async def write_sessions(
        self, plans: list[Any], others: list[Any], gaps: Any = None, replace: set[str] | None = None
    ) -> None:
        """Conversations with everything they hold; those in ``replace`` first lose the copy an
        earlier run imported."""
        ...

    async def write_gaps(self, gaps: list[tuple[dict[str, Any], str]], others: list[Any], group_of: Any) -> None: ...

    async def insight_turn(self, source_insight_key: str) -> tuple[str | None, int | None]: ...

    async def imported_days(self) -> list[str]: ...


@dataclass
class BackupRun:
    """One backup the appliance made by itself (``backup_runs``): scheduled or an admin's."""

    id: int
    origin: str  # "schedule" | "manual"
    status: str  # "queued" | "running" | "ok" | "failed"
    queued_at: float
    slot: float | None = None  # the scheduled time it ran for
    started_at: float | None = None
    finished_at: float | None = None
    archive: str | None = None  # the archive's file name in BACKUP_DIR
    bytes: int | None = None
    files: int | None = None
    database: str | None = None  # "sqlite" | "postgresql"
    pruned: int = 0  # older archives deleted after it
    error: str | None = None
    requested_by: str | None = None

    def public(self) -> dict[str, Any]:
        return asdict(self)


# Inside the transaction that queues a run: ``enqueue(conn, run_id)`` writes its outbox row.
RunEnqueue = Callable[[Transaction, int], None]


class BackupStore(Protocol):
    """``backup_runs`` and the scheduler's state (``storage/sqlite/backups.py``)."""

    async def tick(
        self, schedule: str, now: float, owed: Callable[[float], float | None], enqueue: RunEnqueue
    ) -> int | None:
        """Check the schedule up to ``now`` in one transaction: ``owed(checked_until)`` is the slot
        due since the last check (None: nothing); a due slot is queued once (its run row and, through
        ``enqueue``, its outbox row). A new or changed schedule only starts counting from ``now``.
        Returns the queued run's id."""
        ...

    async def queue_manual(self, requested_by: str | None, now: float, enqueue: RunEnqueue) -> int:
        """Queue a run now; :class:`~nura_appliance.errors.Conflict` while one is queued or running."""
        ...

    async def start(self, run_id: int, now: float) -> BackupRun | None:
        """Mark the run running (again, after a crash); None when it does not exist or is finished."""
        ...

    async def finish(self, run: BackupRun, after: Callable[[Transaction], None] | None = None) -> None:
        """Record the run's outcome (status, archive, size, error …); ``after(conn)`` runs in the
        same transaction (the failure's webhook row)."""
        ...

    async def get(self, run_id: int) -> BackupRun | None: ...

    async def recent(self, limit: int = 10) -> list[BackupRun]: ...

    async def last_finished(self, status: str | None = None) -> BackupRun | None: ...

    async def schedule_since(self, schedule: str) -> float | None:
        """When the scheduler began following ``schedule`` (None: it does not follow it)."""
        ...

    async def clear_schedule(self) -> None:
        """Forget the schedule's state (schedule turned off: a later one starts counting afresh)."""
        ...


# How far a WhatsApp delivery status may move: a late "delivered" never overwrites "read".
WHATSAPP_STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4, "failed": 5}


@dataclass(frozen=True, slots=True)
class EarlyStatusLimits:
    """How long a WhatsApp status that came before its message's id was saved waits
    (``whatsapp_early_statuses``; Meta can post "read" before the send job saved the id), and how
    many ids are kept at most (the oldest go first)."""

    seconds: float = 3600.0
    max_ids: int = 10_000


class WhatsAppStore(Protocol):
    """The WhatsApp channel's rows (``storage/sqlite/whatsapp.py``, ``storage/postgres/whatsapp.py``):
    each number's session and
    24-hour window, handled inbound message ids, and the ordered outbound queue with the delivery
    statuses Meta reports."""

    async def contact(self, wa_id: str) -> dict[str, Any] | None: ...
    async def contact_of_session(self, session_id: str) -> dict[str, Any] | None: ...
    async def remember(
        self,
        wa_id: str,
        *,
        session_id: str | None,
        token: str | None,
        lang: str | None,
        profile_name: str | None = None,
        inbound_at: float | None = None,
    ) -> None: ...
    async def template_sent(self, wa_id: str, at: float) -> None: ...
    async def first_time(self, message_id: str, wa_id: str) -> bool: ...
    async def forget_inbound_before(self, cutoff: float) -> int: ...
    async def queue(
        self,
        wa_id: str,
        session_id: str | None,
        messages: list[tuple[str, dict[str, Any]]],
        enqueue: Callable[[Transaction, list[int]], None] | None = None,
    ) -> list[int]: ...
    async def enqueue_later(self, enqueue: Callable[[Transaction], None]) -> None: ...
    async def waiting(self, wa_id: str, *, up_to: int | None = None, now: float | None = None) -> list[int]: ...
    async def claim(self, row_id: int, lease_seconds: float) -> dict[str, Any] | None: ...
    async def sent(self, row_id: int, wa_message_id: str, *, now: float | None = None) -> None:
        """The message went out as ``wa_message_id``; a status Meta reported for that id before
        (kept by :meth:`status`, not expired) is applied in the same transaction, when further."""
        ...

    async def unsent(self, row_id: int, error: str, *, final: bool) -> None: ...
    async def give_up(self, wa_id: str, up_to: int, error: str) -> int: ...
    async def status(
        self, wa_message_id: str, status: str, error: str | None = None, *, now: float | None = None
    ) -> bool:
        """Record a delivery status Meta reported; never moves a message backwards (sent <
        delivered < read < failed). True when a message changed. A status for an id no message
        has yet is kept for :meth:`sent`: the furthest one per id, within :class:`EarlyStatusLimits`."""
        ...

    async def messages(
        self, *, wa_id: str | None = None, session_id: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]: ...
    async def counts(self) -> dict[str, int]: ...
    async def tree_click(
        self, session_id: str | None, customer_id: str, article_id: str, label: str | None, lang: str
    ) -> None: ...
    async def pending_turns(self, since: float, limit: int = 200) -> list[dict[str, Any]]: ...
    async def claim_turn(self, wa_id: str, turn_id: int) -> bool: ...


@dataclass(frozen=True)
class LedgerRow:
    """One ``llm_usage_logs`` row: an LLM call with its tokens, latency and estimated cost."""

    provider: str
    model: str | None
    purpose: str  # chat | classify | embedding | probe
    created_at: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float | None = None
    cost_usd: float = 0.0
    ok: bool = True
    error: str | None = None
    outcome: str | None = None
    session_id: str | None = None
    message_id: int | None = None

    def row_values(self) -> tuple[Any, ...]:
        """The ``llm_usage_logs`` values both stores insert: session_id, message_id, provider, model,
        purpose, prompt/completion/total tokens, latency_ms, cost_usd, ok, error (≤ 500
        characters), outcome, created_at."""
        return (
            self.session_id,
            self.message_id,
            self.provider,
            self.model,
            self.purpose,
            self.prompt_tokens,
            self.completion_tokens,
            self.prompt_tokens + self.completion_tokens,
            self.latency_ms,
            self.cost_usd,
            int(self.ok),
            (self.error or None) and self.error[:500],
            self.outcome,
            self.created_at,
        )


class AiStore(Protocol):
    """The AI feature's rows (``storage/sqlite/ai.py``, ``storage/postgres/ai.py``): the token and
    cost ledger (``llm_usage_logs``) and the persisted AI switch (``ai_state``)."""

    async def record(self, row: LedgerRow) -> int:
        """Insert one ledger row (``error`` cut to 500 characters); returns its id."""
        ...

    async def set_outcome(self, row_id: int, outcome: str) -> None:
        """What became of a call's output; an unknown id changes nothing."""
        ...

    async def link_message(self, row_ids: Sequence[int], message_id: int) -> None:
        """Attach the persisted answer's message id to the calls that produced it."""
        ...

    async def session_cost(self, session_id: str) -> dict[str, Any]:
        """``{session_id, calls, tokens, cost_usd}`` over the session's calls (zeros without any)."""
        ...

    async def usage(self, since: float, until: float) -> dict[str, Any]:
        """The ledger over ``[since, until)``, read in one snapshot: ``total`` (calls, prompt,
        completion and total tokens, cost_usd, failed, distinct sessions), ``resolved`` (sessions
        now resolved and their cost), and ``by_provider`` / ``by_purpose`` / ``by_outcome`` (chat
        calls; no outcome: answered or failed by ``ok``) lists, most calls first."""
        ...

    async def switch(self) -> bool | None:
        """The persisted AI switch (None: never set)."""
        ...

    async def set_switch(self, enabled: bool, actor: str | None, now: float) -> None: ...


class RuntimeSettingsStore(Protocol):
    """The admin's setting values (``runtime_settings``: name → JSON text), which every process
    polls (``storage/sqlite/settings.py``, ``storage/postgres/settings.py``)."""

    async def values(self) -> dict[str, str]:
        """Every stored value by setting name (JSON text, as saved)."""
        ...

    async def marker(self) -> tuple[int, float]:
        """``(rows, newest updated_at)``: changes when any process saves or clears a value."""
        ...

    async def change(self, values: dict[str, str | None], actor: str, now: float) -> None:
        """Save (JSON text) or clear (None) each value, all in one transaction."""
        ...


@dataclass(frozen=True)
class ReportFilters:
    """What a report narrows to (``analytics`` calls it ``Filters``)."""

    channel: str | None = None
    lang: str | None = None
    agent: str | None = None
    issue_category: str | None = None

    @property
    def needs_raw(self) -> bool:
        """Agent and issue-category filters join the session's outcome: answered from raw rows."""
        return bool(self.agent or self.issue_category)

    def as_dict(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("channel", self.channel),
                ("lang", self.lang),
                ("agent", self.agent),
                ("issue_category", self.issue_category),
            )
            if v
        }


# One daily counter value: (day, counter, channel, lang, key, value).
AggregateRow = tuple[str, str, str, str, str, float]


class AnalyticsSnapshot(Protocol):
    """Reads that all see one snapshot of the database (inside :meth:`AnalyticsStore.snapshot`).
    Days are UTC ``YYYY-MM-DD`` text; times are epoch seconds."""

    def state(self, key: str) -> str | None:
        """A value of ``analytics_state`` (e.g. ``refreshed_at``, the refresh watermark)."""
        ...

    def session_days_changed(self, changed_since: float, start: float, end: float) -> set[str]:
        """Days of sessions created in ``[start, end)`` and updated at or after ``changed_since``."""
        ...

    def computed_days(self, first: str | None = None, before: str | None = None) -> set[str]:
        """Days with stored aggregates (``analytics_days``), optionally in ``[first, before)``."""
        ...

    def daily_sums(
        self, days: list[str], channel: str | None, lang: str | None, langless: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """Stored aggregates of ``days``, summed over channel and language: ``{day, metric, key,
        value}``; ``lang`` keeps the rows of that language and every row of a ``langless`` counter."""
        ...

    def grouped(self, source: str, start: float, end: float, filters: ReportFilters) -> list[dict[str, Any]]:
        """One source's rows (``storage/analytics_sources.py``) in ``[start, end)``, grouped:
        ``{day, channel, lang, <dims>, <values>}``; missing text is '' and flags are truthy or not."""
        ...

    def outcome_durations(self, start: float, end: float, filters: ReportFilters) -> list[dict[str, Any]]:
        """``{accept, resolve}`` seconds of every outcome recorded in ``[start, end)``."""
        ...

    def earliest(self, floor: float) -> float | None:
        """The oldest ``created_at`` at or after ``floor`` over every source table."""
        ...


@dataclass
class ClickEvent:
    """A validated widget telemetry event (``POST /v1/analytics/click``, ``analytics/events.py``)."""

    event_type: str
    session_id: str | None
    customer_id: str | None
    label: str | None
    meta: str | None
    topic_id: str | None
    article_id: str | None
    lang: str | None
    channel: str

    def event_values(self, now: float) -> tuple[Any, ...]:
        """``widget_events`` (session_id, customer_id, event_type, label, meta, topic_id, article_id,
        lang, channel, created_at), as both backends bind them."""
        return (self.session_id, self.customer_id, self.event_type, self.label, self.meta, self.topic_id,
                self.article_id, self.lang, self.channel, now)  # fmt: skip

    def click_values(self, now: float) -> tuple[Any, ...]:
        """``tree_clicks`` (session_id, customer_id, topic_id, article_id, label, lang, channel, created_at)."""
        return (self.session_id, self.customer_id, self.topic_id, self.article_id, self.label, self.lang,
                self.channel, now)  # fmt: skip


class AnalyticsStore(Protocol):
    """The analytics daily aggregates and the source reads reports need
    (``storage/sqlite/analytics.py``, ``storage/postgres/analytics.py``)."""

    async def snapshot(self, fn: Callable[[AnalyticsSnapshot], Any]) -> Any:
        """Run ``fn`` with reads of one consistent snapshot (on a reader thread); its result."""
        ...

    async def store_days(self, days: list[str], rows: list[AggregateRow], watermark: float | None) -> None:
        """Replace the aggregates of ``days`` with ``rows`` and mark the days computed, in one
        transaction; set the refresh watermark to ``watermark`` (None: leave it as it is)."""
        ...

    async def record_click(self, event: ClickEvent, now: float) -> int:
        """Insert the widget event (and, for ``tree_click``, its tree click) in one transaction;
        the event's id."""
        ...

    async def latest_exchanges(
        self, start: float, end: float, filters: ReportFilters, limit: int = 10
    ) -> list[dict[str, Any]]:
        """The newest ``conversation_logs`` rows created in ``[start, end)`` that match ``filters``
        (newest first): ``id, session_id, customer_id, channel, lang, customer_message, response,
        source, confidence, escalated, article_id, created_at``."""
        ...

    async def recent_ratings(
        self, start: float, end: float, filters: ReportFilters, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Rated sessions created in ``[start, end)`` that match ``filters``, last changed first:
        ``session_id, customer_id, channel, lang, rating, status, assigned_agent, updated_at``."""
        ...


@dataclass(frozen=True)
class GapRecord:
    """One knowledge gap to insert (``knowledge_gaps``, status ``open``); the grouping
    (``group_key``) is decided by ``analytics/gaps.py``."""

    question: str
    normalized: str
    lang: str | None
    reason: str
    session_id: str | None
    message_id: int | None
    group_key: str
    created_at: float

    def row_values(self) -> tuple[Any, ...]:
        """(question, normalized, lang, reason, session_id, message_id, group_key, created_at)."""
        return (self.question, self.normalized, self.lang, self.reason, self.session_id, self.message_id,
                self.group_key, self.created_at)  # fmt: skip


@dataclass(frozen=True)
class InsightRecord:
    """The ``message_insights`` row of one customer message (upserted by ``message_id``)."""

    session_id: str
    message_id: int | None
    intent: str
    sentiment: str | None
    confidence_bucket: str
    knowledge_gap: bool
    classifier: str
    lang: str
    created_at: float

    def row_values(self) -> tuple[Any, ...]:
        """(session_id, message_id, intent, sentiment, confidence_bucket, knowledge_gap, classifier,
        lang, created_at), as both backends bind them."""
        return (self.session_id, self.message_id, self.intent, self.sentiment, self.confidence_bucket,
                int(self.knowledge_gap), self.classifier, self.lang, self.created_at)  # fmt: skip


@dataclass(frozen=True)
class GapQuery:
    """Which gap groups to list: gaps created in ``[start, end)`` (None: unbounded) that match
    ``filters`` (channel and agent/issue category through the gap's session), groups whose status
    is ``status`` (None: any), one page."""

    start: float | None = None
    end: float | None = None
    status: str | None = None
    filters: ReportFilters = ReportFilters()
    limit: int = 100
    offset: int = 0


class GapStore(Protocol):
    """Knowledge gaps and message insights (``storage/sqlite/gaps.py``, ``storage/postgres/gaps.py``).
    The ``*_in`` methods run on a connection the caller holds inside a write transaction (from
    :meth:`write`, a session command, the hand-off's resolve); the rest open their own."""

    async def write(self, fn: Callable[[Transaction], T]) -> T:
        """Run ``fn(conn)`` in one write transaction of the serialised writer; its result."""
        ...

    def open_groups_in(self, conn: Transaction, limit: int = 5000) -> list[tuple[str, str]]:
        """``(group_key, normalized)`` of each group's first open gap, by id."""
        ...

    def recorded_in(self, conn: Transaction, message_id: int, reason: str) -> bool:
        """Whether a gap of ``reason`` was recorded for message ``message_id`` already."""
        ...

    def insert_in(self, conn: Transaction, gap: GapRecord) -> int:
        """Insert an open gap; its id."""
        ...

    def propose_article_in(self, conn: Transaction, gap_id: int, article_id: str | None) -> None:
        """Set the article a gap proposes (None: a new topic)."""
        ...

    def feedback_after_in(self, conn: Transaction, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` feedback votes after the scan position (``analytics_state``
        ``feedback_scanned_id``; 0 when unset), oldest first: ``id, value, session_id, message_id``
        and the ``customer_message``, ``lang`` of the exchange the vote is on (None without one)."""
        ...

    def set_feedback_scanned_in(self, conn: Transaction, feedback_id: int) -> None:
        """Move the feedback scan position to ``feedback_id``."""
        ...

    def last_exchange_in(self, conn: Transaction, session_id: str, before_turn: int | None) -> dict[str, Any] | None:
        """The session's newest ``conversation_logs`` row (whose customer turn is before turn
        ``before_turn``, when given): ``customer_message, lang, source, escalated, bot_turn_id,
        created_at``; None without one."""
        ...

    def last_question_in(self, conn: Transaction, session_id: str, before: float) -> dict[str, Any] | None:
        """The session's newest exchange at or before ``before`` that was neither escalated nor a
        rule's answer: ``customer_message, lang, bot_turn_id``; None without one."""
        ...

    def turn_time_in(self, conn: Transaction, turn_id: int) -> float | None:
        """When chat turn ``turn_id`` was written; None when there is no such turn."""
        ...

    def write_insight_in(self, conn: Transaction, insight: InsightRecord) -> None:
        """Insert the insight, or replace the classification of its message's earlier one."""
        ...

    async def groups(self, query: GapQuery) -> tuple[list[dict[str, Any]], int]:
        """One page of gap groups, biggest first (then newest, then oldest first gap), and how
        many groups match. Each: ``first_id, question, lang`` (of its first gap), ``count``,
        ``reasons`` (comma-separated, distinct), ``status`` ('open' while any gap is open, else its
        newest gap's), ``proposed_article`` (of an open ``agent_resolved`` gap), ``first_seen``,
        ``last_seen``."""
        ...

    async def members(self, gap_id: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The gap ``gap_id`` (every column; None when missing) and its group's open gaps by id."""
        ...

    async def close(
        self,
        gap_ids: Sequence[int],
        status: str,
        reviewer: str,
        at: float,
        *,
        answer: str | None = None,
        article_id: str | None = None,
    ) -> int:
        """Give the still-open gaps of ``gap_ids`` ``status`` (keeping their answer and article
        where these are None); how many changed."""
        ...

    async def top_intent(self, message_ids: Sequence[int], excluded: Sequence[str]) -> str | None:
        """The intent classified most often for these messages, leaving out ``excluded`` (ties:
        the first in code-point order); None without one."""
        ...

    async def count(self, reason: str) -> int:
        """How many gaps of ``reason`` there are."""
        ...

    async def intent_categories(self) -> list[str]:
        """The distinct article categories (code-point order): the intents a classifier may pick."""
        ...


@dataclass
class UserRecord:
    """One staff account (the password hash never leaves the auth package)."""

    id: int
    username: str
    password_hash: str
    role: str
    display_name: str | None
    active: bool
    token_version: int
    created_at: float
    updated_at: float
    last_login_at: float | None = None

    def public(self) -> dict[str, Any]:
        """The shape the API and CLI show: everything but the hash and the token version."""
        return {
            "username": self.username,
            "role": self.role,
            "display_name": self.display_name or self.username,
            # False when the name above is only the username: customers then see a generic
            # "customer service" instead (the admin's Users page asks for a real name).
            "display_name_set": bool(self.display_name),
            "active": self.active,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "last_login_at": self.last_login_at,
        }


def user_record(row: dict[str, Any]) -> UserRecord:
    return UserRecord(
        row["id"],
        row["username"],
        row["password_hash"],
        row["role"],
        row["display_name"],
        bool(row["active"]),
        int(row["token_version"]),
        row["created_at"],
        row["updated_at"],
        row["last_login_at"],
    )


class UserStore(Protocol):
    """Staff accounts and durable logouts (``storage/sqlite/auth.py``, ``storage/postgres/auth.py``)."""

    async def get(self, username: str) -> UserRecord | None: ...
    async def get_for_token(self, username: str, token_id: str) -> tuple[UserRecord | None, bool]: ...
    async def revoke_token(self, token_id: str, username: str, expires_at: float) -> None: ...
    async def list(self, role: str | None = None, active: bool | None = None) -> list[UserRecord]: ...
    async def create(self, username: str, password_hash: str, role: str, display_name: str | None) -> UserRecord: ...
    async def update(
        self,
        username: str,
        *,
        role: str | None = None,
        active: bool | None = None,
        display_name: str | None = None,
        password_hash: str | None = None,
        bump_version: bool = False,
        keep_an_admin: bool = True,
    ) -> UserRecord | None: ...
    async def touch_login(self, username: str) -> None: ...


class LogStore(Protocol):
    """The audit log and the security log (the same stores as :class:`UserStore`)."""

    async def add_audit(self, actor: str, action: str, target: str | None, detail: dict[str, Any] | None) -> None: ...
    async def add_security(
        self, event: str, ip: str | None, username: str | None, path: str | None, detail: dict[str, Any] | None
    ) -> None: ...
    async def audit(
        self, limit: int, offset: int, actor: str | None, action: str | None, since: float | None
    ) -> tuple[list[dict[str, Any]], int]: ...
    async def security(
        self, limit: int, offset: int, event: str | None, since: float | None
    ) -> tuple[list[dict[str, Any]], int]: ...


class AuthStore(UserStore, LogStore, Protocol):
    """Both, as one store (``Stores.auth``)."""


class LastAdminError(Conflict):
    """A change would leave no active admin behind."""

    code = "last_admin"


class TelegramStore(Protocol):
    """The Telegram channel's rows (``storage/sqlite/telegram.py``, ``storage/postgres/telegram.py``):
    each chat's session and delivery position, handled update ids, the poller's offset."""

    async def chat(self, chat_id: str) -> dict[str, Any] | None:
        """``{chat_id, session_id, session_token, lang, last_turn_id, created_at, updated_at}``."""
        ...

    async def remember(self, chat_id: str, session_id: str | None, token: str | None, lang: str) -> None:
        """Insert the chat, or point it at a (new) session — delivery then starts from that
        session's beginning — or only update its language when the session is the same."""
        ...

    async def first_time(self, update_id: int) -> bool:
        """Record an update id; False when it was handled before (keeps the last 100,000 ids)."""
        ...

    async def tree_click(
        self, session_id: str | None, customer_id: str, article_id: str, label: str | None, lang: str
    ) -> None:
        """An article opened from the topic menu (the analytics' ``tree_clicks``)."""
        ...

    async def pending_turns(self, since: float, limit: int = 200) -> list[dict[str, Any]]:
        """Agent replies and hand-off notices (system turns with ``meta.kind = status``) of the
        chats' sessions after each chat's ``last_turn_id``, oldest first, for sessions waiting for
        or with an agent, or changed since ``since``: ``{chat_id, last_turn_id, id, session_id,
        role, text, sender_name, meta}``."""
        ...

    async def claim_turn(self, chat_id: str, turn_id: int) -> bool:
        """Move the chat's delivery position to ``turn_id``; False when it is there already."""
        ...

    async def offset(self) -> int | None:
        """The long-poller's next update offset."""
        ...

    async def save_offset(self, offset: int) -> None: ...


@dataclass(frozen=True, slots=True)
class SlidingCount:
    """One rate count of :meth:`Cache.incr_until` in a sliding window: ``key`` counts this fixed
    window's calls, ``previous`` names the window before it, whose count weighs ``weight`` (the share
    of that window still inside the sliding one, 1 at this window's start, 0 at its end). The call is
    over when ``count + previous count × weight`` exceeds ``limit``."""

    key: str
    previous: str
    weight: float
    limit: int


class Cache(Protocol):
    """The live cache: sessions, rate-limit counters, small lookups (diskcache by default, Redis
    in scale-out). Async so that no cache I/O runs on the event loop."""

    async def get(self, key: str) -> Any: ...

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None: ...

    async def set_newer(self, key: str, value: dict[str, Any], version: int, ttl: float | None = None) -> bool:
        """Compare-and-set on ``value["version"]``: store ``value`` unless the entry already holds a
        newer version; True when stored."""
        ...

    async def delete(self, key: str) -> None: ...

    async def incr(self, key: str, ttl: float) -> int:
        """Add one to a counter that expires ``ttl`` seconds after it was created."""
        ...

    async def incr_until(self, counters: Sequence[SlidingCount], ttl: float) -> list[tuple[int, int]]:
        """Add one to each counter's ``key`` in order, as :meth:`incr` does, read its ``previous``
        count (0 when absent), and stop after the first over its limit (the later ones are not
        counted): ``(count, previous count)`` of the counters counted, in order. One round trip
        where the cache is remote."""
        ...

    async def clear(self) -> None: ...

    def close(self) -> None: ...


LIKE_ESCAPE = "\\"


def like_contains(text: str) -> str:
    """A ``LIKE ? ESCAPE '\\'`` pattern matching ``text`` anywhere, its ``%`` and ``_`` literal.

    Unescaped, a search for ``%`` matched every row and ``_`` any one character, so a caller could
    read hidden text one character at a time."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


class KnowledgeStore(Protocol):
    """Articles, the topic tree, rules, canned replies, the scope message and the knowledge
    version (``storage/sqlite/knowledge.py``, ``storage/postgres/knowledge.py``; the rows are
    shared in ``storage/knowledge_rows.py``). Every write bumps ``kb_meta.version`` in its own
    transaction. The FTS rows and vectors of articles are written through ``vectors`` (the
    knowledge feature's :class:`SearchIndex`) in the same
    transaction; ``db`` is the database the pipeline watches for knowledge changes."""

    vectors: Any

    @property
    def db(self) -> Database: ...

    async def load_pack(self, pack: dict[str, Any], *, merge: bool = False) -> dict[str, int]:
        """Load a validated pack in one transaction (all or nothing); ``merge`` keeps what is
        there and adds the tree's branches under the existing root. Returns the counts."""
        ...

    async def save_article(self, article: dict[str, Any]) -> None: ...

    async def delete_article(self, article_id: str) -> bool:
        """Delete an article, its index rows and vectors; tree nodes naming it are detached."""
        ...

    async def save_tree(self, tree: dict[str, Any]) -> None: ...

    async def article(self, article_id: str) -> dict[str, Any] | None: ...

    async def articles(self) -> list[dict[str, Any]]: ...

    async def articles_stamp(self) -> tuple[int, float]:
        """How many articles there are and when the last was saved."""
        ...

    async def tree(self) -> dict[str, Any] | None: ...

    async def rules(self) -> list[dict[str, Any]]:
        """Every rule, switched-off ones included, in pack order."""
        ...

    async def meta(self, key: str) -> Any:
        """A ``kb_meta`` value (decoded when it is JSON); None when unset."""
        ...

    async def version(self) -> str:
        """The knowledge version (``"0"`` before any knowledge was written)."""
        ...

    async def canned_replies(self, lang: str | None = None) -> list[dict[str, Any]]: ...

    async def is_empty(self) -> bool: ...

    async def stats(self) -> dict[str, Any]:
        """Counts, the embedding space and the last five ingestion runs, in one snapshot."""
        ...

    async def export_pack(self) -> dict[str, Any]: ...

    async def prepare_index(self) -> None:
        """What the index needs at start-up that a migration could not give (SQLite's FTS5
        vocabulary table over ``chunk_fts``; nothing on PostgreSQL, whose schema has the views)."""
        ...

    async def index_state(self) -> dict[str, Any]:
        """The ``kb_meta`` index keys (``vector_space``, ``vector_dim``, ``vector_coarse``,
        ``text_analysis``) that are set, with the counts ``articles``, ``article_vectors``,
        ``chunks`` and ``chunk_vectors``."""
        ...

    async def index_sources(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """What a re-index rebuilds from, in one snapshot: every article (by id) and every
        handbook chunk's ``{id, lang, heading, text}`` (by id)."""
        ...

    async def replace_index(
        self,
        items: list[Any],
        matrix: Any,
        chunk_terms: list[tuple[int, str, str]],
        analysis_version: str,
    ) -> int:
        """Swap every vector, article FTS row and chunk FTS row ``(rowid, terms, ref)`` for new
        ones in one transaction, record ``analysis_version`` and bump the version; returns the
        vectors written."""
        ...


class IngestionRunStore(Protocol):
    """The handbook ingestion runs (``ingestion_logs``) and the uploads a re-ingest picks up
    (``storage/sqlite/ingestion_runs.py``, ``storage/postgres/ingestion_runs.py``)."""

    async def start(self, source: str, status: str, at: float) -> int:
        """Log a new run (``queued`` or ``running``); its id."""
        ...

    async def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest runs, newest first (``detail`` as stored: JSON text or None)."""
        ...

    async def run(self, run_id: int) -> dict[str, Any] | None:
        """One run's ``{status, detail}``."""
        ...

    async def set_running(self, run_id: int, detail: str) -> None: ...

    async def quarantine(self, run_id: int, error: str, at: float) -> None: ...

    async def requeue(self, run_id: int) -> None:
        """Back to ``queued`` with no detail (a clean stop with the server)."""
        ...

    async def finish(
        self,
        run_id: int,
        *,
        status: str,
        files: int,
        skipped: int,
        chunks: int,
        error: str | None,
        detail: str,
        at: float,
    ) -> None: ...

    async def uploads(self) -> dict[str, str]:
        """Stored name → display name of every uploaded handbook document (``upload:`` paths)."""


# -- the retrieval index and the handbook (issue 22) -----------------------------------------------
# Paths of handbook documents customers do not see (being staged, or replaced and waiting to be
# purged): both backends' SQL takes them as parameters.
HIDDEN = ("staging:%", "retired:%")
STAGE_BATCH = 200  # chunks per write transaction while a document is staged or purged


@dataclass(frozen=True)
class VectorRow:
    """One indexed text with its float32 vector and its coarse (binary) code, as bytes."""

    kind: str  # "article" | "chunk"
    ref: str
    field: str
    lang: str
    text: str
    vector: bytes
    code: bytes


class IndexStore(Protocol):
    """The retrieval index's rows — FTS rows of articles, vectors, the embedding cache, the
    text-analysis version — written in the caller's transaction (``conn`` is the writer's
    connection, or a reader's for :meth:`cached_vectors`). What a text is indexed *as* is the
    knowledge feature's (``knowledge/indexer.py``); SQLite keeps a sqlite-vec ``kb_vec`` table of
    the coarse codes, PostgreSQL none (each worker holds the vectors in memory,
    ``storage/postgres/search.py``)."""

    def mark_analysis_if_new_in(self, conn: Transaction, version: str) -> None:
        """Record ``version`` as the text analysis of a database whose FTS tables are empty and
        that has no record yet (a fresh one); otherwise leave it."""
        ...

    def set_analysis_version_in(self, conn: Transaction, version: str) -> None: ...

    def write_article_fts_in(
        self, conn: Transaction, article_id: str, rows: Sequence[tuple[str, str, str]], *, fresh: bool = False
    ) -> None:
        """Replace an article's FTS rows by ``rows`` of (indexed text, field, lang) (``fresh``:
        it has none yet)."""
        ...

    def ensure_chunk_vocab_in(self, conn: Transaction) -> None:
        """The document-frequency view of the chunk index exists (SQLite's ``fts5vocab``; a
        no-op where the backend has none)."""
        ...

    def cached_vectors(self, conn: Transaction, keys: Sequence[str]) -> dict[str, bytes]:
        """The embedding cache's vectors of those ``keys`` it holds."""
        ...

    def cache_vectors_in(self, conn: Transaction, rows: Sequence[tuple[str, str, bytes, float]]) -> None:
        """Add (key, space, vector, created_at) rows to the embedding cache; a key already there
        keeps its vector."""
        ...

    def ensure_space_in(
        self, conn: Transaction, dim: int, space: str, coarse_bits: int, codes: Callable[[list[bytes]], list[bytes]]
    ) -> None:
        """Make the index hold vectors of ``dim`` dimensions in ``space``: when either changed,
        vectors of another space are deleted and the coarse index is rebuilt (``codes`` turns
        vectors into coarse codes)."""
        ...

    def delete_vectors_in(self, conn: Transaction, kind: str, refs: Sequence[str] | None = None) -> None:
        """Delete the vectors of ``refs`` of ``kind`` (every one of ``kind`` when None)."""
        ...

    def write_vectors_in(self, conn: Transaction, rows: Sequence[VectorRow]) -> None: ...


@dataclass(frozen=True)
class HandbookDocument:
    """One handbook file as indexed: ``path`` is its identity (a resolved path or ``upload:<name>``)."""

    path: str
    name: str
    title: str
    content_hash: str
    size: int
    lang: str


def chunk_index_text(chunk: Chunk) -> str:
    """What a handbook chunk is indexed (and embedded) as: its heading path, then its text."""
    return chunk_fts_text(chunk.heading, chunk.text)


def chunk_hash(chunk: Chunk) -> str:
    """The SHA-256 of a chunk's indexed text (``handbook_chunks.content_hash``)."""
    return hashlib.sha256(chunk_index_text(chunk).encode()).hexdigest()


def title_languages(titles: Sequence[str | None]) -> set[str]:
    """The languages articles' titles (JSON objects keyed by language) are written in; a title that
    is not such an object is skipped."""
    found: set[str] = set()
    for title in titles:
        try:
            found.update(json.loads(title or "").keys())
        except (TypeError, ValueError, AttributeError):
            continue
    return found


class HandbookStore(Protocol):
    """Handbook documents and their chunks (rows, FTS rows, vectors); the ingestion runs are the
    :class:`IngestionRunStore`'s.

    A document is written in batches of :data:`STAGE_BATCH` chunks under a hidden staging key
    (:meth:`stage`, each batch one write), then published in one short write (:meth:`publish`);
    the version it replaces is hidden in that same write and purged in batches afterwards
    (:meth:`purge_batch`). So customers never see half a file, and a large file never holds the
    single writer for more than a batch."""

    async def content_hash(self, path: str) -> str | None:
        """The SHA-256 the document at ``path`` was last ingested with."""
        ...

    async def same_content(self, digest: str, path: str) -> str | None:
        """The name of another visible document with exactly this content, if one is indexed."""
        ...

    async def declared_languages(self) -> set[str]:
        """The languages the knowledge pack's articles are written in."""
        ...

    async def stage(
        self, doc: HandbookDocument, key: str, chunks: list[Chunk], vectors: np.ndarray, terms: list[str]
    ) -> None:
        """Write one batch of a document's chunks under the staging key ``key`` (``staging:…``),
        in one write; nothing customers see changes and the knowledge version stays."""
        ...

    async def publish(self, doc: HandbookDocument, key: str, count: int) -> None:
        """Show the staged document as ``doc.path`` (its previous version retired) and bump the
        knowledge version, in one write."""
        ...

    async def hidden_documents(self) -> list[int]:
        """Documents being staged or retired (waiting to be purged, or left by a failure)."""
        ...

    async def purge_batch(self, doc_id: int, limit: int) -> int:
        """Delete up to ``limit`` chunks of a hidden document (rows, FTS rows, vectors) in one
        write, and the document once it has none; the chunks deleted."""
        ...

    async def documents(self) -> list[dict[str, Any]]:
        """Every indexed document (id, name, title, chunks, lang, bytes, updated_at)."""
        ...
