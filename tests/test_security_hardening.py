"""Issue 19, the outside attack run: each finding reproduced against the old code, now refused.

No shared default secrets (finding 1) and a private data dir (finding 9) here; the other
findings have their own sections below."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from auth_helpers import make_user
from conftest import REPO, make_settings, running_app

from nura_appliance.app import create_app
from nura_appliance.auth.secrets import entropy_bits, secret_problem
from nura_appliance.auth.tokens import TokenSigner
from nura_appliance.errors import ConfigError
from nura_appliance.ops.doctor import diagnose
from nura_appliance.settings import load_settings


def _cli(
    *args: str, data: Path, env_extra: dict[str, str] | None = None, umask: int = 0o022
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NURA_", "API_", "ADMIN_", "APP_ENV"))}
    env.update({"NURA_DATA_DIR": str(data), "LOAD_DEFAULT_KNOWLEDGE": "false", **(env_extra or {})})
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import os, sys; os.umask({umask}); from nura_appliance.cli.main import run; run()",
            *args,
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


# -- 1. no shared default secrets ------------------------------------------------------------


@pytest.mark.parametrize("mode", ["development", "test", "staging", "production"])
@pytest.mark.parametrize(
    "name, value", [("API_KEY", "change-me-api-key"), ("ADMIN_SECRET_KEY", "change-me-secret-key")]
)
def test_the_published_placeholders_are_refused_in_every_mode(data_dir, mode, name, value):
    settings = make_settings(data_dir, APP_ENV=mode, CORS_ORIGINS="https://shop.example.com", **{name: value})
    with pytest.raises(ConfigError) as caught:
        create_app(settings)
    assert name in caught.value.message and "placeholder" in caught.value.message


async def test_the_placeholders_no_longer_open_the_api(data_dir):
    """The attack: ``Bearer change-me-api-key`` and a JWT signed with ``change-me-secret-key``
    were admin on a fresh install. A fresh install now has its own random key and signing key."""
    settings = load_settings(
        overrides={"APP_ENV": "development", "JOB_WORKER_ENABLED": False}, data_dir=data_dir, environ={}
    )
    assert settings.api_key == "" and settings.admin_secret_key == ""
    async with running_app(settings) as (app, client):
        generated = app.ctx.nura.settings
        assert len(generated.api_key) >= 40 and len(generated.admin_secret_key) >= 40
        assert (
            await client.get("/v1/auth/me", headers={"Authorization": "Bearer change-me-api-key"})
        ).status_code == 401
        await make_user(app, "boss", "admin")
        version = (await app.ctx.nura.services["users"].store.get("boss")).token_version
        forged, _ = TokenSigner("change-me-secret-key", 3600).issue("boss", version)
        assert (await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})).status_code == 401
        me = await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {generated.api_key}"})
        assert me.status_code == 200 and me.json()["role"] == "admin"
    secrets_file = data_dir / "secrets.toml"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    # The next start reads the same values (tokens survive a restart).
    again = load_settings(overrides={"APP_ENV": "development"}, data_dir=data_dir, environ={})
    assert again.api_key == generated.api_key and again.admin_secret_key == generated.admin_secret_key
    assert again.origins["API_KEY"] == "secrets.toml"


def test_configured_secrets_are_not_replaced(data_dir):
    app = create_app(make_settings(data_dir, ADMIN_SECRET_KEY="p8XwV3nT6rQ1mK9sL4yB7cF2dG5hJ0zA"))
    assert app.ctx.settings.admin_secret_key == "p8XwV3nT6rQ1mK9sL4yB7cF2dG5hJ0zA"
    assert app.ctx.settings.api_key == "suite-api-key-Vb4Rz8Kq2Wn6Tx9M"
    assert not (data_dir / "secrets.toml").exists()


def test_nura_init_generates_private_secrets_and_a_private_data_dir_under_a_loose_umask(tmp_path):
    data = tmp_path / "data"
    proc = _cli("init", data=data, umask=0o022)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    loose = [
        f"{p} {stat.S_IMODE(p.stat().st_mode):o}" for p in data.rglob("*") if stat.S_IMODE(p.lstat().st_mode) & 0o077
    ]
    assert not loose, loose
    text = (data / "secrets.toml").read_text()
    assert "API_KEY" in text and "ADMIN_SECRET_KEY" in text and "change-me" not in text
    assert (data / "nura.db").exists() and stat.S_IMODE((data / "nura.db").stat().st_mode) == 0o600
    doctor = _cli("doctor", "--json", data=data)
    checks = json.loads(doctor.stdout)["checks"]
    assert checks["secrets"]["ok"] and checks["data_dir_private"]["ok"], checks


def test_doctor_flags_weak_secrets_and_a_readable_data_dir(data_dir):
    settings = make_settings(data_dir, API_KEY="Password123456789012345678", ADMIN_SECRET_KEY="secret-secret-secret-1")
    data_dir.mkdir(parents=True)
    data_dir.chmod(0o755)
    (data_dir / "nura.toml").write_text("")
    (data_dir / "nura.toml").chmod(0o644)
    checks = diagnose(settings)["checks"]
    assert not checks["secrets"]["ok"]
    assert "API_KEY is too easy to guess" in checks["secrets"]["detail"]
    assert "ADMIN_SECRET_KEY is too easy to guess" in checks["secrets"]["detail"]
    assert not checks["data_dir_private"]["ok"] and "nura.toml (644)" in checks["data_dir_private"]["detail"]


@pytest.mark.parametrize(
    "value, strong",
    [
        ("Password123456789012345678", False),  # accepted in production before (26 characters)
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", False),
        ("abcdefghijklmnopqrstuvwxyz0123456789", False),
        ("Qm7vY2pLQm7vY2pLQm7vY2pLQm7vY2pL", False),  # one piece repeated
        ("Qm7vY2pLx9TfR4sWk8ZbN3hJ", True),  # 24 random characters
        ("tX3-9qLm_Rz", False),  # random but short
    ],
)
def test_api_key_strength_is_judged_by_entropy_not_length(value, strong):
    assert (secret_problem(value, "API_KEY") is None) is strong, entropy_bits(value)


def test_serve_help_example_binds_loopback():
    proc = subprocess.run(
        [sys.executable, "-m", "nura_appliance", "serve", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "127.0.0.1" in proc.stdout and "0.0.0.0" not in proc.stdout
