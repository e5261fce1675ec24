"""Auth feature: login/logout/me, user administration, the audit and security logs, and the
request-wide guards (per-IP limits on the public API, upload and event limits, security
headers). Services are built at start-up and published as ``ctx.auth``, ``ctx.users``,
``ctx.limits`` and ``ctx.audit``."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from sanic import Blueprint, HTTPResponse, Request
from sanic import json as json_response

from nura_appliance.auth.access import ADMIN, PUBLIC, VIEWER, access
from nura_appliance.auth.audit import AuditService
from nura_appliance.auth.limits import RateLimiter
from nura_appliance.auth.service import AuthService, UserService, check_username
from nura_appliance.auth.site import auth_site
from nura_appliance.errors import BadRequest, NuraError, Unauthorized, ValidationFailed
from nura_appliance.http import int_arg, json_object, timestamp_arg

bp = Blueprint("auth", url_prefix="/v1")

# Paths (as Sanic names them, without the leading slash) whose POSTs count as uploads or as
# widget analytics events, whichever feature serves them.
EVENT_PATHS = ("v1/analytics/click",)
# Health probes; login has its own limit; Meta's few servers carry every WhatsApp customer's
# messages (the webhook limits unsigned calls per IP itself, signed ones per number).
NOT_IP_LIMITED = ("v1/health", "v1/auth/login", "v1/whatsapp/webhook")
# POSTs whose route counts the per-IP limit itself, first and in the same cache call as its own
# limit (``RateLimiter.check_message(..., with_ip=True)``; one Redis round trip, not two): the
# customer message. The route counts it on every path, its refusals and errors included.
IP_COUNTED_BY_ROUTE = ("v1/message",)


def _services(request: Request) -> tuple[AuthService, UserService, RateLimiter, AuditService]:
    ctx = auth_site(request)
    if ctx.auth is None or ctx.users is None or ctx.limits is None or ctx.audit is None:
        raise NuraError("the auth feature is not set up", code="feature_unavailable")
    return ctx.auth, ctx.users, ctx.limits, ctx.audit


def _text_field(body: dict[str, Any], key: str, *, required: bool = True, max_len: int = 256) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise ValidationFailed(f"'{key}' is required", code="missing_field", details={"field": key})
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise ValidationFailed(
            f"'{key}' must be text of at most {max_len} characters", code="invalid_field", details={"field": key}
        )
    return value


# -- sign-in ---------------------------------------------------------------------------------------
@bp.post("/auth/login")
@access(PUBLIC)
async def login(request: Request) -> HTTPResponse:
    """Sign in with username and password; returns a bearer access token.

    openapi:
    ---
    summary: Sign in (staff)
    tags: [auth]
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [username, password]
            properties:
              username: {type: string, maxLength: 64}
              password: {type: string, maxLength: 256}
    """
    auth, _, limits, _ = _services(request)
    body = json_object(request)
    username = _text_field(body, "username", max_len=64) or ""
    password = _text_field(body, "password") or ""
    await limits.before_login(request, username)
    user = await auth.check_credentials(username, password)
    if user is None:
        await limits.login_failed(request, username)
        raise Unauthorized("wrong username or password, or the account is disabled", code="invalid_credentials")
    await limits.login_succeeded(request, username)
    return json_response(await auth.issue(user), headers={"Cache-Control": "no-store"})


@bp.get("/auth/me")
@access(VIEWER)
async def me(request: Request) -> HTTPResponse:
    """Who the bearer is."""
    principal = request.ctx.principal
    return json_response(
        {
            "username": principal.username,
            "role": principal.role,
            "display_name": principal.display_name or principal.username,
            "display_name_set": bool(principal.display_name) and principal.kind == "user",
            "kind": principal.kind,
            "expires_at": principal.expires_at,
        }
    )


@bp.post("/auth/logout")
@access(VIEWER)
async def logout(request: Request) -> HTTPResponse:
    """Revoke the bearer token at once (the API key cannot be logged out)."""
    auth, _, _, _ = _services(request)
    revoked = await auth.logout(request.ctx.principal)
    return json_response({"ok": True, "revoked": revoked})


@bp.post("/auth/password")
@access(VIEWER)
async def change_own_password(request: Request) -> HTTPResponse:
    """Change your own password ({current_password, new_password}); your tokens are revoked.

    openapi:
    ---
    summary: Change your own password
    tags: [auth]
    """
    auth, users, limits, _ = _services(request)
    principal = request.ctx.principal
    if principal.kind != "user":
        raise BadRequest("the API key has no password", code="not_a_user")
    body = json_object(request)
    current = _text_field(body, "current_password") or ""
    new = _text_field(body, "new_password") or ""
    await limits.before_login(request, principal.username)
    if await auth.check_credentials(principal.username, current) is None:
        await limits.login_failed(request, principal.username)
        raise Unauthorized("the current password is wrong", code="invalid_credentials")
    await users.set_password(principal.username, new, actor=principal.username)
    return json_response({"ok": True})


# -- users (admin) ---------------------------------------------------------------------------------
@bp.get("/users")
@access(ADMIN)
async def list_users(request: Request) -> HTTPResponse:
    """All staff accounts (``?role=`` filters)."""
    _, users, _, _ = _services(request)
    role = request.args.get("role")
    if role is not None and role not in ("admin", "agent", "viewer"):
        raise ValidationFailed("'role' must be admin, agent or viewer", code="invalid_field", details={"field": "role"})
    return json_response({"users": [u.public() for u in await users.list(role=role)]})


@bp.post("/users")
@access(ADMIN)
async def create_user(request: Request) -> HTTPResponse:
    """Create a staff account {username, role, password?, display_name?}; without a password one
    is generated and returned once.

    openapi:
    ---
    summary: Create a staff account
    tags: [users]
    """
    _, users, _, _ = _services(request)
    body = json_object(request)
    username = _text_field(body, "username", max_len=64) or ""
    role = _text_field(body, "role", max_len=16) or ""
    password = _text_field(body, "password", required=False)
    display_name = _text_field(body, "display_name", required=False, max_len=100)
    user, generated = await users.create(username, password, role, display_name, actor=request.ctx.principal.username)
    out = user.public()
    if generated:
        out["generated_password"] = generated
    return json_response(out, status=201, headers={"Cache-Control": "no-store"})


@bp.patch("/users/<username:str>")
@access(ADMIN)
async def update_user(request: Request, username: str) -> HTTPResponse:
    """Change {role?, active?, display_name?}; disabling revokes the user's tokens at once."""
    _, users, _, _ = _services(request)
    check_username(username)
    body = json_object(request)
    unknown = sorted(set(body) - {"role", "active", "display_name"})
    if unknown:
        raise ValidationFailed(
            f"unknown field(s): {', '.join(unknown)}", code="invalid_field", details={"fields": unknown}
        )
    active = body.get("active")
    if active is not None and not isinstance(active, bool):
        raise ValidationFailed("'active' must be true or false", code="invalid_field", details={"field": "active"})
    role = _text_field(body, "role", required=False, max_len=16)
    display_name = _text_field(body, "display_name", required=False, max_len=100)
    user = await users.update(
        username, actor=request.ctx.principal.username, role=role, active=active, display_name=display_name
    )
    return json_response(user.public())


