"""Production start-up refusals, strict CORS and security headers."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from conftest import REPO, AppClient, make_settings, start_app, stop_app

from nura_appliance.app import create_app
from nura_appliance.auth.production import production_problems
from nura_appliance.errors import ConfigError

STRONG = {
    "APP_ENV": "production",
    "API_KEY": "Qm7vY2pLx9TfR4sWk8ZbN3hJ",
    "ADMIN_SECRET_KEY": "p8XwV3nT6rQ1mK9sL4yB7cF2dG5hJ0zA",
    "CORS_ORIGINS": "https://shop.example.com,https://www.example.com",
}


def test_production_refuses_weak_secrets_and_open_cors_and_says_what_to_set(data_dir):
    with pytest.raises(ConfigError) as caught:
        create_app(make_settings(data_dir, APP_ENV="production", API_KEY="short-key", ADMIN_SECRET_KEY="abc"))
    message = caught.value.message
    for needle in (
        "set API_KEY",
        "API_KEY_ENABLED=false",
        "set ADMIN_SECRET_KEY",
        "CORS_ORIGINS=*",
        "set CORS_ORIGINS",
    ):
        assert needle in message, message


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"API_KEY": "short-key"}, "API_KEY is too easy to guess"),
        ({"API_KEY": "Password123456789012345678"}, "API_KEY is too easy to guess"),  # 26 characters, ~26 bits
        ({"API_KEY": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, "API_KEY is too easy to guess"),
        ({"ADMIN_SECRET_KEY": "change-me-secret-key"}, "ADMIN_SECRET_KEY is still the published placeholder"),
        ({"ADMIN_SECRET_KEY": "secret-secret-secret-secret-1234"}, "ADMIN_SECRET_KEY is too easy to guess"),
        ({"ADMIN_PASSWORD": "admin"}, "ADMIN_PASSWORD is weak"),
        ({"ADMIN_PASSWORD": "password123"}, "ADMIN_PASSWORD is weak"),
        ({"CORS_ORIGINS": "*"}, "CORS_ORIGINS=* lets every website"),
        ({"CORS_ORIGINS": "shop.example.com/path"}, "not origins"),
        ({"CUSTOMER_HMAC_SECRET": "abc"}, "CUSTOMER_HMAC_SECRET is too easy to guess"),
        ({"PASSWORD_HASH_MEMORY_KIB": 8192}, "PASSWORD_HASH_MEMORY_KIB=8192"),
        ({"PASSWORD_HASH_TIME_COST": 1}, "cheaper to crack than OWASP's minimum"),
    ],
)
def test_each_weak_setting_is_named(data_dir, override, expected):
    problems = production_problems(make_settings(data_dir, **{**STRONG, **override}))
    assert len(problems) == 1 and expected in problems[0], problems


def test_a_disabled_api_key_need_not_be_strong(data_dir):
    assert production_problems(make_settings(data_dir, **{**STRONG, "API_KEY": "x", "API_KEY_ENABLED": False})) == []


async def test_a_strong_production_configuration_starts(data_dir):
    app = create_app(make_settings(data_dir, **STRONG, ADMIN_PASSWORD="tiger-lantern-42-river"))
    await start_app(app)
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with AppClient(transport=transport, base_url="http://testserver") as client:
            resp = await client.get("/v1/health")
            assert resp.status_code == 200
            assert resp.headers["strict-transport-security"].startswith("max-age=")
    finally:
        await stop_app(app)


def test_nura_serve_refuses_weak_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NURA_", "API_", "ADMIN_", "CORS_"))}
    env.update({"APP_ENV": "production", "NURA_DATA_DIR": str(tmp_path / "prod")})
    proc = subprocess.run(
        [sys.executable, "-m", "nura_appliance", "serve", "--port", "1"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "refusing to start with APP_ENV=production" in proc.stderr and "set CORS_ORIGINS" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "prod" / "nura.db").exists()  # refused before touching the data dir


@pytest.fixture
def settings(ready_data_dir):
    return make_settings(ready_data_dir, CORS_ORIGINS="https://shop.example.com")


async def test_cors_allows_only_listed_origins_and_never_credentials(client):
    allowed = await client.get("/v1/topic-tree", headers={"Origin": "https://shop.example.com"})
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "origin" in allowed.headers["vary"].lower()
    evil = await client.get("/v1/topic-tree", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers
    preflight = await client.options(
        "/v1/message", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    good = await client.options(
        "/v1/message",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert good.status_code == 204 and "POST" in good.headers["access-control-allow-methods"]
    for resp in (allowed, evil, preflight, good):
        assert "access-control-allow-credentials" not in resp.headers
        assert "set-cookie" not in resp.headers


async def test_api_answers_carry_security_headers(client):
    resp = await client.get("/v1/topic-tree")
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    error = await client.post("/v1/message", content=b"{broken", headers={"Content-Type": "application/json"})
    assert error.status_code == 400 and error.headers["cache-control"] == "no-store"
    admin = await client.get("/admin/")
    if admin.status_code == 200:
        assert "script-src 'self'" in admin.headers["content-security-policy"]
        assert admin.headers["x-frame-options"] == "DENY"
