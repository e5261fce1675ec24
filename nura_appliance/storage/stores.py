"""Open the scale-out stores: PostgreSQL for the database, Redis for the cache and the event bus.

``build_context`` calls :func:`open_scale_stores` only when ``NURA_DATABASE_URL`` or
``NURA_REDIS_URL`` is set; the default SQLite + diskcache + in-process bus path is untouched.
Either URL may be used alone (PostgreSQL with diskcache, or SQLite with Redis for the cache),
though several workers need both (``nura serve --workers N`` refuses otherwise).
"""

from __future__ import annotations

import logging
from typing import Any

from nura_appliance.paths import DataPaths
from nura_appliance.settings import Settings

log = logging.getLogger(__name__)


def scale_out(settings: Settings) -> bool:
    return bool(settings.nura_database_url or settings.nura_redis_url)


def redis_prefix(settings: Settings) -> str:
    prefix = str(settings.nura_redis_prefix or "nura:")
    return prefix if prefix.endswith(":") else prefix + ":"


def open_pg_database(url: str) -> Any:
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
    from nura_appliance.realtime.bus import EventBus
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