@bp.post("/users/<username:str>/password")
@access(ADMIN)
async def set_user_password(request: Request, username: str) -> HTTPResponse:
    """Set a user's password {password}; the user's tokens are revoked at once."""
    _, users, _, _ = _services(request)
    check_username(username)
    body = json_object(request)
    password = _text_field(body, "password") or ""
    await users.set_password(username, password, actor=request.ctx.principal.username)
    return json_response({"ok": True})


# -- logs (admin) ----------------------------------------------------------------------------------
@bp.get("/audit-log")
@access(ADMIN)
async def audit_log(request: Request) -> HTTPResponse:
    """Admin actions, newest first (?actor=&action=&since=&limit=&offset=)."""
    _, _, _, audit = _services(request)
    page = await audit.audit_page(
        limit=int_arg(request, "limit", 50, 1, 500),
        offset=int_arg(request, "offset", 0, 0, 10_000_000),
        actor=request.args.get("actor"),
        action=request.args.get("action"),
        since=timestamp_arg(request, "since"),
    )
    return json_response(page)


@bp.get("/security-log")
@access(ADMIN)
async def security_log(request: Request) -> HTTPResponse:
    """Auth failures and rate-limit hits, newest first (?event=&since=&limit=&offset=)."""
    _, _, _, audit = _services(request)
    page = await audit.security_page(
        limit=int_arg(request, "limit", 50, 1, 500),
        offset=int_arg(request, "offset", 0, 0, 10_000_000),
        event=request.args.get("event"),
        since=timestamp_arg(request, "since"),
    )
    return json_response(page)


# -- wiring ----------------------------------------------------------------------------------------


_INLINE = re.compile(rb"<(script|style)(?![^>]*\bsrc=)[^>]*>(.*?)</\1\s*>", re.S | re.I)


def html_csp(body: bytes, *, style_attributes: bool = False) -> str:
    """A strict CSP for an HTML page: scripts and styles from this origin, plus the page's own
    inline ``<script>``/``<style>`` blocks by SHA-256 (a changed block stops running).
    ``style_attributes``: also inline styles (Swagger UI on /docs writes style attributes; a style
    cannot run code, scripts stay hash-only)."""
    hashes: dict[bytes, list[str]] = {b"script": [], b"style": []}
    for kind, content in _INLINE.findall(body):
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        hashes[kind.lower()].append(f"'sha256-{digest}'")
    scripts = " ".join(["'self'", *hashes[b"script"]])
    styles = "'self' 'unsafe-inline'" if style_attributes else " ".join(["'self'", *hashes[b"style"]])
    return (
        f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    )
