"""Rate limits: sliding windows counted in the live cache (diskcache, or Redis in scale-out), so
every worker shares them. A refused call gets ``429`` with ``Retry-After``; the call that goes over
is written to ``security_logs`` (the refused ones after it are not).

A limit of N per minute holds over *any* minute, not only within a clock minute: each clock window
keeps its own counter, and a call counts this window's calls plus the previous window's, weighed
by the share of it still inside the minute that ends now (the "sliding window counter"). With fixed
windows alone, N calls at hh:mm:59 and N more at hh:mm+1:00 all passed: 2N in two seconds.

Buckets: ``ip`` (every public /v1 call per IP), ``new_session`` (per IP), ``message`` (per
session), ``events`` (widget analytics per session or IP), ``uploads`` (per user or IP),
``login`` (per IP) plus a login back-off per IP and username after repeated failures.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sanic import Request

from nura_appliance.auth.audit import AuditService, client_ip
from nura_appliance.auth.customer import verify_customer
from nura_appliance.errors import NuraError, RateLimited
from nura_appliance.http import json_body
from nura_appliance.languages import LANGS
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Cache, SlidingCount

MESSAGES = {
    "rate_limited": {
        "ar": "طلبات كثيرة جدًا. يرجى الانتظار قليلًا ثم المحاولة مرة أخرى.",
        "ckb": "داواکاریی زۆر نێردراون. تکایە کەمێک چاوەڕێ بکە و دووبارە هەوڵ بدەرەوە.",
        "ku": "Gelek daxwaz hatin şandin. Ji kerema xwe hinekî bisekine û dîsa biceribîne.",
        "en": "Too many requests. Please wait a moment and try again.",
    },
    "login_locked": {
        "ar": "محاولات دخول فاشلة كثيرة. يرجى الانتظار قبل المحاولة مرة أخرى.",
        "ckb": "هەوڵی چوونەژوورەوەی شکستخواردوو زۆر بوون. تکایە پێش ئەوەی دووبارە هەوڵ بدەیتەوە کەمێک چاوەڕێ بکە.",
        "ku": "Gelek hewldanên têketinê yên têkçûyî. Ji kerema xwe berî ku dîsa biceribînî bisekine.",
        "en": "Too many failed sign-in attempts. Please wait before trying again.",
    },
}
_LOGIN_WINDOW = 900.0
_LOGIN_MAX_LOCK = 900.0


def request_lang(request: Request, hint: str | None, default: str) -> str:
    """The language to refuse in: the message's, the query's, the browser's, else the default."""
    if hint in LANGS:
        return str(hint)
    query = request.args.get("lang")
    if query in LANGS:
        return str(query)
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower().split("-")[0]
        if tag in LANGS:
            return tag
        if tag == "kmr":  # ISO 639-3 for Kurmanji
            return "ku"
    return default


