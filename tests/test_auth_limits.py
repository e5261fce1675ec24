"""Rate limits: login back-off, per-IP and per-session limits on the public API, 429 with
Retry-After, and one security-log row per refusal window."""

from __future__ import annotations

import pytest
from auth_helpers import PASSWORDS, bearer, make_user, staff_tokens
from conftest import initialised_copy, make_settings, new_session


@pytest.fixture
def settings(ready_data_dir):
    return make_settings(
        ready_data_dir,
        RATE_LIMIT_LOGIN_PER_MINUTE=50,
        LOGIN_BACKOFF_AFTER_FAILURES=3,
        RATE_LIMIT_NEW_SESSIONS_PER_MINUTE=3,
        RATE_LIMIT_MESSAGES_PER_MINUTE=4,
        RATE_LIMIT_EVENTS_PER_MINUTE=5,
        RATE_LIMIT_IP_PER_MINUTE=1000,
    )


async def _security_events(app) -> list[dict]:
    page = await app.ctx.nura.audit.security_page(limit=500)
    return page["entries"]


async def test_failed_logins_lock_out_that_username_from_that_ip_with_backoff(app, client):
    await make_user(app, "amal", "admin")
    for _ in range(3):
        resp = await client.post("/v1/auth/login", json={"username": "amal", "password": "wrong-guess-123"})
        assert resp.status_code == 401
    # Locked now: even the right password is refused until the back-off passes.
    locked = await client.post("/v1/auth/login", json={"username": "amal", "password": PASSWORDS["admin"]})
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "login_locked"
    assert 1 <= int(locked.headers["retry-after"]) <= 2
    # Another username from the same IP is not affected.
    await make_user(app, "omar", "agent")
    ok = await client.post("/v1/auth/login", json={"username": "omar", "password": PASSWORDS["agent"]})
    assert ok.status_code == 200
    events = [e["event"] for e in await _security_events(app)]
    assert events.count("login_failed") == 3 and "login_locked" in events


async def test_the_lock_doubles_with_each_further_failure(app, client):
    limits = app.ctx.nura.limits
    cache = app.ctx.nura.cache
    await make_user(app, "amal", "admin")

    class FakeRequest:  # only what the limiter reads
        remote_addr = ""
        ip = "10.0.0.9"
        path = "/v1/auth/login"
        headers: dict = {}
        args: dict = {}

    import time

    request = FakeRequest()
    waits = []
    for _ in range(5):
        await limits.login_failed(request, "amal")
        until = await cache.get("login:lock:10.0.0.9:amal")
        waits.append(round(until - time.time()) if until else 0)
    assert waits[:2] == [0, 0] and waits[2] >= 1 and waits[3] >= 2 * waits[2] - 1 and waits[4] >= 2 * waits[3] - 1


async def test_a_successful_login_resets_the_failure_count(app, client):
    await make_user(app, "amal", "admin")
    for _ in range(2):
        await client.post("/v1/auth/login", json={"username": "amal", "password": "wrong-guess-123"})
    assert (
        await client.post("/v1/auth/login", json={"username": "amal", "password": PASSWORDS["admin"]})
    ).status_code == 200
    for _ in range(2):
        assert (
            await client.post("/v1/auth/login", json={"username": "amal", "password": "wrong-guess-123"})
        ).status_code == 401
    assert (
        await client.post("/v1/auth/login", json={"username": "amal", "password": PASSWORDS["admin"]})
    ).status_code == 200


async def test_login_attempts_per_ip_are_capped(data_dir):
    import httpx
    from conftest import AppClient, start_app, stop_app

    from nura_appliance.app import create_app

    app = create_app(make_settings(initialised_copy(data_dir), RATE_LIMIT_LOGIN_PER_MINUTE=4))
    await start_app(app)
    try:
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 50000))
        async with AppClient(transport=transport, base_url="http://testserver") as client:
            codes = [
                (await client.post("/v1/auth/login", json={"username": f"user{i}", "password": "x"})).status_code
                for i in range(6)
            ]
            assert codes == [401, 401, 401, 401, 429, 429]
        events = await _security_events(app)
        limited = [e for e in events if e["event"] == "rate_limited"]
        assert len(limited) == 1 and limited[0]["ip"] == "198.51.100.7" and limited[0]["detail"]["bucket"] == "login"
    finally:
        await stop_app(app)


