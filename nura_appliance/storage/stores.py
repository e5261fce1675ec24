"""Open the scale-out stores: PostgreSQL for the database, Redis for the cache and the event bus.

``build_context`` calls :func:`open_scale_stores` only when ``NURA_DATABASE_URL`` or
``NURA_REDIS_URL`` is set; the default SQLite + diskcache + in-process bus path is untouched.
Either URL may be used alone (PostgreSQL with diskcache, or SQLite with Redis for the cache),
though several workers need both (``nura serve --workers N`` refuses otherwise).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from nura_appliance.paths import DataPaths
from nura_appliance.settings import Settings
from nura_appliance.storage.base import (
    AiStore,
    AnalyticsStore,
    AttachmentStore,
    AuthStore,
    BackupStore,
    CannedReplyStore,
    Database,
    ExportStore,
    GapStore,
    HandbookStore,
    HandoffStore,
    HealthStore,
    IdentityStore,
    InboxRowStore,
    IndexStore,
    IngestionRunStore,
    KnowledgeStore,
    MetricsStore,
    OriginalImportStore,
    OutboxStore,
    PassageSearchStore,
    RetentionStore,
    RuleStore,
    RuntimeSettingsStore,
    SearchIndex,
    SearchStore,
    SessionStore,
    SupportStore,
    TelegramStore,
    WhatsAppStore,
)
from nura_appliance.storage.sqlite import migrations as sqlite_migrations
from nura_appliance.storage.sqlite.db import Database as SqliteDatabase
from nura_appliance.storage.sqlite.db import snapshot_file

if TYPE_CHECKING:
    from nura_appliance.storage.postgres.db import PgDatabase

log = logging.getLogger(__name__)


def scale_out(settings: Settings) -> bool:
    return bool(settings.nura_database_url or settings.nura_redis_url)


def redis_prefix(settings: Settings) -> str:
    prefix = str(settings.nura_redis_prefix or "nura:")
    return prefix if prefix.endswith(":") else prefix + ":"


def describe_url(url: str) -> dict[str, Any]:
    """Where a PostgreSQL or Redis URL points, for health checks and logs: kind, host, port,
    database and user. Never the password, nor the query string (options may carry secrets)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return {"kind": "unknown"}
    scheme = parts.scheme.lower()
    kind = "postgresql" if scheme.startswith("postgres") else "redis" if scheme.startswith("redis") else scheme
    host = parts.hostname
    if not host:  # libpq's "postgresql:///db?host=/run/postgresql" (a Unix socket folder)
        host = (parse_qs(parts.query).get("host") or [""])[0]
    described: dict[str, Any] = {"kind": kind, "host": host or "localhost"}
    described["port"] = port or (5432 if kind == "postgresql" else 6379 if kind == "redis" else None)
    database = unquote(parts.path.lstrip("/"))
    described["database"] = database or ("0" if kind == "redis" else None)
    if parts.username and kind != "redis":  # Redis URLs carry a password in the user part
        described["user"] = unquote(parts.username)
    return described


def open_database(settings: Settings) -> tuple[DataPaths, SqliteDatabase]:
    """Create the data dir and open its SQLite ``nura.db``, migrated to the newest schema."""
    paths = DataPaths(settings.data_dir).ensure()
    db = SqliteDatabase(paths.database)
    try:
        sqlite_migrations.migrate(db)
    except Exception:
        db.close()
        raise
    return paths, db


def open_main_database(settings: Settings) -> tuple[DataPaths, Database]:
    """The database this set-up keeps its data in, migrated: PostgreSQL when
    ``NURA_DATABASE_URL`` is set, else the data dir's SQLite file. Every command that reads or
    writes users, knowledge or settings outside the server opens it here, so that no command
    writes to a ``nura.db`` that a PostgreSQL set-up never reads."""
    if settings.nura_database_url:
        return DataPaths(settings.data_dir).ensure(), open_pg_database(settings.nura_database_url)
    return open_database(settings)


def applied_migrations(db: Database) -> list[str]:
    """The migrations recorded in ``db`` (either backend)."""
    if getattr(db, "dialect", "sqlite") == "postgres":
        from nura_appliance.storage.postgres import migrations as pg_migrations

        return pg_migrations.applied(cast("PgDatabase", db))
    return sqlite_migrations.applied(cast(SqliteDatabase, db))


