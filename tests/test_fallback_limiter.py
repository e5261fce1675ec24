"""The hand-off feature's in-process rate limiter (``handoff.customer.WindowLimiter``), used when the
auth feature's ``ctx.limits`` is absent: sliding windows (a limit of N holds over any minute, also
across a clock window's edge), the Retry-After it gives, its bounded memory, and its use by a
route of an app built without the auth feature."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import initialised_copy, make_settings, new_session, serving

from nura_appliance.app import FEATURES, create_app
from nura_appliance.errors import RateLimited
from nura_appliance.handoff.customer import WindowLimiter

T0 = 1_800_000_000.0  # a multiple of 60: the start of a clock minute
N = 5


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def passes(limiter: WindowLimiter, clock: Clock, at: float, key: str = "typing:s1") -> bool:
    clock.now = at
    try:
        limiter.hit(key, N, 60)
    except RateLimited:
        return False
    return True


def limiter_after_the_edge() -> tuple[WindowLimiter, Clock]:
    """One call at hh:mm:00 and N-1 at hh:mm:59, all passed. A fixed window that the first call
    opened (what the fallback did before) ended at hh:mm+1:00 and let N more through."""
    clock = Clock(T0)
    limiter = WindowLimiter(clock=clock)
    assert passes(limiter, clock, T0)
    assert all(passes(limiter, clock, T0 + 59) for _ in range(N - 1))
    return limiter, clock


def test_n_at_a_windows_end_and_n_at_the_next_ones_start_are_not_2n() -> None:
    limiter, clock = limiter_after_the_edge()
    assert [passes(limiter, clock, T0 + 60.5) for _ in range(N)] == [False] * N


def test_retry_after_names_the_first_second_one_more_call_passes() -> None:
    limiter, clock = limiter_after_the_edge()
    clock.now = T0 + 61
    with pytest.raises(RateLimited) as refused:
        limiter.hit("typing:s1", N, 60)
    # At hh:mm+1:01 the sliding minute holds 1 + 5 × 59/60 calls. One more passes once
    # 2 + 5 × (1 - s/60) ≤ 5, at s = 24 s into the minute: 23 s from now.
    assert refused.value.retry_after == 23

    early, early_clock = limiter_after_the_edge()  # the same history, asked a second sooner
    assert not passes(early, early_clock, T0 + 61)
    assert not passes(early, early_clock, T0 + 61 + 22)
    assert passes(limiter, clock, T0 + 61 + 23)
    assert not passes(limiter, clock, T0 + 61 + 23)  # and only one: the minute is full again


def test_other_keys_count_alone() -> None:
    limiter, clock = limiter_after_the_edge()
    assert passes(limiter, clock, T0 + 61, key="typing:s2")


def test_the_memory_is_bounded_by_max_keys_and_ended_windows_go() -> None:
    clock = Clock(T0)
    limiter = WindowLimiter(max_keys=3, clock=clock)
    for i in range(50):  # a flood of new keys within one window
        assert passes(limiter, clock, T0 + 1, key=f"new_session:10.0.0.{i}")
    assert len(limiter.keys()) == 3
    assert {k.split(":")[2] for k in limiter.keys()} == {"10.0.0.47", "10.0.0.48", "10.0.0.49"}
    assert passes(limiter, clock, T0 + 200, key="new_session:10.0.0.99")  # the others' windows ended
    assert {k.split(":")[2] for k in limiter.keys()} == {"10.0.0.99"}


async def test_a_route_of_an_app_without_the_auth_feature_uses_the_sliding_fallback(data_dir: Path) -> None:
    settings = make_settings(initialised_copy(data_dir), RATE_LIMIT_TYPING_PER_MINUTE=N)
    app = create_app(settings, features=tuple(f for f in FEATURES if f != "nura_appliance.auth.setup"))
    async with serving(app) as client:
        ctx = app.ctx.nura
        assert ctx.limits is None and ctx.handoff_limiter is not None
        started = await new_session(client, "مرحبا")
        clock = Clock(T0)
        ctx.handoff_limiter.clock = clock
        url = f"/v1/session/{started['session_id']}/typing"
        headers = {"x-session-token": started["session_token"]}

        async def typing(at: float) -> int:
            clock.now = at
            reply = await client.post(url, json={"sender": "customer", "text": "…"}, headers=headers)
            if reply.status_code == 429:
                assert reply.json()["error"]["code"] == "rate_limited"
                assert int(reply.headers["retry-after"]) == 23
            return reply.status_code

        assert [await typing(T0)] + [await typing(T0 + 59) for _ in range(N - 1)] == [200] * N
        assert await typing(T0 + 61) == 429
        assert await typing(T0 + 84) == 200
