"""A circuit breaker per provider, so that an outage costs one timeout, not one per message.

States: ``closed`` (use the provider), ``open`` (skip it until ``open_until``), and when the
cool-down has passed the service sends one background *probe* instead of customer traffic; a
successful probe closes the breaker, a failed one re-opens it with a doubled cool-down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from nura_appliance.ai.providers import ProviderError

_MAX_COOLDOWN = 600.0
_SOFT_FAILURES = 3  # non-tripping failures in a row (5xx, malformed bodies) that open the breaker


@dataclass
class BreakerState:
    state: str
    failures: int
    last_error: str | None
    last_kind: str | None
    open_until: float | None
    last_success_at: float | None
    last_failure_at: float | None


class CircuitBreaker:
    """Tracks one provider's health from real calls and probes."""

    def __init__(self, cooldown: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.base_cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened = 0  # consecutive openings, for the back-off
        self.open_until: float | None = None
        self.last_error: str | None = None
        self.last_kind: str | None = None
        self.last_success_at: float | None = None
        self.last_failure_at: float | None = None
        self.probing = False

    @property
    def is_open(self) -> bool:
        return self.open_until is not None

    def allows_traffic(self) -> bool:
        """Customer requests may use the provider only while the breaker is closed."""
        return self.open_until is None

    def probe_due(self) -> bool:
        """Open, cooled down, and no probe already running."""
        return self.open_until is not None and self.clock() >= self.open_until and not self.probing

    def record_success(self) -> None:
        self.failures = 0
        self.opened = 0
        self.open_until = None
        self.last_success_at = time.time()

    def record_failure(self, error: ProviderError) -> None:
        self.failures += 1
        self.last_error = str(error)
        self.last_kind = error.kind
        self.last_failure_at = time.time()
        if error.kind == "busy":
            return  # a full local queue is load, not an outage
        if error.trips or self.failures >= _SOFT_FAILURES or self.open_until is not None:
            self.opened += 1
            cooldown = min(_MAX_COOLDOWN, self.base_cooldown * 2 ** (self.opened - 1))
            if error.retry_after:
                cooldown = max(cooldown, min(_MAX_COOLDOWN, error.retry_after))
            self.open_until = self.clock() + cooldown

    def snapshot(self) -> BreakerState:
        if self.open_until is None:
            state = "closed"
        elif self.clock() >= self.open_until:
            state = "half_open"
        else:
            state = "open"
        remaining = None if self.open_until is None else max(0.0, self.open_until - self.clock())
        return BreakerState(
            state, self.failures, self.last_error, self.last_kind, remaining, self.last_success_at, self.last_failure_at
        )
