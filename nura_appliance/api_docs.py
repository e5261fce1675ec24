"""The OpenAPI description of every route, completed from what the code already states.

sanic-ext documents a handler's docstring and path parameters. The rest comes from the access
table and the shared plumbing, so no route can be left half-described:

* **auth**: the route's access level (``auth/access.py``) → ``bearer`` (staff token or the API
  key) for viewer/agent/admin routes, ``sessionToken`` (``X-Session-Token``) for session routes,
  none for public ones; the level is also written into the description;
* **query parameters**: the ``?name=`` arguments the docstring lists (the convention every
  handler follows), as optional strings;
* **request body**: JSON object for POST/PUT/PATCH (the one JSON decoder, ``http.py``), or
  ``multipart/form-data`` with ``file`` parts for upload routes;
* **responses**: the success answer and the error envelope for 400/401/403/404/413/415/422/429.

``tests/test_api_docs.py`` fails on a route whose handler has no docstring or whose operation
misses any of these, and schemathesis walks the result.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from sanic import Sanic
from sanic_ext.extensions.openapi.builders import OperationStore, SpecificationBuilder

from nura_appliance.auth.access import ADMIN, AGENT, PUBLIC, SESSION, VIEWER, level_of

_QUERY = re.compile(r"[?&]([a-z_]{1,40})=")
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}
_OBJECT = {"type": "object", "additionalProperties": True}
_ERRORS = {
    400: "Malformed request (JSON, body shape)",
    404: "No such resource",
    413: "Body or file too large",
    415: "Unsupported media type",
    422: "A field or parameter is invalid (details.field names it)",
    429: "Rate limited (Retry-After)",
}
_AUTH_ERRORS = {401: "No or invalid credentials", 403: "The caller may not do this"}
_WRITE = ("POST", "PUT", "PATCH")
_SCHEMES = {"bearer", "sessionToken"}


def _is_upload(path: str, handler: Any) -> bool:
    doc = inspect.getdoc(handler) or ""
    return "upload" in path or "multipart" in doc


def document_routes(app: Sanic) -> None:
    """Complete the OpenAPI operation of every route (before sanic-ext builds the document)."""
    spec = SpecificationBuilder()
    spec.add_security_scheme(
        "bearer", "http", bearer_format="JWT", description="A staff access token (POST /v1/auth/login) or API_KEY"
    )
    spec.add_security_scheme(
        "sessionToken",
        "apiKey",
        location="header",
        name="X-Session-Token",
        description="The session_token returned with the session (also accepted as ?session_token=)",
    )
    store = OperationStore()
    for route in app.router.routes:
        if route.path.startswith("docs"):
            continue
        handler = route.handler
        level = level_of(handler)
        if level is None or not (route.methods - {"HEAD", "OPTIONS"}):
            continue
        if getattr(handler, "__nura_documented__", False):
            continue
        operation = store[handler]
        _document(operation, route, handler, level)
        try:
            handler.__nura_documented__ = True
        except (AttributeError, TypeError):
            pass


def _document(operation: Any, route: Any, handler: Any, level: str) -> None:
    doc = (inspect.getdoc(handler) or "").split("openapi:\n---")[0].strip()  # a few carry sanic-ext YAML
    summary = doc.split("\n\n")[0].replace("\n", " ").strip()
    who = {
        PUBLIC: "anyone",
        SESSION: "the customer holding this session's session_token",
        VIEWER: "staff: viewer, agent or admin",
        AGENT: "staff: agent or admin",
        ADMIN: "staff: admin",
    }[level]
    operation.describe(summary=summary[:120] or None, description=f"{doc}\n\nAccess: {level} ({who}).".strip())
    operation.disable_autodoc()  # our docstrings are prose, not sanic-ext's YAML
    if level in (VIEWER, AGENT, ADMIN):
        operation.secured("bearer")
    elif level == SESSION:
        operation.secured("sessionToken")
    path_names = {p.name for p in route.params.values()}
    for name in dict.fromkeys(_QUERY.findall(doc)):
        if name not in path_names:
            operation.parameter(name, str, "query", required=False)
    methods = route.methods - {"HEAD", "OPTIONS"}
    if methods & set(_WRITE):
        if _is_upload(route.path, handler):
            operation.body(
                {
                    "multipart/form-data": {
                        "type": "object",
                        "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                    }
                },
                required=True,
            )
        else:
            operation.body({"application/json": _OBJECT}, required=False)
    operation.response(200, {"application/json": _OBJECT}, "Success")
    errors = {**_ERRORS, **(_AUTH_ERRORS if level != PUBLIC else {})}
    for status, text in errors.items():
        operation.response(status, {"application/json": _ERROR}, text)


def check_documented(document: dict[str, Any]) -> list[str]:
    """What the OpenAPI ``document`` leaves out: ``METHOD path: missing …`` lines (empty if none)."""
    problems: list[str] = []
    for path, item in document.get("paths", {}).items():
        if path.startswith("/docs"):
            continue
        for method, operation in item.items():
            if method.upper() in ("HEAD", "OPTIONS") or not isinstance(operation, dict):
                continue
            missing = []
            description = operation.get("description") or ""
            if not operation.get("summary") or "Access:" not in description or description.startswith("Access:"):
                missing.append("a docstring")
            responses = operation.get("responses", {})
            if not any(str(code).startswith("2") for code in responses) or not any(
                str(code).startswith("4") for code in responses
            ):
                missing.append("responses")
            access = description.rsplit("Access: ", 1)[-1].split(" ", 1)[0]
            schemes = {name for entry in operation.get("security", []) for name in entry}
            if access != PUBLIC and not schemes & _SCHEMES:
                missing.append("auth")
            if method.upper() in _WRITE and "requestBody" not in operation:
                missing.append("request body")
            declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
            wanted = set(re.findall(r"{([^}]+)}", path))
            if wanted - declared:
                missing.append(f"path parameters {sorted(wanted - declared)}")
            if missing:
                problems.append(f"{method.upper()} {path}: missing {', '.join(missing)}")
    return problems