def pending_migrations(db: Database) -> list[str]:
    """The names of the migrations not yet applied to ``db`` (either backend)."""
    if getattr(db, "dialect", "sqlite") == "postgres":
        from nura_appliance.storage.postgres import migrations as pg_migrations

        done = set(pg_migrations.applied(cast("PgDatabase", db)))
        return [m.name for m in pg_migrations.available() if m.name not in done]
    return [m.name for m in sqlite_migrations.pending(cast(SqliteDatabase, db))]


def sqlite_engine_versions() -> str:
    """``sqlite X, sqlite-vec Y`` (a :class:`~nura_appliance.errors.StorageError` when sqlite-vec
    does not load)."""
    from nura_appliance.storage.sqlite.db import engine_versions

    return engine_versions()


def connect_main_database(settings: Settings) -> Database:
    """The configured database **without** migrating it (tools that only look, like the support
    bundle): PostgreSQL when ``NURA_DATABASE_URL`` is set, else the data dir's ``nura.db`` (which
    must exist)."""
    if settings.nura_database_url:
        return connect_pg_database(settings.nura_database_url)
    return SqliteDatabase(DataPaths(settings.data_dir).database, readers=1)


def connect_pg_database(url: str, *, max_size: int = 2) -> PgDatabase:
    """A :class:`PgDatabase` on ``url`` **without** migrating it (``nura doctor`` only looks);
    raises when PostgreSQL is unreachable."""
    from nura_appliance.storage.postgres.db import PgDatabase

    return PgDatabase(url, min_size=1, max_size=max_size)


def database_location(settings: Settings) -> str:
    """Where the data lives, for people: the SQLite file, or ``PostgreSQL user@host:port/db``
    (never the password)."""
    if not settings.nura_database_url:
        return str(DataPaths(settings.data_dir).database)
    where = describe_url(settings.nura_database_url)
    user = f"{where['user']}@" if where.get("user") else ""
    return f"PostgreSQL {user}{where['host']}:{where['port']}/{where['database']}"


def open_pg_database(url: str) -> PgDatabase:
    """A migrated :class:`PgDatabase` (raises StorageError when PostgreSQL is unreachable)."""
    from nura_appliance.storage.postgres import migrations
    from nura_appliance.storage.postgres.db import PgDatabase

    db = PgDatabase(url)
    try:
        migrations.migrate(db)
    except Exception:
        db.close()
        raise
    return db


def open_scale_stores(settings: Settings, open_sqlite: Any) -> tuple[DataPaths, Any, Any, Any]:
    """``(paths, db, cache, bus)`` for the configured backends. ``open_sqlite(settings)`` is the
    default database opener, used when only Redis is configured."""
    from nura_appliance.storage.bus import EventBus
    from nura_appliance.storage.cache import DiskCache

    if settings.nura_database_url:
        paths = DataPaths(settings.data_dir).ensure()  # uploads, models, logs still live here
        db = open_pg_database(settings.nura_database_url)
    else:
        paths, db = open_sqlite(settings)
    try:
        if settings.nura_redis_url:
            from nura_appliance.storage.redis_bus import RedisEventBus
            from nura_appliance.storage.redis_cache import RedisCache

            prefix = redis_prefix(settings)
            cache: Any = RedisCache(settings.nura_redis_url, prefix=prefix + "c:")
            bus: Any = RedisEventBus(settings.nura_redis_url, prefix=prefix)
            bus.wait_ready(3.0)
        else:
            cache, bus = DiskCache(paths.cache), EventBus()
    except Exception:
        db.close()
        raise
    log.info(
        "stores: database %s, cache and events %s",
        "PostgreSQL" if settings.nura_database_url else "SQLite",
        "Redis" if settings.nura_redis_url else "local",
    )
    return paths, db, cache, bus


def snapshot_sqlite_file(source: Path, target: Path) -> None:
    """A consistent, self-contained copy of the live SQLite database file (``nura backup``)."""
    snapshot_file(source, target)


