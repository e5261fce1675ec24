"""The audit log (who changed what, when) and the security log (auth failures, rate-limit hits).

Both scrub their ``detail`` before writing: any key that names a secret (password, token, key,
secret, signature, authorization) is replaced, so secrets and tokens never reach the logs.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sanic import Request

from nura_appliance.auth.store import LogStore

log = logging.getLogger("nura.security")
_SECRET_KEY = re.compile(r"pass|token|secret|key|signature|authorization|cookie|hash", re.IGNORECASE)
_MAX_TEXT = 500


def scrub(detail: Any, depth: int = 0) -> Any:
    """A copy of ``detail`` with secret-looking keys masked and long strings cut."""
    if depth > 4:
        return "…"
    if isinstance(detail, dict):
        return {
            str(k): ("[redacted]" if _SECRET_KEY.search(str(k)) else scrub(v, depth + 1))
            for k, v in list(detail.items())[:50]
        }
    if isinstance(detail, list | tuple):
        return [scrub(v, depth + 1) for v in list(detail)[:50]]
    if isinstance(detail, str) and len(detail) > _MAX_TEXT:
        return detail[:_MAX_TEXT] + "…"
    return detail


def client_ip(request: Request) -> str:
    """The caller's address: the proxy-reported one when Sanic's proxy settings allow it."""
    return request.remote_addr or request.ip or "unknown"


class AuditService:
    """``ctx.services["audit"]``: record admin actions and security events."""

    def __init__(self, store: LogStore) -> None:
        self.store = store

    async def record(
        self, actor: str, action: str, target: str | None = None, detail: dict[str, Any] | None = None
    ) -> None:
        """Append one admin action, e.g. ``record("amal", "user.create", "omar", {"role": "agent"})``."""
        await self.store.add_audit(actor, action, target, scrub(detail) if detail else None)

    async def security(
        self,
        event: str,
        request: Request | None = None,
        *,
        username: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one security event (``login_failed``, ``rate_limited``, ``token_rejected``, …)."""
        ip = client_ip(request) if request is not None else None
        path = request.path if request is not None else None
        log.info("security event %s ip=%s user=%s path=%s", event, ip, username, path)
        await self.store.add_security(event, ip, username, path, scrub(detail) if detail else None)

    async def audit_page(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        actor: str | None = None,
        action: str | None = None,
        since: float | None = None,
    ) -> dict[str, Any]:
        rows, total = await self.store.audit(limit, offset, actor, action, since)
        return {"entries": rows, "total": total}

    async def security_page(
        self, *, limit: int = 50, offset: int = 0, event: str | None = None, since: float | None = None
    ) -> dict[str, Any]:
        rows, total = await self.store.security(limit, offset, event, since)
        return {"entries": rows, "total": total}
