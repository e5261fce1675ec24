"""The access table, proved by walking every registered route of the app with ALL features:
anonymous and wrong-role calls get 401/403 on every non-public route, a customer's session
token opens only its own session, and a route without a rule stops the app from starting."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from auth_helpers import bearer, staff_tokens
from conftest import make_settings, new_session, start_app, stop_app
from sanic import Sanic
from sanic.response import json as json_response

from nura_appliance.app import FEATURES, create_app
from nura_appliance.auth.access import ADMIN, AGENT, PUBLIC, ROLE_RANK, SESSION, VIEWER, level_of

_PARAM = re.compile(r"<([^>:]+)(?::([^>]+))?>")
STAFF = (VIEWER, AGENT, ADMIN)


@pytest.fixture
def settings(ready_data_dir):
    # The walk makes a few hundred calls from one IP; the per-IP limit is tested elsewhere.
    return make_settings(ready_data_dir, RATE_LIMIT_IP_PER_MINUTE=100_000, RATE_LIMIT_NEW_SESSIONS_PER_MINUTE=1000)


def concrete_path(path: str, value: str) -> str:
    """A callable URL for a Sanic route pattern, every parameter filled with a plausible value."""

    def fill(match: re.Match[str]) -> str:
        kind = (match.group(2) or "str").strip()
        if kind == "int":
            return "1"
        if kind == "float":
            return "1.5"
        if kind == "uuid":
            return str(uuid.uuid4())
        if kind.startswith("ext"):
            wanted = kind.partition("=")[2].split("|")[0] or "csv"
            return f"x.{wanted}"
        if kind in ("alpha", "slug"):
            return "abc"
        return value

    return "/" + _PARAM.sub(fill, path.lstrip("/"))


def walked_routes(app: Sanic) -> list[tuple[str, str, str]]:
    """(method, path pattern, level) for every route and method except preflight."""
    out = []
    for route in app.router.routes:
        level = level_of(route.handler)
        for method in sorted(route.methods):
            if method != "OPTIONS":
                out.append((method, route.path, level))
    return out


async def call(client: Any, method: str, path: str, headers: dict[str, str], body: dict[str, Any] | None = None):
    kwargs: dict[str, Any] = {"headers": headers}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = body or {}
    return await client.request(method, path, timeout=10, **kwargs)


async def test_every_route_declares_a_level_and_refuses_the_wrong_callers(app, client):
    routes = walked_routes(app)
    assert all(level is not None for _, _, level in routes), "start-up would have refused this app"
    tokens = await staff_tokens(app, client)
    session_a = await new_session(client, "مرحبا")
    session_b = await new_session(client, "hello")
    checked = {"staff": 0, "session": 0}

    for method, pattern, level in routes:
        if level == PUBLIC:
            continue
        if level in STAFF:
            path = concrete_path(pattern, "no-such-thing")
            for label, headers in (
                ("anonymous", {}),
                ("garbage token", bearer("not-a-token")),
                ("customer session token", {"X-Session-Token": session_a["session_token"]}),
            ):
                resp = await call(client, method, path, headers)
                assert resp.status_code == 401, f"{label} {method} {path} ({level}) -> {resp.status_code}"
                if method != "HEAD":
                    assert resp.json()["error"]["code"] == "unauthorized"
            for role, token in tokens.items():
                if ROLE_RANK[role] < ROLE_RANK[level]:
                    resp = await call(client, method, path, bearer(token))
                    assert resp.status_code == 403, f"{role} {method} {path} ({level}) -> {resp.status_code}"
            checked["staff"] += 1
        elif level == SESSION:
            # Session B's resource, called without a token and with session A's token.
            path = concrete_path(pattern, session_b["session_id"])
            # A body that passes the contract shapes of the customer routes (typing, rating,
            # feedback, hand-off), so that what is tested is the access decision, not validation.
            body = {
                "session_id": session_b["session_id"],
                "sender": "customer",
                "text": "hi",
                "score": 5,
                "message_id": 1,
                "value": "up",
                "message": "hi",
                "customer_id": "cust-1",
                "channel": "web",
                "reason": "button",
                "lang": "en",
            }
            resp = await call(client, method, path, {}, body)
            assert resp.status_code == 401, f"anonymous {method} {path} (session) -> {resp.status_code}"
            resp = await call(client, method, path, {"X-Session-Token": session_a["session_token"]}, body)
            assert resp.status_code == 403, f"A's token on B: {method} {path} -> {resp.status_code} {resp.text[:200]}"
            checked["session"] += 1
        else:
            pytest.fail(f"{method} {pattern} has an unknown level {level!r}")
    assert checked["staff"] >= 8 and checked["session"] >= 2, checked


async def test_the_right_roles_get_past_the_guard(app, client):
    """The guard is not simply closed: each role reaches the routes of its level and below."""
    tokens = await staff_tokens(app, client)
    for role, expected in (("viewer", 200), ("agent", 200), ("admin", 200)):
        resp = await client.get("/v1/auth/me", headers=bearer(tokens[role]))
        assert resp.status_code == expected and resp.json()["role"] == role
    assert (await client.get("/v1/users", headers=bearer(tokens["admin"]))).status_code == 200
    assert (await client.get("/v1/users", headers=bearer(tokens["agent"]))).status_code == 403


async def test_a_session_token_opens_only_its_own_session(client):
    a = await new_session(client, "مرحبا")
    b = await new_session(client, "hello")
    own = await client.get(f"/v1/session/{a['session_id']}/messages", headers={"X-Session-Token": a["session_token"]})
    assert own.status_code == 200 and len(own.json()["messages"]) == 2
    for url in (f"/v1/session/{b['session_id']}/messages", f"/v1/session/{b['session_id']}"):
        stolen = await client.get(url, headers={"X-Session-Token": a["session_token"]})
        assert stolen.status_code == 403, stolen.text
        assert stolen.json()["error"]["code"] == "session_token_invalid"
        by_query = await client.get(url, params={"session_token": a["session_token"]})
        assert by_query.status_code == 403
    # Writing into B with A's token is refused too, and B's transcript is unchanged.
    hijack = await client.post(
        "/v1/message", json={"session_id": b["session_id"], "message": "show me", "session_token": a["session_token"]}
    )
    assert hijack.status_code == 403
    after = await client.get(f"/v1/session/{b['session_id']}/messages", headers={"X-Session-Token": b["session_token"]})
    assert [m["text"] for m in after.json()["messages"] if m["role"] == "customer"] == ["hello"]


async def test_a_route_without_a_rule_stops_start_up(settings):
    app = create_app(settings, features=FEATURES)

    @app.get("/v1/forgotten")
    async def forgotten(request):  # no @access: the table is incomplete
        return json_response({})

    with pytest.raises(RuntimeError, match="/?v1/forgotten"):
        await start_app(app)
    await stop_app(app)
