"""Request/response plumbing shared by every feature: JSON bodies with limits, the error
envelope, request ids, slow-request logging, CORS. The access-table middleware is ``auth.access.setup_access``."""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from sanic import HTTPResponse, Request, Sanic
from sanic import json as json_response
from sanic.exceptions import SanicException

from nura_appliance.errors import BadRequest, NuraError, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from nura_appliance.errors import NotFound as NotFoundError
from nura_appliance.settings import Settings

# The start-up hooks' context and core-parts types. This core module does not name them: they are
# ``context.AppContext`` and ``context.CoreParts`` of the composition root, which sits above every
# feature that registers a hook and calls each hook with them (``app.start_context``). A hook is
# typed by its feature against the types it uses; core keeps no import of a higher layer.
ContextT = TypeVar("ContextT")
PartsT = TypeVar("PartsT")

log = logging.getLogger("nura.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Request ids: a random per-process prefix plus a counter. Unique across workers and restarts
# without a uuid4 (an os.urandom system call) on every request; ids are for tracing, not secrets.
_ID_PREFIX = uuid.uuid4().hex[:16]
_ID_COUNTER = itertools.count(1)


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return body


# The largest whole number any field or id may carry: SQLite and PostgreSQL store 64-bit integers,
# and a larger one raised OverflowError deep in a store (a 500) instead of a 4xx.
INT_MAX = 2**63 - 1
_NUMBER_DIGITS = 40  # longer number literals are refused before Python converts them
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _json_int(literal: str) -> int:
    if len(literal.lstrip("-")) > _NUMBER_DIGITS:
        raise _AbsurdNumber(literal)
    value = int(literal)
    if not -INT_MAX - 1 <= value <= INT_MAX:
        raise _AbsurdNumber(literal)
    return value


def _json_float(literal: str) -> float:
    if len(literal) > _NUMBER_DIGITS + 10:
        raise _AbsurdNumber(literal)
    value = float(literal)
    if value in (float("inf"), float("-inf")):
        raise _AbsurdNumber(literal)
    return value


def _json_constant(name: str) -> Any:
    raise _AbsurdNumber(name)  # NaN, Infinity, -Infinity are not JSON


class _AbsurdNumber(ValueError):
    pass


def _lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    return False


def parse_json_text(text: str) -> Any:
    """The one JSON decoder for request bodies: numbers within 64-bit integers and finite floats,
    no NaN/Infinity, no lone surrogates (``"\\ud800"`` decodes to a string UTF-8 cannot encode, so
    every store and export would fail on it). Raises :class:`BadRequest` or :class:`ValidationFailed`."""
    try:
        value = json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except _AbsurdNumber as exc:
        shown = str(exc)[:20] + ("…" if len(str(exc)) > 20 else "")
        raise ValidationFailed(
            f"the number {shown} is out of range (whole numbers up to {INT_MAX}, finite decimals)",
            code="invalid_number",
        ) from None
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", code="invalid_json"
        ) from None
    except RecursionError:
        raise BadRequest("the JSON is nested too deeply", code="invalid_json") from None
    if _ESCAPED_SURROGATE.search(text) and _lone_surrogate(value):
        raise ValidationFailed(
            "the body contains a lone surrogate (\\ud800–\\udfff without its pair), which is not text",
            code="invalid_characters",
        )
    return value


class CoreSite(Protocol):
    """What the core's request helpers read of the app context: its settings only (this module
    names no higher layer; ``context.py`` checks that the AppContext satisfies this)."""

    @property
    def settings(self) -> Settings: ...


def request_settings(request: Request) -> Settings:
    """The app's settings as a request handler or helper sees them (``request.app.ctx.nura``)."""
    site: CoreSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    return site.settings


def json_body(request: Request, *, required: bool = True) -> Any:
    """Parse the body as UTF-8 JSON within ``REQUEST_MAX_BYTES``; clear 4xx errors otherwise."""
    cached = getattr(request.ctx, "json_body", None)
    if cached is not None:
        return cached
    settings = request_settings(request)
    raw = request.body or b""
    if len(raw) > settings.request_max_bytes:
        raise PayloadTooLarge(f"the request body is larger than {settings.request_max_bytes} bytes")
    if not raw.strip():
        if required:
            raise BadRequest("a JSON body is required", code="missing_body")
        return {}
    ctype = (request.content_type or "").split(";")[0].strip().lower()
    if ctype and ctype not in ("application/json", "text/plain") and not ctype.endswith("+json"):
        raise UnsupportedMediaType("send the body as application/json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8", code="invalid_encoding") from None
    value = parse_json_text(text)
    request.ctx.json_body = value
    return value


def bounded_int(raw: Any, name: str, low: int = 1, high: int = INT_MAX) -> int:
    """``raw`` (a number, or its digits as text) as a whole number within ``[low, high]``; 422
    naming ``name`` otherwise. The one check for ids and counts from query strings, paths and
    bodies: a value a 64-bit column cannot hold is a client error, not a 500."""
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and 0 < len(raw.strip()) <= 20:
        try:
            value = int(raw.strip())
        except ValueError:
            value = None
    else:
        value = None
    if value is None:
        raise ValidationFailed(f"'{name}' must be a whole number", code="invalid_field", details={"field": name})
    if not low <= value <= high:
        raise ValidationFailed(
            f"'{name}' must be between {low} and {high}", code="invalid_field", details={"field": name}
        )
    return value


