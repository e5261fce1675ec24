"""The message API on the default knowledge: round trips, sessions, token-protected reads."""

from __future__ import annotations

import pytest
from conftest import initialised_copy, make_settings, new_session, start_app, stop_app

from nura_appliance.app import create_app


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ما هي الباقات المتاحة؟", "ar"),
        ("Pakêtên we yên înternetê çi ne û bihayê wan çend e?", "ku"),
        ("What packages do you offer and how much do they cost?", "en"),
    ],
)
async def test_message_round_trip_in_each_language(client, text, lang):
    answer = await new_session(client, text)
    assert answer["lang"] == lang
    assert answer["source"] in ("article", "rules", "rag")
    assert answer["article_id"] == "packages-prices"
    assert answer["response"].strip()
    assert 0 <= answer["confidence"] <= 1
    assert answer["sources"] and answer["sources"][0]["id"] == "packages-prices"
    assert answer["status"] == "bot" and answer["escalated"] is False
    assert answer["channel"] == "web" and answer["message_id"] > 0


async def test_seed_example_shape(client):
    """The original NURA's curl example keeps its response keys."""
    answer = await new_session(client, "ما هي الباقات المتاحة؟")
    for key in (
        "session_id",
        "response",
        "channel",
        "escalated",
        "confidence",
        "source",
        "session_token",
        "article_id",
        "sources",
        "lang",
        "message_id",
    ):
        assert key in answer


async def test_session_continues_with_its_token(client):
    first = await new_session(client, "مرحبا")
    assert first["kind"] == "rule"
    resp = await client.post(
        "/v1/message",
        json={
            "session_id": first["session_id"],
            "session_token": first["session_token"],
            "message": "كيف اشحن رصيدي بكارت؟",
        },
    )
    assert resp.status_code == 200
    second = resp.json()
    assert second["session_id"] == first["session_id"]
    assert second["new_session"] is False
    resp = await client.get(
        f"/v1/session/{first['session_id']}/messages", headers={"X-Session-Token": first["session_token"]}
    )
    messages = resp.json()["messages"]
    assert [m["role"] for m in messages] == ["customer", "bot", "customer", "bot"]
    assert messages[2]["text"] == "كيف اشحن رصيدي بكارت؟"
    # ?after= returns only newer messages
    resp = await client.get(
        f"/v1/session/{first['session_id']}/messages",
        params={"session_token": first["session_token"], "after": messages[1]["id"]},
    )
    assert [m["id"] for m in resp.json()["messages"]] == [messages[2]["id"], messages[3]["id"]]


async def test_session_token_header_works_for_posting(client):
    first = await new_session(client, "مرحبا")
    resp = await client.post(
        "/v1/message",
        headers={"X-Session-Token": first["session_token"]},
        json={"session_id": first["session_id"], "message": "شكرا"},
    )
    assert resp.status_code == 200


async def test_session_reads_need_the_right_token(client):
    a = await new_session(client, "مرحبا")
    b = await new_session(client, "hello")
    path = f"/v1/session/{a['session_id']}"
    assert (await client.get(path)).status_code == 401
    assert (await client.get(f"{path}/messages")).status_code == 401
    wrong = await client.get(path, headers={"X-Session-Token": b["session_token"]})
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "session_token_invalid"
    ok = await client.get(path, headers={"X-Session-Token": a["session_token"]})
    assert ok.status_code == 200
    body = ok.json()
    assert body["session_id"] == a["session_id"] and "token_hash" not in body