@dataclass
class Stores:
    """The per-feature stores of one database, each the implementation for its backend (see
    docs/DEVELOPING.md, "Storage seam"). Features take the Protocol-typed field they need."""

    db: Database
    ai: AiStore
    analytics: AnalyticsStore
    attachments: AttachmentStore
    auth: AuthStore
    handoff: HandoffStore
    backups: BackupStore
    canned: CannedReplyStore
    export: ExportStore
    gaps: GapStore
    health: HealthStore
    index: IndexStore
    identities: IdentityStore
    inbox: InboxRowStore
    metrics: MetricsStore
    original: OriginalImportStore
    outbox: OutboxStore
    passages: PassageSearchStore
    retention: RetentionStore
    rules: RuleStore
    runtime_settings: RuntimeSettingsStore
    search: SearchStore
    support: SupportStore
    sessions: SessionStore
    telegram: TelegramStore
    whatsapp: WhatsAppStore
    ingestion_runs: IngestionRunStore


def stores_for(database: Database) -> Stores:
    """The stores of an open database, picked once by its backend (SQLite or PostgreSQL)."""
    if getattr(database, "dialect", "sqlite") == "postgres":
        from nura_appliance.storage.postgres.ai import PgAiStore
        from nura_appliance.storage.postgres.analytics import PgAnalyticsStore
        from nura_appliance.storage.postgres.attachments import PgAttachmentStore
        from nura_appliance.storage.postgres.auth import PgAuthStore
        from nura_appliance.storage.postgres.backups import PgBackupStore
        from nura_appliance.storage.postgres.export import PgExportStore
        from nura_appliance.storage.postgres.gaps import PgGapStore
        from nura_appliance.storage.postgres.handoff import PgCannedReplyStore, PgHandoffStore, PgInboxRowStore
        from nura_appliance.storage.postgres.health import PgHealthStore
        from nura_appliance.storage.postgres.identities import PgIdentityStore
        from nura_appliance.storage.postgres.index import PgIndexStore
        from nura_appliance.storage.postgres.ingestion_runs import PgIngestionRunStore
        from nura_appliance.storage.postgres.metrics import PgMetricsStore
        from nura_appliance.storage.postgres.original import PgOriginalImportStore
        from nura_appliance.storage.postgres.outbox import PgOutboxStore
        from nura_appliance.storage.postgres.passages import PgPassageSearchStore
        from nura_appliance.storage.postgres.retention import PgRetentionStore
        from nura_appliance.storage.postgres.rules import PgRuleStore
        from nura_appliance.storage.postgres.search import PgSearchStore
        from nura_appliance.storage.postgres.sessions import PgSessionStore
        from nura_appliance.storage.postgres.settings import PgRuntimeSettingsStore
        from nura_appliance.storage.postgres.support import PgSupportStore
        from nura_appliance.storage.postgres.telegram import PgTelegramStore
        from nura_appliance.storage.postgres.whatsapp import PgWhatsAppStore

        pg = cast("PgDatabase", database)
        return Stores(
            db=pg,
            ai=PgAiStore(pg),
            analytics=PgAnalyticsStore(pg),
            attachments=PgAttachmentStore(pg),
            auth=PgAuthStore(pg),
            handoff=PgHandoffStore(pg),
            canned=PgCannedReplyStore(pg),
            export=PgExportStore(pg),
            gaps=PgGapStore(pg),
            inbox=PgInboxRowStore(pg),
            backups=PgBackupStore(pg),
            health=PgHealthStore(pg),
            index=PgIndexStore(),
            identities=PgIdentityStore(pg),
            metrics=PgMetricsStore(pg),
            original=PgOriginalImportStore(pg),
            outbox=PgOutboxStore(pg),
            passages=PgPassageSearchStore(pg),
            retention=PgRetentionStore(pg),
            rules=PgRuleStore(pg),
            runtime_settings=PgRuntimeSettingsStore(pg),
            search=PgSearchStore(pg),
            support=PgSupportStore(pg),
            sessions=PgSessionStore(pg),
            telegram=PgTelegramStore(pg),
            whatsapp=PgWhatsAppStore(pg),
            ingestion_runs=PgIngestionRunStore(pg),
        )
    from nura_appliance.storage.sqlite.ai import SqliteAiStore
    from nura_appliance.storage.sqlite.analytics import SqliteAnalyticsStore
    from nura_appliance.storage.sqlite.attachments import SqlAttachmentStore
    from nura_appliance.storage.sqlite.auth import SqliteAuthStore
    from nura_appliance.storage.sqlite.backups import SqlBackupStore
    from nura_appliance.storage.sqlite.export import SqliteExportStore
    from nura_appliance.storage.sqlite.gaps import SqliteGapStore
    from nura_appliance.storage.sqlite.handoff import SqliteCannedReplyStore, SqliteHandoffStore, SqliteInboxRowStore
    from nura_appliance.storage.sqlite.health import SqliteHealthStore
    from nura_appliance.storage.sqlite.identities import SqlIdentityStore
    from nura_appliance.storage.sqlite.index import SqliteIndexStore
    from nura_appliance.storage.sqlite.ingestion_runs import SqliteIngestionRunStore
    from nura_appliance.storage.sqlite.metrics import SqliteMetricsStore
    from nura_appliance.storage.sqlite.original import SqliteOriginalImportStore
    from nura_appliance.storage.sqlite.outbox import SqliteOutboxStore
    from nura_appliance.storage.sqlite.passages import SqlitePassageSearchStore
    from nura_appliance.storage.sqlite.retention import SqliteRetentionStore
    from nura_appliance.storage.sqlite.rules import SqliteRuleStore
    from nura_appliance.storage.sqlite.search import SqliteSearchStore
    from nura_appliance.storage.sqlite.sessions import SqliteSessionStore
    from nura_appliance.storage.sqlite.settings import SqliteRuntimeSettingsStore
    from nura_appliance.storage.sqlite.support import SqliteSupportStore
    from nura_appliance.storage.sqlite.telegram import SqliteTelegramStore
    from nura_appliance.storage.sqlite.whatsapp import SqlWhatsAppStore

    db = cast(SqliteDatabase, database)
    return Stores(
        db=db,
        ai=SqliteAiStore(db),
        analytics=SqliteAnalyticsStore(db),
        attachments=SqlAttachmentStore(db),
        auth=SqliteAuthStore(db),
        handoff=SqliteHandoffStore(db),
        canned=SqliteCannedReplyStore(db),
        export=SqliteExportStore(db),
        gaps=SqliteGapStore(db),
        inbox=SqliteInboxRowStore(db),
        backups=SqlBackupStore(db),
        health=SqliteHealthStore(db),
        index=SqliteIndexStore(),
        identities=SqlIdentityStore(db),
        metrics=SqliteMetricsStore(db),
        original=SqliteOriginalImportStore(db),
        outbox=SqliteOutboxStore(db),
        passages=SqlitePassageSearchStore(db),
        retention=SqliteRetentionStore(db),
        rules=SqliteRuleStore(db),
        runtime_settings=SqliteRuntimeSettingsStore(db),
        search=SqliteSearchStore(db),
        support=SqliteSupportStore(db),
        sessions=SqliteSessionStore(db),
        telegram=SqliteTelegramStore(db),
        whatsapp=SqlWhatsAppStore(db),
        ingestion_runs=SqliteIngestionRunStore(db),
    )


