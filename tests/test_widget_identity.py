"""Who the customer is (issue 20): the host site's identity through the widget, verified with
CUSTOMER_HMAC_SECRET or shown as unverified, linking sessions across devices, in the agents' API."""

from __future__ import annotations

import pytest
from auth_helpers import bearer, login, make_user
from conftest import make_settings, running_app

from nura_appliance.auth.customer import customer_signature

SECRET = "identity-test-secret-0123456789abcdef"
API_KEY = "identity-test-api-key-0123456789"
STAFF = {"Authorization": f"Bearer {API_KEY}"}
PROFILE = {
    "name": "ليلى حسن",
    "phone": "+964 770 123 4567",
    "email": "layla@example.com",
    "attributes": {"plan": "Gold 30", "account": 884120, "vip": True},
}


@pytest.fixture
def settings(ready_data_dir):
    return make_settings(ready_data_dir, API_KEY=API_KEY, CUSTOMER_HMAC_SECRET=SECRET)


async def start(client, text: str, **extra) -> dict:
    resp = await client.post("/v1/message", json={"session_id": None, "channel": "web", "message": text, **extra})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_a_signed_identity_is_verified_shown_to_agents_and_links_devices(app, client):
    signed = {"customer_id": "cust-42", "customer_signature": customer_signature(SECRET, "cust-42")}
    phone = await start(client, "I want to talk to a person", customer=PROFILE, **signed)
    laptop = await start(client, "hello", customer={"name": "ليلى حسن"}, **signed)
    queue = (await client.get("/v1/queue", headers=STAFF)).json()
    [item] = [s for s in queue["pending"] if s["session_id"] == phone["session_id"]]
    assert item["customer"] == {"id": "cust-42", "verified": True, **PROFILE}
    assert item["customer_id"] == "cust-42"

    detail = (await client.get(f"/v1/sessions/{phone['session_id']}", headers=STAFF)).json()
    assert detail["session"]["customer"]["verified"] is True
    assert [s["session_id"] for s in detail["linked_sessions"]] == [laptop["session_id"]]
    listed = (await client.get("/v1/customers/cust-42/sessions", headers=STAFF)).json()
    assert {s["session_id"] for s in listed["sessions"]} == {phone["session_id"], laptop["session_id"]}

    # Viewers see who, not how to reach them.
    viewer = bearer(await login(client, "vic", await make_user(app, "vic", "viewer")))
    sessions = (await client.get("/v1/sessions/list", headers=viewer)).json()["sessions"]
    shown = next(s["customer"] for s in sessions if s["session_id"] == phone["session_id"])
    assert shown == {"id": "cust-42", "verified": True, "name": "ليلى حسن"}


async def test_an_unsigned_identity_is_kept_as_unverified_and_links_nothing(app, client):
    first = await start(client, "I want to talk to a person", customer_id="cust-42", customer=PROFILE)
    second = await start(client, "hello", customer_id="cust-42", customer=PROFILE)
    detail = (await client.get(f"/v1/sessions/{first['session_id']}", headers=STAFF)).json()
    assert detail["session"]["customer"]["verified"] is False
    assert detail["session"]["customer"]["name"] == PROFILE["name"]
    assert detail["session"]["customer_id"] is None  # an unsigned id is never the session's customer
    assert detail["linked_sessions"] == []
    assert (await client.get("/v1/customers/cust-42/sessions", headers=STAFF)).json()["sessions"] == []
    assert second["session_id"] != first["session_id"]


