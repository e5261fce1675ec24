"""AppContext: the one typed object that holds everything a request or job needs.

Built by :func:`build_context` (in ``before_server_start`` for the server, directly by the CLI
and tests) and closed by :meth:`AppContext.close`. No module-level singletons.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from nura_appliance.conversation.pipeline import Pipeline
from nura_appliance.conversation.service import ConversationService
from nura_appliance.conversation.sessions import SessionService
from nura_appliance.knowledge.indexer import VectorIndex
from nura_appliance.knowledge.pack import read_pack_file
from nura_appliance.knowledge.retrieval import ArticleMatcher
from nura_appliance.paths import DataPaths, default_pack_path
from nura_appliance.settings import Settings
from nura_appliance.storage.bus import EventBus
from nura_appliance.storage.cache import DiskCache
from nura_appliance.storage.sqlite.db import Database
from nura_appliance.storage.sqlite.knowledge import SqliteKnowledgeStore
from nura_appliance.storage.sqlite.sessions import SqliteSessionStore
from nura_appliance.storage.stores import Stores, open_database, open_scale_stores, scale_out, stores_for

log = logging.getLogger(__name__)
__all__ = ["AppContext", "build_context", "load_default_knowledge", "open_database"]


@dataclass
class AppContext:
    settings: Settings
    paths: DataPaths
    db: Database
    cache: DiskCache
    bus: EventBus
    sessions_store: SqliteSessionStore
    knowledge: SqliteKnowledgeStore
    sessions: SessionService
    pipeline: Pipeline
    conversations: ConversationService
    # The per-feature stores of ``db`` (storage/stores.py), picked once for its backend.
    stores: Stores
    # Features attach their services here in their setup hooks (auth, handoff, jobs, ai, …).
    services: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        for service in reversed(list(self.services.values())):
            closer = getattr(service, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:  # noqa: BLE001 - closing must not stop the others
                    log.exception("closing %r failed", service)
        self.bus.close()
        self.cache.close()
        self.db.close()


def build_context(settings: Settings) -> AppContext:
    if scale_out(settings):
        paths, db, cache, bus = open_scale_stores(settings, open_database)
    else:
        paths, db = open_database(settings)
        cache = DiskCache(paths.cache)
        bus = EventBus()
    sessions_store = SqliteSessionStore(db)
    knowledge = SqliteKnowledgeStore(db, VectorIndex())
    # diskcache means one HTTP process (several workers need Redis): live sessions in memory.
    sessions = SessionService(settings, sessions_store, cache, local=isinstance(cache, DiskCache))
    matcher = ArticleMatcher(
        db, answer_threshold=settings.answer_threshold, ambiguous_threshold=settings.ambiguous_threshold
    )
    pipeline = Pipeline(settings, knowledge, matcher)
    conversations = ConversationService(settings, sessions, sessions_store, pipeline, bus)
    return AppContext(
        settings, paths, db, cache, bus, sessions_store, knowledge, sessions, pipeline, conversations, stores_for(db)
    )


async def load_default_knowledge(ctx: AppContext) -> bool:
    """Load the bundled pack into an empty knowledge base; returns whether it loaded."""
    if not ctx.settings.load_default_knowledge or not await ctx.knowledge.is_empty():
        return False
    path = default_pack_path()
    if not path.is_file():
        log.warning("default knowledge pack %s is missing", path)
        return False
    pack = read_pack_file(path)
    await ctx.knowledge.load_pack(pack)
    await ctx.pipeline.refresh(force=True)
    return True
