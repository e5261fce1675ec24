"""Setting up scale-out mode from the command line: with ``NURA_DATABASE_URL`` set, ``nura init``
creates the first admin in PostgreSQL (it used to go to a ``nura.db`` the server never reads, so the
printed password did not sign in), ``nura user`` manages PostgreSQL's staff accounts, ``nura doctor``
checks PostgreSQL without creating a SQLite file, and a second ``nura init`` keeps what is there."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from conftest import make_settings, running_app
from test_store_contract import scale_backends
from typer.testing import CliRunner

from nura_appliance.cli.main import app as cli

pytestmark = pytest.mark.postgres


async def _cli(env: dict[str, str], *args: str) -> str:
    # In a thread: the commands run their own event loop (asyncio.run), and this test has one.
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def _sign_in(client, username: str, password: str) -> dict:
    resp = await client.post("/v1/auth/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_init_user_and_doctor_work_on_postgresql_and_write_no_sqlite_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with scale_backends() as backend:
        env = {"NURA_DATA_DIR": str(data), "NURA_DATABASE_URL": backend["NURA_DATABASE_URL"], "APP_ENV": "test"}
        out = await _cli(env, "init", "--admin-name", "Layla")
        assert f"database: PostgreSQL postgres@127.0.0.1:5432/{backend['db_name']}" in out
        assert "knowledge: default pack loaded" in out
        password = re.search(r"one-time admin password: (\S+)", out)
        assert password, out
        again = await _cli(env, "init")
        assert "one-time admin password" not in again and "kept as it was" in again

        await _cli(env, "user", "add", "samir", "--role", "agent", "--password", "samir-pass-2024!x")
        listed = await _cli(env, "user", "list")
        assert "admin" in listed and "samir" in listed
        doctor = await _cli(env, "doctor", "--json")
        assert '"database"' in doctor and "PostgreSQL" in doctor

        # Nothing went to SQLite: the data dir holds uploads, cache and models, not a database.
        assert not (data / "nura.db").exists()

        # The server on the same PostgreSQL (no ADMIN_PASSWORD given to it) signs both in.
        settings = make_settings(data, NURA_DATABASE_URL=backend["NURA_DATABASE_URL"])
        async with running_app(settings) as (_app, client):
            admin = await _sign_in(client, "admin", password.group(1))
            me = await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {admin['access_token']}"})
            assert me.json()["role"] == "admin" and me.json()["display_name"] == "Layla"
            agent = await _sign_in(client, "samir", "samir-pass-2024!x")
            me = await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {agent['access_token']}"})
            assert me.json()["role"] == "agent"
            answer = await client.post(
                "/v1/message", json={"session_id": None, "customer_id": "c-1", "channel": "web", "message": "مرحبا"}
            )
            assert answer.status_code == 200 and answer.json()["response"]