class LocalWindows:
    """Window counters in this process's memory, for a cache no other process serves HTTP
    from (the SQLite appliance is one process). Counting in diskcache cost two thread hops and
    two SQLite write transactions per customer message; here it is a dict update. Counts start
    again after a restart, which only ever lets a client through, never locks it out."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._counts: dict[str, list[float]] = {}  # key → [count, expires at], oldest first
        self._next_sweep = 0.0
        self._max_keys = max(1, max_keys)

    def incr(self, key: str, ttl: float, now: float) -> int:
        if now >= self._next_sweep:  # drop ended windows, at most once a second
            self._sweep(now)
        entry = self._counts.get(key)
        if entry is None or entry[1] <= now:
            if entry is None and len(self._counts) >= self._max_keys:
                self._make_room(now)
            entry = self._counts[key] = [0, now + ttl]
        entry[0] += 1
        return int(entry[0])

    def count(self, key: str, now: float) -> int:
        """The count of ``key`` now (0 when absent or its window ended)."""
        entry = self._counts.get(key)
        return int(entry[0]) if entry is not None and entry[1] > now else 0

    def incr_until(self, counters: list[SlidingCount], ttl: float, now: float) -> list[tuple[int, int]]:
        """``Cache.incr_until`` in memory: each counter's count and its previous window's, in order,
        up to the first over its limit."""
        counts: list[tuple[int, int]] = []
        for counter in counters:
            count, previous = self.incr(counter.key, ttl, now), self.count(counter.previous, now)
            counts.append((count, previous))
            if count + previous * counter.weight > counter.limit:
                break
        return counts

    def keys(self) -> set[str]:
        """The keys of the windows held now (ended ones go at the next ``incr``, at most once a second)."""
        return set(self._counts)

    def _sweep(self, now: float) -> None:
        self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        self._next_sweep = now + 1.0

    def _make_room(self, now: float) -> None:
        """At ``max_keys``: drop the ended windows, and when every one is live (a flood of new keys),
        the oldest. A dropped counter starts again at 0, which lets a client through, never locks one
        out; the memory stays bounded whatever the number of keys."""
        self._sweep(now)
        while len(self._counts) >= self._max_keys:
            del self._counts[next(iter(self._counts))]


@dataclass(frozen=True, slots=True)
class SlidingWindow:
    """The sliding window of ``window`` seconds that ends at ``now``: the clock window ``slot`` it
    falls in, and ``weight``, the share of the previous clock window still inside it (1 at this
    window's start, 0 at its end). One place for the arithmetic of every limiter here."""

    now: float
    window: int
    slot: int
    weight: float

    @classmethod
    def at(cls, now: float, window_seconds: float) -> SlidingWindow:
        window = max(1, int(window_seconds))
        slot = int(now // window)
        return cls(now, window, slot, 1.0 - (now - slot * window) / window)

    @property
    def ttl(self) -> float:
        """How long a window's counter lives: it is read as the previous one all through the next."""
        return 2 * self.window + 5

    def counter(self, name: str, limit: int) -> SlidingCount:
        """The counter of ``name`` in this window, with its previous window's, against ``limit``."""
        return SlidingCount(f"{name}:{self.slot}", f"{name}:{self.slot - 1}", self.weight, limit)

    def used(self, count: int, previous: int) -> float:
        """The calls inside the sliding window: this window's plus the previous one's weighed."""
        return count + previous * self.weight

    def retry_after(self, count: int, previous: int, limit: int) -> int:
        return sliding_retry_after(count, previous, limit, self.window, self.now)


def sliding_retry_after(count: int, previous: int, limit: int, window: int, now: float) -> int:
    """Whole seconds until one more call would pass, if none came before it: later in this window,
    once the previous window's weighed count has shrunk enough, else in the next one, once this
    window's ``count`` (which becomes the previous) has."""
    start = now // window * window
    if count + 1 <= limit and previous > 0:  # room in this window once enough of the previous is out
        at = start + window * (1.0 - (limit - count - 1) / previous)
    else:  # next window: 1 + count × (1 − share) ≤ limit
        share = 1.0 - (limit - 1) / count if count > 0 and limit >= 1 else 1.0
        at = start + window + window * max(0.0, share)
    return max(1, math.ceil(at - now))


@dataclass(frozen=True, slots=True)
class Hit:
    """One count of :meth:`RateLimiter.hit_each`: ``bucket``/``key`` against ``limit`` per window;
    ``lang`` (a hint) for the refusal's text."""

    bucket: str
    key: str
    limit: int
    lang: str | None = None


class RateLimiter:
    """``ctx.limits``. ``local``: count the request buckets in this process (see
    :class:`LocalWindows`); otherwise in the shared cache (Redis when several workers serve)."""

    def __init__(
        self,
        settings: Settings,
        cache: Cache,
        audit: AuditService,
        *,
        local: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.audit = audit
        self.local = LocalWindows() if local else None
        # The windows' clock (epoch seconds): a test sets one that cannot cross a window's edge
        # mid-test (tests/conftest.py, ``start_app``), as the breaker's and the sessions' clocks.
        self.clock = clock

    async def hit(
        self, request: Request, bucket: str, key: str, limit: int, window_seconds: int, *, lang: str | None = None
    ) -> int:
        """Count one call against ``bucket``/``key``; raise :class:`RateLimited` over ``limit``."""
        return (await self.hit_each(request, [Hit(bucket, key, limit, lang)], window_seconds))[0]

    async def hit_each(self, request: Request, hits: list[Hit], window_seconds: int) -> list[int]:
        """Count one call against each hit's bucket and key, in order, in one cache call (one round
        trip on Redis); the first over its limit raises :class:`RateLimited` for its bucket and the
        later ones are not counted — as ``hit`` one after the other would. Returns the counts."""
        sliding = SlidingWindow.at(self.clock(), window_seconds)
        counters = [sliding.counter(f"rl:{h.bucket}:{h.key}", h.limit) for h in hits]
        if self.local is not None:
            counts = self.local.incr_until(counters, sliding.ttl, sliding.now)
        else:
            counts = await self.cache.incr_until(counters, sliding.ttl)
        for hit, (count, previous) in zip(hits, counts, strict=False):
            used = sliding.used(count, previous)
            if used <= hit.limit:
                continue
            if used - 1 <= hit.limit:  # this call went over; the refused ones after it are not logged
                detail = {"bucket": hit.bucket, "limit": hit.limit, "window_seconds": sliding.window}
                await self.audit.security("rate_limited", request, detail=detail)
            retry_after = sliding.retry_after(count, previous, hit.limit)
            raise self._refusal("rate_limited", request, retry_after, hit.lang, hit.bucket)
        return [count for count, _previous in counts]

    def _refusal(self, kind: str, request: Request, retry_after: int, lang: str | None, bucket: str) -> RateLimited:
        chosen = request_lang(request, lang, self.settings.default_lang)
        exc = RateLimited(MESSAGES[kind][chosen], retry_after)
        exc.details = {"bucket": bucket, "retry_after": retry_after, "lang": chosen}
        if kind == "login_locked":
            exc.code = "login_locked"
        return exc

    # -- the public API, per IP ---------------------------------------------------------------
    def _ip_hit(self, request: Request) -> Hit:
        return Hit("ip", client_ip(request), self.settings.rate_limit_ip_per_minute)

    async def check_public(self, request: Request) -> None:
        await self.hit_each(request, [self._ip_hit(request)], 60)

    async def check_message(self, request: Request, incoming: Any, *, with_ip: bool = False) -> None:
        """Limits for ``POST /v1/message`` plus verified customer identity (see customer.py).
        ``with_ip``: the route counts the request's per-IP limit here, first, in the same cache call
        (``MESSAGE_PATH`` is left out of the middleware's count; see ``conversation/routes.py``)."""
        if incoming.session_id is None:
            own = Hit(
                "new_session", client_ip(request), self.settings.rate_limit_new_sessions_per_minute, incoming.lang_hint
            )
        else:
            own = Hit("message", incoming.session_id, self.settings.rate_limit_messages_per_minute, incoming.lang_hint)
        await self.hit_each(request, [self._ip_hit(request), own] if with_ip else [own], 60)
        if incoming.customer_id and self.settings.customer_hmac_secret:
            try:
                body = json_body(request)  # parsed by the route already (cached on the request)
            except NuraError:
                body = None
            body = body if isinstance(body, dict) else {}
            trusted = verify_customer(self.settings, incoming.customer_id, body.get("customer_signature"))
            if trusted is None:
                await self.audit.security("customer_unverified", request, detail={"customer_id": incoming.customer_id})
            incoming.customer_id = trusted
            if trusted is not None and incoming.session_id is None:
                # Per verified customer: the fine-grained budget behind a shared (carrier NAT) address.
                await self.hit(
                    request,
                    "new_session_customer",
                    trusted,
                    self.settings.rate_limit_new_sessions_per_customer_per_minute,
                    60,
                    lang=incoming.lang_hint,
                )

    async def check_event(self, request: Request, session_id: str | None = None) -> None:
        """Widget analytics events, per session when known, else per IP."""
        key = f"s:{session_id}" if session_id else f"ip:{client_ip(request)}"
        await self.hit(request, "events", key, self.settings.rate_limit_events_per_minute, 60)

    async def check_upload(self, request: Request) -> None:
        """File uploads, per signed-in user, else per IP."""
        principal = getattr(request.ctx, "principal", None)
        key = f"u:{principal.username}" if principal is not None else f"ip:{client_ip(request)}"
        await self.hit(request, "uploads", key, self.settings.rate_limit_uploads_per_minute, 60)

    # -- login back-off -----------------------------------------------------------------------
    def _login_key(self, request: Request, username: str) -> str:
        return f"{client_ip(request)}:{username.casefold()[:64]}"

    async def before_login(self, request: Request, username: str) -> None:
        """Per-IP login rate, then the back-off lock of this IP and username, if any."""
        await self.hit(request, "login", client_ip(request), self.settings.rate_limit_login_per_minute, 60)
        locked_until = await self.cache.get(f"login:lock:{self._login_key(request, username)}")
        if locked_until and locked_until > time.time():
            retry_after = max(1, int(locked_until - time.time() + 0.999))
            await self.audit.security(
                "login_locked", request, username=username[:64], detail={"retry_after": retry_after}
            )
            raise self._refusal("login_locked", request, retry_after, None, "login_backoff")

    async def login_failed(self, request: Request, username: str) -> None:
        """Count a failure; from the Nth on, lock this IP and username for 2, 4, 8 … s (max 15 min)."""
        key = self._login_key(request, username)
        failures = await self.cache.incr(f"login:fail:{key}", _LOGIN_WINDOW)
        await self.audit.security("login_failed", request, username=username[:64], detail={"failures": failures})
        threshold = self.settings.login_backoff_after_failures
        if failures >= threshold:
            lock = min(_LOGIN_MAX_LOCK, 2.0 ** (failures - threshold + 1))
            await self.cache.set(f"login:lock:{key}", time.time() + lock, ttl=lock + 1)

    async def login_succeeded(self, request: Request, username: str) -> None:
        key = self._login_key(request, username)
        await self.cache.delete(f"login:fail:{key}")
        await self.cache.delete(f"login:lock:{key}")
