"""Users, roles, tokens and their revocation, the legacy API key, the audit log and the CLI."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from auth_helpers import PASSWORDS, bearer, login, make_user, staff_tokens
from conftest import initialised_copy, make_settings
from typer.testing import CliRunner

from nura_appliance.auth.tokens import TokenSigner
from nura_appliance.cli.main import app as cli_app


async def test_login_returns_a_bearer_token_and_me_describes_the_user(app, client):
    await make_user(app, "amal", "agent")
    resp = await client.post("/v1/auth/login", json={"username": "amal", "password": PASSWORDS["agent"]})
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer" and body["user"] == {
        "username": "amal",
        "role": "agent",
        "display_name": "amal",
        "display_name_set": False,  # only the username: customers see a generic name instead
    }
    assert 0 < body["expires_in"] <= app.ctx.nura.settings.admin_token_ttl_seconds
    assert resp.headers["cache-control"] == "no-store"
    me = await client.get("/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "amal" and me.json()["role"] == "agent" and me.json()["display_name"] == "amal"


@pytest.mark.parametrize(
    "body",
    [
        {"username": "amal", "password": "wrong-password-1"},
        {"username": "nobody", "password": PASSWORDS["agent"]},
        {"username": "AMAL ", "password": PASSWORDS["agent"]},
    ],
)
async def test_wrong_credentials_get_the_same_401(app, client, body):
    await make_user(app, "amal", "agent")
    resp = await client.post("/v1/auth/login", json=body)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    "body",
    [None, [], {"username": "amal"}, {"username": 5, "password": "x"}, {"username": "amal", "password": "x" * 300}],
)
async def test_malformed_login_bodies_are_4xx(client, body):
    resp = (
        await client.post("/v1/auth/login", json=body)
        if body is not None
        else await client.post("/v1/auth/login", content=b"{not json")
    )
    assert 400 <= resp.status_code < 500, resp.text
    assert "error" in resp.json()


async def test_logout_revokes_the_token_at_once(app, client):
    password = await make_user(app, "amal", "agent")
    token = await login(client, "amal", password)
    other = await login(client, "amal", password)
    assert (await client.post("/v1/auth/logout", headers=bearer(token))).json() == {"ok": True, "revoked": True}
    again = await client.get("/v1/auth/me", headers=bearer(token))
    assert again.status_code == 401
    # Only that token: the user's other session keeps working.
    assert (await client.get("/v1/auth/me", headers=bearer(other))).status_code == 200


async def test_disabling_a_user_revokes_their_tokens_and_blocks_login(app, client):
    tokens = await staff_tokens(app, client)
    victim = await login(client, "agent-user", PASSWORDS["agent"])
    resp = await client.patch("/v1/users/agent-user", json={"active": False}, headers=bearer(tokens["admin"]))
    assert resp.status_code == 200 and resp.json()["active"] is False
    assert (await client.get("/v1/auth/me", headers=bearer(victim))).status_code == 401
    assert (
        await client.post("/v1/auth/login", json={"username": "agent-user", "password": PASSWORDS["agent"]})
    ).status_code == 401
    # Re-enabling lets them sign in again, but the old token stays dead.
    await client.patch("/v1/users/agent-user", json={"active": True}, headers=bearer(tokens["admin"]))
    assert (await client.get("/v1/auth/me", headers=bearer(victim))).status_code == 401
    assert await login(client, "agent-user", PASSWORDS["agent"])


async def test_a_password_change_revokes_old_tokens(app, client):
    tokens = await staff_tokens(app, client)
    old = await login(client, "viewer-user", PASSWORDS["viewer"])
    resp = await client.post(
        "/v1/users/viewer-user/password", json={"password": "brand-new-pass-99"}, headers=bearer(tokens["admin"])
    )
    assert resp.status_code == 200
    assert (await client.get("/v1/auth/me", headers=bearer(old))).status_code == 401
    assert (
        await client.post("/v1/auth/login", json={"username": "viewer-user", "password": PASSWORDS["viewer"]})
    ).status_code == 401
    new = await login(client, "viewer-user", "brand-new-pass-99")
    # Changing one's own password needs the current one and also revokes one's tokens.
    wrong = await client.post(
        "/v1/auth/password",
        json={"current_password": "nope-nope-nope", "new_password": "another-pass-77"},
        headers=bearer(new),
    )
    assert wrong.status_code == 401
    ok = await client.post(
        "/v1/auth/password",
        json={"current_password": "brand-new-pass-99", "new_password": "another-pass-77"},
        headers=bearer(new),
    )
    assert ok.status_code == 200
    assert (await client.get("/v1/auth/me", headers=bearer(new))).status_code == 401


async def test_a_role_change_applies_to_existing_tokens(app, client):
    tokens = await staff_tokens(app, client)
    agent = tokens["agent"]
    assert (await client.get("/v1/users", headers=bearer(agent))).status_code == 403
    await client.patch("/v1/users/agent-user", json={"role": "admin"}, headers=bearer(tokens["admin"]))
    assert (await client.get("/v1/users", headers=bearer(agent))).status_code == 200


async def test_expired_tampered_and_foreign_tokens_are_refused(app, client):
    await make_user(app, "amal", "admin")
    settings = app.ctx.nura.settings
    signer = TokenSigner(settings.admin_secret_key, 60)
    expired, _ = signer.issue("amal", 0, now=time.time() - 3600)
    foreign, _ = TokenSigner("some-other-secret-key", 60).issue("amal", 0)
    good = await login(client, "amal", PASSWORDS["admin"])
    head, payload, sig = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    forged_payload = jwt.encode(
        {**claims, "sub": "amal", "ver": 7, "exp": claims["exp"] + 99999}, "guess", algorithm="HS256"
    ).split(".")[1]
    none_alg = jwt.encode({**claims}, None, algorithm="none")
    for token in (expired, foreign, f"{head}.{forged_payload}.{sig}", none_alg, good[:-4] + "AAAA"):
        resp = await client.get("/v1/users", headers=bearer(token))
        assert resp.status_code == 401, token
    assert (await client.get("/v1/users", headers=bearer(good))).status_code == 200


async def test_token_rejections_are_logged_without_the_token(app, client):
    tokens = await staff_tokens(app, client)
    await client.get("/v1/users", headers=bearer("eyJhbGciOi.bogus.token-secret-value"))
    page = (await client.get("/v1/security-log?event=token_rejected", headers=bearer(tokens["admin"]))).json()
    assert page["total"] >= 1
    assert "token-secret-value" not in json.dumps(page)


@pytest.fixture
def settings(ready_data_dir):
    return make_settings(ready_data_dir, API_KEY="automation-key-0123456789abcdef")


async def test_the_legacy_api_key_has_admin_scope(client):
    resp = await client.get("/v1/users", headers=bearer("automation-key-0123456789abcdef"))
    assert resp.status_code == 200
    me = (await client.get("/v1/auth/me", headers=bearer("automation-key-0123456789abcdef"))).json()
    assert me["role"] == "admin" and me["kind"] == "api_key"
    assert (await client.get("/v1/users", headers=bearer("automation-key-0123456789abcdeX"))).status_code == 401


async def test_the_api_key_can_be_disabled(data_dir):
    import httpx
    from conftest import AppClient, start_app, stop_app

    from nura_appliance.app import create_app

    app = create_app(
        make_settings(initialised_copy(data_dir), API_KEY="automation-key-0123456789abcdef", API_KEY_ENABLED=False)
    )
    await start_app(app)
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with AppClient(transport=transport, base_url="http://testserver") as client:
            resp = await client.get("/v1/users", headers=bearer("automation-key-0123456789abcdef"))
            assert resp.status_code == 401
    finally:
        await stop_app(app)


async def test_user_administration_is_audited_and_guards_the_last_admin(app, client):
    tokens = await staff_tokens(app, client)
    admin = bearer(tokens["admin"])
    created = await client.post(
        "/v1/users", json={"username": "omar", "role": "agent", "display_name": "Omar"}, headers=admin
    )
    assert created.status_code == 201
    assert created.json()["generated_password"] and created.json()["display_name"] == "Omar"
    await login(client, "omar", created.json()["generated_password"])
    dup = await client.post(
        "/v1/users", json={"username": "OMAR", "role": "agent", "password": "x-pass-1234567"}, headers=admin
    )
    assert dup.status_code == 409
    for bad in (
        {"username": "../etc", "role": "agent"},
        {"username": "ok", "role": "root"},
        {"username": "api-key", "role": "agent"},
    ):
        assert (await client.post("/v1/users", json=bad, headers=admin)).status_code == 422
    assert (
        await client.patch("/v1/users/omar", json={"role": "viewer", "active": "no"}, headers=admin)
    ).status_code == 422
    assert (await client.patch("/v1/users/nobody", json={"role": "viewer"}, headers=admin)).status_code == 404
    listed = (await client.get("/v1/users?role=agent", headers=admin)).json()["users"]
    assert {u["username"] for u in listed} == {"agent-user", "omar"}
    assert all("password_hash" not in u for u in listed)

    # admin-user is the only admin: it can be neither demoted nor disabled.
    for change in ({"role": "agent"}, {"active": False}):
        resp = await client.patch("/v1/users/admin-user", json=change, headers=admin)
        assert resp.status_code == 409 and resp.json()["error"]["code"] == "last_admin"
    assert (await client.get("/v1/auth/me", headers=admin)).json()["role"] == "admin"

    log = (await client.get("/v1/audit-log", headers=admin)).json()
    actions = [(e["actor"], e["action"], e["target"]) for e in log["entries"]]
    assert ("admin-user", "user.create", "omar") in actions
    assert all("password" not in json.dumps(e["detail"] or {}) for e in log["entries"])
    only = (await client.get("/v1/audit-log?action=user.create&actor=admin-user", headers=admin)).json()
    assert only["total"] == 1
    assert (await client.get("/v1/audit-log?limit=0", headers=admin)).status_code == 422


async def test_production_password_rules_apply_to_new_users(data_dir):
    from nura_appliance.auth.audit import AuditService
    from nura_appliance.auth.service import UserService
    from nura_appliance.context import open_database
    from nura_appliance.errors import ValidationFailed
    from nura_appliance.storage.sqlite.auth import SqliteAuthStore

    settings = make_settings(data_dir, APP_ENV="production")
    _, db = open_database(settings)
    try:
        store = SqliteAuthStore(db)
        users = UserService(settings, store, AuditService(store))
        for weak in ("short-1", "omar-the-agent-1", "password123", "aaaaaaaaaaaaaaaa"):
            with pytest.raises(ValidationFailed):
                await users.create("omar", weak, "agent", actor="test")
        user, _ = await users.create("omar", "tiger-lantern-42-river", "agent", actor="test")
        assert user.role == "agent"
    finally:
        db.close()


def test_the_user_cli(data_dir):
    runner = CliRunner()
    env = {"NURA_DATA_DIR": str(data_dir)}
    out = runner.invoke(cli_app, ["user", "add", "amal", "--role", "admin", "--password", "amal-pass-2024!x"], env=env)
    assert out.exit_code == 0, out.output
    out = runner.invoke(
        cli_app, ["user", "add", "omar", "--display-name", "Omar"], input="omar-pass-2024!\nomar-pass-2024!\n", env=env
    )
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli_app, ["user", "list", "--json"], env=env)
    rows = {r["username"]: r for r in json.loads(out.stdout)}
    assert (
        rows["amal"]["role"] == "admin" and rows["omar"]["role"] == "agent" and rows["omar"]["display_name"] == "Omar"
    )
    assert runner.invoke(cli_app, ["user", "set-role", "omar", "viewer"], env=env).exit_code == 0
    assert runner.invoke(cli_app, ["user", "disable", "omar"], env=env).exit_code == 0
    out = runner.invoke(cli_app, ["user", "disable", "amal"], env=env)
    assert out.exit_code == 1 and "last active admin" in out.output
    out = runner.invoke(cli_app, ["user", "passwd", "omar", "--generate"], env=env)
    assert out.exit_code == 0 and "one-time password" in out.output
    out = runner.invoke(cli_app, ["user", "set-role", "omar", "boss"], env=env)
    assert out.exit_code == 1 and "admin, agent or viewer" in out.output
    rows = {r["username"]: r for r in json.loads(runner.invoke(cli_app, ["user", "list", "--json"], env=env).stdout)}
    assert rows["omar"]["role"] == "viewer" and rows["omar"]["active"] is False


async def test_first_admin_comes_from_admin_password(data_dir):
    import httpx
    from conftest import AppClient, start_app, stop_app

    from nura_appliance.app import create_app

    app = create_app(make_settings(data_dir, ADMIN_USERNAME="boss", ADMIN_PASSWORD="boss-pass-2024!x"))
    await start_app(app)
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with AppClient(transport=transport, base_url="http://testserver") as client:
            token = await login(client, "boss", "boss-pass-2024!x")
            assert (await client.get("/v1/auth/me", headers=bearer(token))).json()["role"] == "admin"
    finally:
        await stop_app(app)


async def test_password_hashes_use_the_production_argon2id_parameters_by_default(data_dir):
    """The suite's settings hash cheaply (conftest.CHEAP_PASSWORD_HASHES); the shipped defaults
    are argon2id at OWASP's minimum, and a hash of other parameters is replaced at the next login."""
    from nura_appliance.auth.audit import AuditService
    from nura_appliance.auth.passwords import hash_password, needs_rehash, settings_hasher, verify_password
    from nura_appliance.auth.service import AuthService, UserService
    from nura_appliance.context import open_database
    from nura_appliance.settings import load_settings
    from nura_appliance.storage.cache import DiskCache
    from nura_appliance.storage.sqlite.auth import SqliteAuthStore

    default = load_settings(data_dir=data_dir, environ={})
    production_hash = hash_password("tiger-lantern-42-river", settings_hasher(default))
    assert production_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hash_password("tiger-lantern-42-river").startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    cheap = make_settings(data_dir)
    cheap_hash = hash_password("tiger-lantern-42-river", settings_hasher(cheap))
    assert cheap_hash.startswith("$argon2id$v=19$m=256,t=1,p=1$")
    assert verify_password(cheap_hash, "tiger-lantern-42-river") and not verify_password(cheap_hash, "tiger")
    assert needs_rehash(cheap_hash, settings_hasher(default)) and not needs_rehash(production_hash)

    # A user stored with the cheap parameters signs in on the default settings and is re-hashed.
    _, db = open_database(default)
    try:
        store = SqliteAuthStore(db)
        audit = AuditService(store)
        await store.create("omar", cheap_hash, "agent", None)
        auth = AuthService(default, UserService(default, store, audit), DiskCache(data_dir / "auth-cache"), audit)
        assert await auth.check_credentials("omar", "tiger-lantern-42-river") is not None
        stored = (await store.get("omar")).password_hash
        assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert verify_password(stored, "tiger-lantern-42-river")
    finally:
        db.close()
