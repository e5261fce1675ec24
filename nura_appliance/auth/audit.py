"""The audit log (who changed what, when) and the security log (auth failures, rate-limit hits).

Both scrub their ``detail`` before writing: any key that names a secret (password, token, key,
secret, signature, authorization) is replaced, so secrets and tokens never reach the logs.
"""

from __future__ import annotations

import functools
import ipaddress
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
    """The caller's address, the key of every per-IP limit.

    The socket peer, unless the peer is one of ``TRUSTED_PROXIES``: then the right-most address in
    ``X-Forwarded-For`` that is not itself a trusted proxy (what the nearest untrusted hop said;
    addresses further left can be forged by the client). From any other peer the header is ignored,
    so a client cannot pick a fresh address per request to escape its limits."""
    holder = getattr(request, "ctx", None)
    cached = getattr(holder, "client_ip", None)
    if cached is not None:
        return str(cached)
    peer = request.ip or "unknown"
    nura = getattr(getattr(getattr(request, "app", None), "ctx", None), "nura", None)
    proxies = _proxy_networks(tuple(nura.settings.trusted_proxies) if nura is not None else ())
    address = peer
    if proxies and _in(peer, proxies):
        hops = [h.strip() for h in ",".join(request.headers.getall("x-forwarded-for", [])).split(",") if h.strip()]
        for hop in reversed(hops):
            if not _in(hop, proxies):
                address = hop if _valid(hop) else peer
                break
    if holder is not None:
        holder.client_ip = address
    return address


@functools.lru_cache(maxsize=8)
def _proxy_networks(items: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _in(address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


class AuditService:
    """``ctx.audit``: record admin actions and security events."""

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