async def test_posting_to_a_session_needs_its_token(client):
    a = await new_session(client, "مرحبا")
    b = await new_session(client, "hello")
    no_token = await client.post("/v1/message", json={"session_id": a["session_id"], "message": "hi"})
    assert no_token.status_code == 401
    foreign = await client.post(
        "/v1/message", json={"session_id": a["session_id"], "session_token": b["session_token"], "message": "hi"}
    )
    assert foreign.status_code == 403
    unknown = await client.post(
        "/v1/message", json={"session_id": "no-such-session", "session_token": b["session_token"], "message": "hi"}
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "session_not_found"


async def test_out_of_scope_gets_scope_message_not_an_article(client):
    answer = await new_session(client, "who is the president of France?")
    assert answer["kind"] == "out_of_scope"
    assert answer["article_id"] is None
    assert answer["lang"] == "en"


async def test_explicit_request_for_a_person_hands_off(client):
    answer = await new_session(client, "اريد اكلم موظف خدمة العملاء")
    assert answer["escalated"] is True
    assert answer["status"] == "pending_handoff"
    assert answer["handoff_reason"]


async def test_durable_restore_after_cache_is_cleared(client, app):
    first = await new_session(client, "مرحبا")
    sessions = app.ctx.nura.sessions
    assert await sessions.cached(first["session_id"]) is not None
    await sessions.forget_all()
    assert await sessions.cached(first["session_id"]) is None
    resp = await client.get(
        f"/v1/session/{first['session_id']}/messages", headers={"X-Session-Token": first["session_token"]}
    )
    assert resp.status_code == 200 and len(resp.json()["messages"]) == 2
    # the miss re-warmed the cache
    assert (await sessions.cached(first["session_id"]))["id"] == first["session_id"]


async def test_restart_keeps_sessions_and_history(data_dir):
    import httpx

    settings = make_settings(initialised_copy(data_dir))  # a restart, not a first start, is the subject
    app1 = create_app(settings)
    await start_app(app1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app1), base_url="http://t") as c1:
        first = await new_session(c1, "ما هي الباقات المتاحة؟")
    await stop_app(app1)

    app2 = create_app(settings)
    await start_app(app2)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app2), base_url="http://t") as c2:
            resp = await c2.get(
                f"/v1/session/{first['session_id']}/messages", headers={"X-Session-Token": first["session_token"]}
            )
            assert resp.status_code == 200
            assert [m["role"] for m in resp.json()["messages"]] == ["customer", "bot"]
    finally:
        await stop_app(app2)


async def test_topic_tree_and_articles_in_each_language(client):
    for lang in ("ar", "ku", "en"):
        resp = await client.get("/v1/topic-tree", params={"lang": lang})
        assert resp.status_code == 200
        tree = resp.json()["tree"]
        assert tree["children"], lang

        def leaves(node):
            if "article_id" in node:
                yield node
            for child in node.get("children", []):
                yield from leaves(child)

        found = list(leaves(tree))
        assert len({leaf["article_id"] for leaf in found}) >= 30
        article = await client.get(f"/v1/articles/{found[0]['article_id']}", params={"lang": lang})
        assert article.status_code == 200
        assert article.json()["lang"] == lang and article.json()["body"]
    assert (await client.get("/v1/articles/nope")).status_code == 404
    assert (await client.get("/v1/topic-tree", params={"lang": "fr"})).status_code == 422


async def test_every_response_has_a_request_id(client):
    resp = await client.get("/v1/health")
    assert len(resp.headers["x-request-id"]) >= 8
    resp = await client.get("/v1/health", headers={"X-Request-ID": "trace-12345678"})
    assert resp.headers["x-request-id"] == "trace-12345678"
    missing = await client.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["x-request-id"]
    assert missing.json()["error"]["code"] == "not_found"


async def test_static_assets_are_served(client):
    for path in ("/widget.js", "/widget-loader.js", "/widget.html", "/admin/"):
        resp = await client.get(path)
        assert resp.status_code == 200, path
    assert "javascript" in (await client.get("/widget.js")).headers["content-type"]
    admin = await client.get("/admin/")
    assert "default-src 'self'" in admin.headers["content-security-policy"]
    assert (await client.get("/admin/../pyproject.toml")).status_code == 404
    assert (await client.get("/admin/vendor/swagger-ui/5.35.0/swagger-ui-bundle.min.js")).status_code == 200


async def test_openapi_docs(client):
    resp = await client.get("/docs/openapi.json")
    assert resp.status_code == 200
    assert "/v1/message" in resp.json()["paths"]
    page = await client.get("/docs/swagger")
    assert page.status_code == 200 and "/admin/vendor/swagger-ui" in page.text
