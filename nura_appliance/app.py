"""``create_app()``: build the Sanic app from settings; each feature registers itself through its
``setup(app)`` from the explicit list below, and builds its state in listeners, never at import."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable
from importlib import import_module

from sanic import Sanic
from sanic_ext import Extend
from sanic_ext.extensions.http.extension import HTTPExtension
from sanic_ext.extensions.openapi.extension import OpenAPIExtension

from nura_appliance import __version__
from nura_appliance.api_docs import document_routes
from nura_appliance.auth.access import ADMIN, PUBLIC, check_routes, level_of, setup_access
from nura_appliance.auth.production import check_production
from nura_appliance.auth.secrets import ensure_secrets
from nura_appliance.context import AppContext, CoreParts, build_core, load_default_pack, open_context
from nura_appliance.http import setup_http
from nura_appliance.settings import Settings, load_settings

log = logging.getLogger(__name__)
_names = itertools.count()

# Feature modules with a ``setup(app)``, in dependency order: registration order, and the order their
# start-up hooks run in (a feature's hook sees the services of the features listed before it;
# jobs come first, so every later feature registers its job handlers once, in its own hook).
# Start-up runs in two phases (start_context): the ``before_core`` hooks (jobs, auth, knowledge,
# AI, hand-off, analytics: the services the core is built with) in this order, then the core
# objects are built with their parts, then the ``on_context`` hooks in this order.
FEATURES: tuple[str, ...] = (
    "nura_appliance.health",
    "nura_appliance.jobs.setup",
    "nura_appliance.auth.setup",
    "nura_appliance.conversation.routes",
    "nura_appliance.knowledge.setup",
    "nura_appliance.ai.setup",
    "nura_appliance.channels.web",
    "nura_appliance.channels.identity",
    "nura_appliance.attachments.setup",
    "nura_appliance.realtime.sse",
    "nura_appliance.handoff.setup",
    "nura_appliance.analytics.setup",
    "nura_appliance.ops.admin_settings",
    "nura_appliance.ops.runtime",
    "nura_appliance.ops.metrics",
    "nura_appliance.ops.scheduled_backups",
    "nura_appliance.channels.telegram_setup",
    "nura_appliance.channels.whatsapp_setup",
    "nura_appliance.original.wire",
)


def create_app(
    settings: Settings | None = None, *, name: str | None = None, features: tuple[str, ...] = FEATURES
) -> Sanic:
    settings = settings or load_settings()
    check_production(settings)
    settings = ensure_secrets(settings)  # no shared default: a random API key and signing key per install
    app = Sanic(name or f"nura_{next(_names)}")
    attachments = settings.attachment_max_bytes * settings.attachment_max_files  # one message's files
    limit = max(settings.request_max_bytes, settings.upload_max_bytes, attachments) + 64_000
    app.config.update(
        REQUEST_MAX_SIZE=limit,
        FALLBACK_ERROR_FORMAT="json",
        KEEP_ALIVE_TIMEOUT=30,
        RESPONSE_TIMEOUT=120,
        REQUEST_TIMEOUT=30,
        OAS_UI_DEFAULT="swagger",
        OAS_URL_PREFIX="/docs",
        OAS_UI_REDOC=False,
        # The Swagger UI assets are vendored under admin_static/vendor so /docs works offline.
        OAS_UI_SWAGGER_CDN_URL="/admin/vendor/swagger-ui",
        OAS_UI_SWAGGER_VERSION="5.35.0",
        OAS_TITLE="NURA Appliance API",
        OAS_VERSION=__version__,
        CORS=False,
        HEALTH=False,
    )
    app.ctx.settings = settings
    app.ctx.core_hooks = []
    app.ctx.context_hooks = []
    docs = settings.api_docs_access  # off by default in production (API_DOCS)
    # Only the sanic-ext extensions the appliance uses: the OpenAPI document and UI, and the
    # automatic HEAD/OPTIONS routes. Not its dependency injection (nothing is registered with it,
    # yet it read the type hints of all ~260 handlers at each start, ~5 % of a start's CPU, and
    # added a routing signal to every request), health and logging (off) or templating (unused).
    Extend(
        app,
        extensions=[OpenAPIExtension, HTTPExtension],
        built_in_extensions=False,
        config={"oas": docs != "off", "oas_autodoc": True, "cors": False, "health": False},
    )
    setup_http(app)
    setup_access(app)

    # sanic-ext adds automatic HEAD/OPTIONS routes in a before_server_start listener; once the app
    # counts as started, every add_route re-finalizes the whole router (~50 ms each with ~100
    # routes, seconds per start-up). Let those listeners batch their changes, then mark it started.
    # A listener with a priority is registered as ``app.listener(event, priority=…)``, the call
    # ``app.before_server_start(priority=…)`` makes, which Sanic types as a decorator.
    @app.listener("before_server_start", priority=1_000_000)
    async def batch_route_changes(app: Sanic) -> None:
        app.state.is_started = False

    @app.listener("before_server_start", priority=-1_000_000)
    async def routes_settled(app: Sanic) -> None:
        app.state.is_started = True

    if docs != "off":

        @app.listener("before_server_start", priority=10)  # before sanic-ext builds the document (priority -1000)
        async def describe_api(app: Sanic) -> None:
            document_routes(app)

    @app.before_server_start
    async def open_context(app: Sanic) -> None:
        await start_context(app, settings)
        _declare_generated_routes(app)
        check_routes(app)

    @app.after_server_stop
    async def close_context(app: Sanic) -> None:
        ctx = getattr(app.ctx, "nura", None)
        if ctx is not None:
            ctx.close()

    for module in features:
        setup: Callable[[Sanic], None] = import_module(module).setup
        setup(app)

    return app


async def start_context(app: Sanic, settings: Settings, *, load_knowledge: bool = True) -> AppContext:
    """Build the context ``nura serve`` builds — the default knowledge loaded (unless
    ``load_knowledge`` is false) and every feature's start-up hook run — and put it on ``app``.
    The server's start-up and the processes without a listener (``nura worker``, ``nura telegram``,
    ``nura eval``) share it; the caller closes the context (a failing hook closes it here).

    In dependency order: storage and sessions; the default pack; the ``before_core`` hooks, which
    build the services the core needs and contribute its extension points; the pipeline and the
    conversation service, built once with them; the ``on_context`` hooks."""
    ctx: AppContext = open_context(settings)
    app.ctx.nura = ctx
    try:
        loaded = load_knowledge and await load_default_pack(ctx)
        parts = CoreParts()
        for core_hook in app.ctx.core_hooks:
            await core_hook(app, ctx, parts)
        build_core(ctx, parts)
        if loaded:
            await ctx.pipeline.refresh(force=True)  # rules, scope message, vocabulary read at start-up
        for hook in app.ctx.context_hooks:
            await hook(app, ctx)
    except BaseException:
        ctx.close()
        raise
    return ctx


def _declare_generated_routes(app: Sanic) -> None:
    """sanic-ext adds routes of its own at start-up: the OpenAPI UI (public), automatic OPTIONS
    (preflight, answered by our CORS middleware: public) and automatic HEAD (same rule as the
    GET it mirrors). Declare them in the access table so that the table stays complete."""
    get_levels = {
        route.path: level_of(route.handler)
        for route in app.router.routes
        if "GET" in route.methods and level_of(route.handler) is not None
    }
    for route in app.router.routes:
        if level_of(route.handler) is not None:
            continue
        if route.path.startswith("docs"):
            level: str | None = ADMIN if app.ctx.settings.api_docs_access == "admin" else PUBLIC
        elif route.methods <= {"OPTIONS"}:
            level = PUBLIC
        elif route.methods <= {"HEAD"}:
            level = get_levels.get(route.path)
        else:
            continue
        if level is None:
            continue
        handler = route.handler
        try:
            handler.__nura_access__ = level
        except (AttributeError, TypeError):
            try:
                handler.__func__.__nura_access__ = level
            except AttributeError:
                route.handler = _with_level(handler, level)


def _with_level(handler: Callable[..., Awaitable[object]], level: str) -> Callable[..., Awaitable[object]]:
    async def declared(*args: object, **kwargs: object) -> object:
        return await handler(*args, **kwargs)

    declared.__nura_access__ = level  # type: ignore[attr-defined]
    return declared