async def test_set_user_after_the_conversation_started(app, client):
    session = await start(client, "hello")
    sid, token = session["session_id"], session["session_token"]
    url = f"/v1/session/{sid}/identity"
    signed = {"customer_id": "cust-7", "customer_signature": customer_signature(SECRET, "cust-7")}
    assert (await client.post(url, json={**signed, "customer": PROFILE})).status_code == 401
    resp = await client.post(url, json={**signed, "customer": PROFILE}, headers={"X-Session-Token": token})
    assert resp.status_code == 200 and resp.json()["customer"]["verified"] is True
    wrong = {"customer_id": "cust-7", "customer_signature": customer_signature(SECRET, "cust-8")}
    resp = await client.post(url, json=wrong, headers={"X-Session-Token": token})
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "customer_signature_invalid"
    for bad in (
        {"customer": {"email": "not an email"}},
        {"customer": {"phone": "call me maybe"}},
        {"customer": {"attributes": {"nested": {"a": 1}}}},
        {"customer": {"attributes": {f"k{i}": i for i in range(31)}}},
        {"customer": "Layla"},
        {"customer_id": "bad id with spaces"},
    ):
        resp = await client.post(url, json=bad, headers={"X-Session-Token": token})
        assert resp.status_code == 422, bad
    # Signing out (setUser(null)) forgets the identity.
    resp = await client.post(url, json={"customer_id": None, "customer": {}}, headers={"X-Session-Token": token})
    assert resp.json()["customer"] == {
        "id": None,
        "verified": False,
        "name": None,
        "phone": None,
        "email": None,
        "attributes": {},
    }


async def test_hand_off_button_with_identity(app, client):
    signed = {"customer_id": "cust-9", "customer_signature": customer_signature(SECRET, "cust-9")}
    resp = await client.post("/v1/handoff/direct", json={"session_id": None, "customer": PROFILE, **signed})
    assert resp.status_code == 200
    queue = (await client.get("/v1/queue", headers=STAFF)).json()
    assert queue["pending"][0]["customer"]["verified"] is True
    unsigned = await client.post("/v1/handoff/direct", json={"session_id": None, "customer_id": "cust-10"})
    sid = unsigned.json()["session_id"]
    detail = (await client.get(f"/v1/sessions/{sid}", headers=STAFF)).json()
    assert detail["session"]["customer_id"] is None  # not trusted without a signature


async def test_without_a_secret_identities_are_taken_as_given_but_unverified(data_dir):
    async with running_app(make_settings(data_dir, API_KEY=API_KEY)) as (_app, client):
        session = await start(client, "I want to talk to a person", customer_id="shop-user-5", customer=PROFILE)
        detail = (await client.get(f"/v1/sessions/{session['session_id']}", headers=STAFF)).json()
        assert detail["session"]["customer_id"] == "shop-user-5"
        assert detail["session"]["customer"]["verified"] is False
        config = (await client.get("/v1/widget/config")).json()
        assert config["identity_verification"] is False and config["attachments"]["enabled"] is True


async def test_customers_see_the_agents_display_name_never_the_username(app, client):
    session = await start(client, "I want to talk to a person", lang="en")
    sid = session["session_id"]
    password = await make_user(app, "admin2", "agent")
    agent = bearer(await login(client, "admin2", password))
    assert (await client.post(f"/v1/handoff/{sid}/accept", headers=agent)).status_code == 200
    messages = (
        await client.get(f"/v1/session/{sid}/messages", headers={"X-Session-Token": session["session_token"]})
    ).json()
    joined = messages["messages"][-1]
    assert joined["role"] == "system" and "admin2" not in joined["text"] and joined["sender_name"] is None
    assert joined["text"] == "A customer service agent joined the conversation."
    await app.ctx.nura.users.update("admin2", actor="test", display_name="Omar")
    agent = bearer(await login(client, "admin2", password))
    await client.post(f"/v1/session/{sid}/agent-message", json={"message": "hi"}, headers=agent)
    messages = (
        await client.get(f"/v1/session/{sid}/messages", headers={"X-Session-Token": session["session_token"]})
    ).json()
    assert messages["messages"][-1]["sender_name"] == "Omar"


async def test_canned_replies_greet_the_customer_by_the_host_sites_name(app, client):
    signed = {"customer_id": "cust-42", "customer_signature": customer_signature(SECRET, "cust-42")}
    session = await start(client, "I want to talk to a person", customer=PROFILE, **signed)
    created = await client.post(
        "/v1/canned-replies", json={"lang": "ar", "title": "ترحيب", "text": "مرحباً {customer_name}"}, headers=STAFF
    )
    assert created.status_code in (200, 201), created.text
    replies = (await client.get(f"/v1/canned-replies?session_id={session['session_id']}", headers=STAFF)).json()
    assert "مرحباً ليلى حسن" in [r["rendered"] for r in replies["canned_replies"]]
