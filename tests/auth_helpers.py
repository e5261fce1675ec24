"""Helpers shared by the auth and security tests: staff users and their tokens."""

from __future__ import annotations

from typing import Any

import httpx
from sanic import Sanic

PASSWORDS = {"admin": "admin-pass-2024!x", "agent": "agent-pass-2024!x", "viewer": "viewer-pass-2024!x"}


async def make_user(app: Sanic, username: str, role: str, password: str | None = None) -> str:
    """Create a user through the real UserService; returns its password."""
    password = password or PASSWORDS.get(role, "some-pass-2024!x")
    await app.ctx.nura.users.create(username, password, role, actor="test")
    return password


async def login(client: httpx.AsyncClient, username: str, password: str) -> str:
    resp = await client.post("/v1/auth/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


async def staff_tokens(app: Sanic, client: httpx.AsyncClient) -> dict[str, str]:
    """One signed-in user per role: {"admin": token, "agent": token, "viewer": token}."""
    tokens: dict[str, str] = {}
    for role in ("admin", "agent", "viewer"):
        name = f"{role}-user"
        password = await make_user(app, name, role)
        tokens[role] = await login(client, name, password)
    return tokens


def bearer(token: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {token}"}
