"""Static assets served by the appliance: the widget files and the web admin."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, file, redirect

from nura_appliance.auth.access import PUBLIC, access
from nura_appliance.errors import NotFound
from nura_appliance.paths import admin_static_dir, widget_dir

bp = Blueprint("web_static")
WIDGET_FILES = {
    "widget.js": "application/javascript",
    "widget-loader.js": "application/javascript",
    "widget.html": "text/html",
    "favicon.ico": "image/x-icon",
}
# img-src blob:: the admin shows chat attachments from blob: URLs (fetched with the bearer token).
ADMIN_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
PREVIEW_PAGE = "widget-preview.html"
ADMIN_HEADERS = {
    "Content-Security-Policy": ADMIN_CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


async def _widget_file(request: Request, name: str) -> HTTPResponse:
    """One widget asset, cacheable and loadable from any origin; ``If-Modified-Since`` gets a 304.

    Sanic's ``file()`` adds its own lower-case ``cache-control`` unless that exact key is given;
    two conflicting Cache-Control headers would make browsers treat the asset as ``no-cache``.
    """
    path = widget_dir() / name
    if not path.is_file():
        raise NotFound(f"{name} is not installed", code="asset_missing")
    # The loader's URL is what host pages embed, so a new release reaches them within minutes;
    # the widget itself is fetched only when a visitor opens the chat and changes only with a
    # release; the demo page is always revalidated.
    cache = {
        "widget-loader.js": "public, max-age=300",
        "widget.js": "public, max-age=3600",
        "favicon.ico": "public, max-age=86400",
    }.get(name, "no-cache")
    mime = WIDGET_FILES[name] + ("" if name.endswith(".ico") else "; charset=utf-8")
    return await file(
        path,
        request_headers=request.headers,
        mime_type=mime,
        headers={
            "cache-control": cache,
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Access-Control-Allow-Origin": "*",
        },
    )


@bp.get("/widget.js")
@access(PUBLIC)
async def widget_js(request: Request) -> HTTPResponse:
    """The chat widget (JavaScript, cacheable, loadable from any origin)."""
    return await _widget_file(request, "widget.js")


@bp.get("/widget-loader.js")
@access(PUBLIC)
async def widget_loader(request: Request) -> HTTPResponse:
    """The widget loader that host pages embed with one script tag."""
    return await _widget_file(request, "widget-loader.js")


@bp.get("/widget.html")
@access(PUBLIC)
async def widget_page(request: Request) -> HTTPResponse:
    """The widget demo page."""
    return await _widget_file(request, "widget.html")


@bp.get("/favicon.ico")
@access(PUBLIC)
async def favicon(request: Request) -> HTTPResponse:
    """The appliance's icon (browsers ask for it on every page: the demo, /docs, the admin)."""
    return await _widget_file(request, "favicon.ico")


@bp.get("/admin", strict_slashes=True)
@access(PUBLIC)
async def admin_redirect(request: Request) -> HTTPResponse:
    """Redirect to the web admin at /admin/."""
    return redirect("/admin/")


def _admin_path(relative: str) -> Path:
    root = admin_static_dir().resolve()
    target = (root / (relative or "index.html")).resolve()
    if root != target and root not in target.parents:
        raise NotFound("no such file", code="asset_missing")
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        # Client-side routes fall back to the single page.
        if "." in Path(relative).name:
            raise NotFound("no such file", code="asset_missing")
        target = root / "index.html"
        if not target.is_file():
            raise NotFound("the admin is not installed", code="asset_missing")
    return target


@bp.get("/admin/", strict_slashes=True)
@access(PUBLIC)
async def admin_index(request: Request) -> HTTPResponse:
    """The web admin (a static single page; its API calls need a token)."""
    return await _admin_file("")


@bp.get("/admin/<relative:path>")
@access(PUBLIC)
async def admin_asset(request: Request, relative: str) -> HTTPResponse:
    """The web admin's static files (the page itself is public; its API calls need a token)."""
    return await _admin_file(relative)


async def _admin_file(relative: str) -> HTTPResponse:
    """One file of the web admin with its security headers (the single page for client-side routes)."""
    path = _admin_path(relative)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mime.startswith("text/") or mime in ("application/javascript", "application/json"):
        mime += "; charset=utf-8"
    cache = "no-cache" if path.suffix == ".html" else "public, max-age=300"
    headers = {**ADMIN_HEADERS, "cache-control": cache}  # the key sanic.file() checks; one header
    if path.name == PREVIEW_PAGE:
        # The settings page shows the real widget in a frame; only this page may be framed,
        # and only by the admin itself.
        headers["Content-Security-Policy"] = ADMIN_CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return await file(path, mime_type=mime, headers=headers)


def setup(app: Sanic) -> None:
    app.blueprint(bp)
