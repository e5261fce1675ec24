"""Bad input to the message API: the right 4xx in the error envelope, nothing stored half-way."""

from __future__ import annotations

import pytest
from conftest import initialised_copy, make_settings, new_session


async def _count(app, table: str) -> int:
    row = await app.ctx.nura.db.fetchone(f"SELECT count(*) AS n FROM {table}")
    return row["n"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"message": ""}, 422, "empty_message"),
        ({"message": "   \n\t  "}, 422, "empty_message"),
        ({"message": "x" * 4001}, 422, "message_too_long"),
        ({"message": "hi\x00there"}, 422, "invalid_characters"),
        ({"message": "bell\x07"}, 422, "invalid_characters"),
        ({"message": "rtl override \u202e"}, 422, "invalid_characters"),
        ({"message": 42}, 422, "invalid_field"),
        ({"message": ["a"]}, 422, "invalid_field"),
        ({}, 422, "missing_field"),
        ({"message": "hi", "session_id": 5}, 422, "invalid_field"),
        ({"message": "hi", "customer_id": {"a": 1}}, 422, "invalid_field"),
        ({"message": "hi", "customer_id": "x" * 300}, 422, "invalid_field"),
        ({"message": "hi", "channel": "WEB CHANNEL!"}, 422, "invalid_field"),
        ({"message": "hi", "lang": "fr"}, 422, "invalid_field"),
        ({"message": "hi", "session_id": "../../etc"}, 422, "invalid_field"),
    ],
)
async def test_invalid_message_bodies(client, app, body, status, code):
    before = await _count(app, "chat_turns"), await _count(app, "sessions")
    resp = await client.post("/v1/message", json=body)
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["code"] == code and error["message"]
    assert (await _count(app, "chat_turns"), await _count(app, "sessions")) == before


@pytest.mark.parametrize(
    ("raw", "ctype", "status", "code"),
    [
        (b"{not json", "application/json", 400, "invalid_json"),
        (b'{"message": "hi"', "application/json", 400, "invalid_json"),
        (b"\xff\xfe\x00bad", "application/json", 400, "invalid_encoding"),
        (b"", "application/json", 400, "missing_body"),
        (b'["message"]', "application/json", 400, "invalid_body"),
        (b'"just a string"', "application/json", 400, "invalid_body"),
        (b"message=hi", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400, "invalid_json"),
    ],
)
async def test_malformed_requests(client, app, raw, ctype, status, code):
    resp = await client.post("/v1/message", content=raw, headers={"Content-Type": ctype})
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code
    assert await _count(app, "chat_turns") == 0


async def test_message_limit_is_configurable(data_dir):
    import httpx
    from conftest import start_app, stop_app

    from nura_appliance.app import create_app

    app = create_app(make_settings(initialised_copy(data_dir), MESSAGE_MAX_CHARS=10))
    await start_app(app)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            assert (await c.post("/v1/message", json={"message": "x" * 11})).status_code == 422
            assert (await c.post("/v1/message", json={"message": "مرحبا"})).status_code == 200
    finally:
        await stop_app(app)


async def test_oversized_body_is_refused(client, app):
    limit = app.ctx.nura.settings.request_max_bytes
    resp = await client.post(
        "/v1/message",
        content=b'{"message": "' + b"a" * (limit + 10) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"


async def test_wrong_method_and_unknown_route(client):
    resp = await client.get("/v1/message")
    assert resp.status_code == 405
    assert resp.json()["error"]["code"] == "method_not_allowed"


async def test_text_plain_json_is_accepted(client):
    """Browsers may post JSON as text/plain to skip the CORS preflight."""
    resp = await client.post(
        "/v1/message", content='{"message": "مرحبا"}'.encode(), headers={"Content-Type": "text/plain;charset=UTF-8"}
    )
    assert resp.status_code == 200


async def test_bad_input_on_existing_session_changes_nothing(client, app):
    first = await new_session(client, "مرحبا")
    before = await _count(app, "chat_turns")
    resp = await client.post(
        "/v1/message", json={"session_id": first["session_id"], "session_token": first["session_token"], "message": " "}
    )
    assert resp.status_code == 422
    assert await _count(app, "chat_turns") == before