async def test_new_sessions_per_ip_are_capped_with_a_localized_429(client):
    for _ in range(3):
        await new_session(client, "hello")
    resp = await client.post("/v1/message", json={"session_id": None, "message": "مرحبا", "lang": "ar"})
    assert resp.status_code == 429
    assert int(resp.headers["retry-after"]) >= 1
    body = resp.json()["error"]
    assert body["code"] == "rate_limited" and body["details"]["bucket"] == "new_session"
    assert body["message"].startswith("طلبات")
    ku = await client.post("/v1/message", json={"session_id": None, "message": "silav", "lang": "ku"})
    assert ku.json()["error"]["message"].startswith("Gelek")


async def test_messages_per_session_are_capped_but_other_sessions_continue(client):
    first = await new_session(client, "hello")
    second = await new_session(client, "hi")
    ok = 1  # the message that created the session does not count against the per-session limit
    for _ in range(6):
        resp = await client.post(
            "/v1/message",
            json={"session_id": first["session_id"], "message": "prices?", "session_token": first["session_token"]},
        )
        if resp.status_code == 429:
            break
        assert resp.status_code == 200
        ok += 1
    assert resp.status_code == 429 and ok == 5
    other = await client.post(
        "/v1/message",
        json={"session_id": second["session_id"], "message": "prices?", "session_token": second["session_token"]},
    )
    assert other.status_code == 200


async def test_a_per_minute_limit_holds_across_the_clock_minute(app, client):
    """A sliding window: 4 messages at hh:mm:59 leave no room at hh:mm+1:01 (fixed windows let 4
    more through there: 8 in two seconds); Retry-After says when the previous minute's weighed
    count leaves room for one more, and one more passes then."""
    now = [1_800_000_000.0 + 59]  # 59 s into a clock minute (1.8e9 is a multiple of 60)
    app.ctx.nura.limits.clock = lambda: now[0]
    session = await new_session(client, "hello")
    body = {"session_id": session["session_id"], "message": "prices?", "session_token": session["session_token"]}
    assert [(await client.post("/v1/message", json=body)).status_code for _ in range(4)] == [200] * 4
    now[0] += 2  # hh:mm+1:01: a new clock minute, but the last minute held 4 calls
    refused = await client.post("/v1/message", json=body)
    assert refused.status_code == 429
    # 1 call here (the refused one counts) + 4 × the share of the last minute still inside: room for
    # one more when 2 + 4 × (1 − t/60) ≤ 4, at t = 30 s.
    assert int(refused.headers["retry-after"]) == 29
    now[0] += 29
    assert (await client.post("/v1/message", json=body)).status_code == 200


async def test_the_public_api_is_capped_per_ip_but_health_and_staff_are_not(data_dir):
    import httpx
    from conftest import AppClient, start_app, stop_app

    from nura_appliance.app import create_app

    app = create_app(make_settings(initialised_copy(data_dir), RATE_LIMIT_IP_PER_MINUTE=5))
    await start_app(app)
    try:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.5", 50000))
        async with AppClient(transport=transport, base_url="http://testserver") as client:
            codes = [(await client.get("/v1/topic-tree")).status_code for _ in range(7)]
            assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
            assert (await client.get("/v1/health")).status_code == 200
            tokens = await staff_tokens(app, client)
            for _ in range(8):
                assert (await client.get("/v1/auth/me", headers=bearer(tokens["viewer"]))).status_code == 200
    finally:
        await stop_app(app)


async def test_analytics_events_are_capped_per_session(app, client):
    routes = {r.path for r in app.router.routes}
    if "v1/analytics/click" not in routes:
        pytest.skip("the analytics feature is not installed in this build")
    session = await new_session(client, "hello")
    codes = []
    for _ in range(7):
        resp = await client.post(
            "/v1/analytics/click", json={"session_id": session["session_id"], "customer_id": "c1", "event_type": "open"}
        )
        codes.append(resp.status_code)
    assert 429 in codes and codes.index(429) == 5, codes
