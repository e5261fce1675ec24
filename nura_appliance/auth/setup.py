"""Auth feature wiring: the auth services (``ctx.auth``, ``ctx.users``, ``ctx.limits``, ``ctx.audit``;
the first admin from ``ADMIN_PASSWORD``), the auth routes, and the request-wide guards: per-IP
limits on the public API, event and upload limits, security headers."""

from __future__ import annotations

from sanic import HTTPResponse, Request, Sanic

from nura_appliance.auth.access import PUBLIC, SESSION, level_of
from nura_appliance.auth.audit import AuditService
from nura_appliance.auth.limits import RateLimiter
from nura_appliance.auth.routes import EVENT_PATHS, IP_COUNTED_BY_ROUTE, NOT_IP_LIMITED, bp, html_csp
from nura_appliance.auth.service import AuthService, UserService, create_first_admin
from nura_appliance.auth.site import AuthSite
from nura_appliance.errors import NuraError
from nura_appliance.http import before_core, json_body
from nura_appliance.storage.cache import DiskCache


async def build_services(app: Sanic, ctx: AuthSite, parts: object) -> None:
    """Create the auth services and the first admin from ADMIN_USERNAME/ADMIN_PASSWORD if needed
    (before the core: the hand-off service is built with ``ctx.users``; no core part here)."""
    store = ctx.stores.auth
    audit = AuditService(store)
    users = UserService(ctx.settings, store, audit)
    auth = AuthService(ctx.settings, users, ctx.cache, audit)
    ctx.audit = audit
    ctx.users = users
    ctx.auth = auth
    # diskcache means one HTTP process (several workers need Redis): count requests in memory.
    ctx.limits = RateLimiter(ctx.settings, ctx.cache, audit, local=isinstance(ctx.cache, DiskCache))
    if ctx.settings.admin_password:
        await create_first_admin(ctx.settings, store)


def _is_upload(request: Request) -> bool:
    path = request.route.path if request.route else ""
    return request.method in ("POST", "PUT") and (
        path.endswith("/upload") or path.endswith("/uploads") or "multipart/form-data" in (request.content_type or "")
    )


def setup(app: Sanic) -> None:
    before_core(app, build_services)  # the hand-off service is built with ctx.users
    app.blueprint(bp)

    @app.on_request(priority=40)  # type: ignore[call-arg]  # sanic's overloads miss the keyword-only decorator form
    async def apply_limits(request: Request) -> None:
        """Per-IP limit on the public /v1 API, and the event and upload limits, for every feature."""
        route = request.route
        nura = getattr(request.app.ctx, "nura", None)
        if route is None or nura is None or request.method == "OPTIONS":
            return
        limits: RateLimiter | None = nura.limits
        if limits is None:
            return
        level = level_of(route.handler)
        if level in (PUBLIC, SESSION) and route.path.startswith("v1/") and route.path not in NOT_IP_LIMITED:
            if not (request.method == "POST" and route.path in IP_COUNTED_BY_ROUTE):
                await limits.check_public(request)
        if request.method == "POST" and route.path in EVENT_PATHS:
            session_id = None
            try:
                body = json_body(request, required=False)
                session_id = body.get("session_id") if isinstance(body, dict) else None
            except NuraError:  # the handler reports bad bodies; here only the key matters
                session_id = None
            await limits.check_event(request, session_id if isinstance(session_id, str) else None)
        if _is_upload(request):
            await limits.check_upload(request)

    @app.on_response(priority=90)
    async def security_headers(request: Request, response: HTTPResponse) -> None:
        """Headers every API answer gets; the admin's CSP is set where it is served."""
        headers = response.headers
        headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith("/v1/"):
            headers.setdefault("Cache-Control", "no-store")
            headers.setdefault("X-Frame-Options", "DENY")
            headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        if "Content-Security-Policy" not in headers and "text/html" in (response.content_type or ""):
            # Every HTML page gets a CSP (/docs and /widget.html had none): its own inline scripts and
            # styles allowed by hash, nothing from other origins, no framing.
            headers["Content-Security-Policy"] = html_csp(
                response.body or b"", style_attributes=request.path.startswith("/docs")
            )
            headers.setdefault("X-Frame-Options", "DENY")
        nura = getattr(request.app.ctx, "nura", None)
        if nura is not None and nura.settings.is_production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