def knowledge_store(database: Database, vectors: SearchIndex) -> KnowledgeStore:
    """The knowledge store of an open database (its backend's), indexing through ``vectors`` (the
    knowledge feature's text analysis and embedder, which storage does not import)."""
    if getattr(database, "dialect", "sqlite") == "postgres":
        from nura_appliance.storage.postgres.knowledge import PgKnowledgeStore

        pg = cast("PgDatabase", database)
        return PgKnowledgeStore(pg, vectors)
    from nura_appliance.storage.sqlite.knowledge import SqliteKnowledgeStore

    db = cast(SqliteDatabase, database)
    return SqliteKnowledgeStore(db, vectors)


def open_stores(settings: Settings) -> tuple[DataPaths, Stores]:
    """Open the configured database (PostgreSQL when ``NURA_DATABASE_URL`` is set, else the data
    dir's SQLite file), migrated, with its stores. The caller closes ``stores.db``."""
    paths, db = open_main_database(settings)
    return paths, stores_for(db)


def handbook_store_for(database: Database, vectors: SearchIndex) -> HandbookStore:
    """The :class:`~nura_appliance.storage.base.HandbookStore` of an open database, picked by its
    backend; ``vectors`` is the knowledge feature's text index (a ``SearchIndex``)."""
    if getattr(database, "dialect", "sqlite") == "postgres":
        from nura_appliance.storage.postgres.handbook import PgHandbookStore

        pg = cast("PgDatabase", database)
        return PgHandbookStore(pg, vectors)
    from nura_appliance.storage.sqlite.handbook import SqliteHandbookStore

    db = cast(SqliteDatabase, database)
    return SqliteHandbookStore(db, vectors)