def json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    body = json_body(request, required=required)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object", code="invalid_body")
    return body


def session_token(request: Request) -> str | None:
    """The customer's session token from ``X-Session-Token`` or the ``session_token`` query."""
    return request.headers.get("x-session-token") or request.args.get("session_token")


def int_arg(request: Request, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query argument within ``[low, high]``; absent or empty gives ``default``."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    return bounded_int(raw, name, low, high)


def timestamp_arg(request: Request, name: str) -> float | None:
    """A UNIX-time query argument, or None when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationFailed(
            f"'{name}' must be a UNIX timestamp", code="invalid_field", details={"field": name}
        ) from None
    if value != value or abs(value) > 1e11:
        raise ValidationFailed(f"'{name}' must be a UNIX timestamp", code="invalid_field", details={"field": name})
    return value


def _cors_headers(request: Request, response: HTTPResponse) -> None:
    origin = request.headers.get("origin")
    if not origin:
        return
    allowed = request_settings(request).cors_origins
    if "*" in allowed:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    else:
        return
    response.headers["Access-Control-Expose-Headers"] = "X-Request-ID, Retry-After"


def on_context(app: Sanic, hook: Callable[[Sanic, ContextT], Awaitable[None]]) -> None:
    """Run ``hook(app, ctx)`` at start-up once the AppContext exists (features attach services)."""
    app.ctx.context_hooks.append(hook)


def before_core(app: Sanic, hook: Callable[[Sanic, ContextT, PartsT], Awaitable[None]]) -> None:
    """Run ``hook(app, ctx, parts)`` at start-up before the core objects (``ctx.pipeline``,
    ``ctx.conversations``) are built: for features whose services the core is built with; the
    hook puts its extension points in ``parts`` and must not touch the core objects."""
    app.ctx.core_hooks.append(hook)


def setup_http(app: Sanic) -> None:
    # Request middleware with a priority goes through ``app.middleware("request", priority=…)``, the
    # call ``app.on_request(priority=…)`` makes: Sanic types that form as a decorator (the other
    # as the middleware itself, which mypy cannot apply to a function).
    @app.middleware("request", priority=100)
    async def begin(request: Request) -> HTTPResponse | None:
        incoming = request.headers.get("x-request-id", "")
        request.ctx.request_id = incoming if _REQUEST_ID.match(incoming) else new_request_id()
        request.ctx.started = time.perf_counter()
        request.ctx.principal = None
        if request.method == "OPTIONS":
            response = HTTPResponse(status=204)
            _cors_headers(request, response)
            if "Access-Control-Allow-Origin" in response.headers:
                response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
                response.headers["Access-Control-Allow-Headers"] = (
                    "Content-Type, Authorization, X-Session-Token, X-Request-ID, Last-Event-ID"
                )
                response.headers["Access-Control-Max-Age"] = "600"
            return response
        return None

    # The access table's middleware (``auth.access.setup_access``) runs at priority 50, first.
    @app.middleware("request", priority=49)
    async def reject_out_of_range_ids(request: Request) -> None:
        for name, value in request.match_info.items():
            if isinstance(value, int) and not 1 <= value <= INT_MAX:  # <id:int> path parts: no such row
                raise NotFoundError(f"no {name.replace('_', ' ')} {value}", code="not_found")

    @app.on_response(priority=100)
    async def finish(request: Request, response: HTTPResponse) -> None:
        request_id = getattr(request.ctx, "request_id", None) or new_request_id()
        response.headers["X-Request-ID"] = request_id
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        _cors_headers(request, response)
        started = getattr(request.ctx, "started", None)
        if started is not None:
            elapsed_ms = (time.perf_counter() - started) * 1000
            request.ctx.elapsed_ms = elapsed_ms
            nura = getattr(request.app.ctx, "nura", None)
            threshold = nura.settings.slow_request_ms if nura else 500
            if elapsed_ms > threshold and not request.path.endswith("/stream"):
                log.warning(
                    "slow request %s %s %.0f ms status=%s id=%s",
                    request.method,
                    request.path,
                    elapsed_ms,
                    response.status,
                    request_id,
                )

    @app.exception(Exception)
    async def render_error(request: Request, exc: Exception) -> HTTPResponse:
        if isinstance(exc, NuraError):
            if exc.status >= 500:
                log.error("%s on %s %s: %s", exc.code, request.method, request.path, exc.message)
            return json_response(error_body(exc.code, exc.message, exc.details), status=exc.status, headers=exc.headers)
        if isinstance(exc, SanicException):
            status = getattr(exc, "status_code", 500) or 500
            code = {
                400: "bad_request",
                404: "not_found",
                405: "method_not_allowed",
                408: "request_timeout",
                413: "payload_too_large",
                416: "range_not_satisfiable",
            }.get(status, "http_error")
            message = str(exc) if status < 500 else "internal error"
            return json_response(
                error_body(code, message or code), status=status, headers=getattr(exc, "headers", None) or {}
            )
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_response(error_body("internal_error", "internal error; see the server log"), status=500)
