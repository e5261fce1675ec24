"""What customers see of the agent (issue 20): the agent's display name — given at creation
(`nura user add --name`, the Users page, `nura init --admin-name`) — in the "joined" notice, on
each agent message and in the ``display_name`` field of the hand-off events; never the username
("you are talking with admin"). Without a display name customers see a generic "customer service"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auth_helpers import bearer, login
from test_realtime import open_stream, served
from typer.testing import CliRunner

from nura_appliance.cli.main import app as cli

runner = CliRunner()


async def ask_for_agent(client: Any, lang: str = "ar") -> dict[str, Any]:
    resp = await client.post(
        "/v1/handoff/direct", json={"session_id": None, "customer_id": "cust-dn", "reason": "button", "lang": lang}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def events(app: Any, channel: str, kind: str) -> list[dict[str, Any]]:
    return [e.data for e in app.ctx.nura.bus.replay(channel, 0) if e.type == kind]


async def staff(app: Any, client: Any, username: str, display_name: str | None) -> dict[str, str]:
    password = "a-long-pass-2024!x"
    await app.ctx.nura.users.create(username, password, "agent", display_name, actor="test")
    return bearer(await login(client, username, password))


async def test_customers_see_display_names_never_usernames(data_dir: Path) -> None:
    async with served(data_dir) as (app, client):
        layla = await staff(app, client, "layla.k", "ليلى")
        omar = await staff(app, client, "omar77", "Omar")
        nameless = await staff(app, client, "agent9", None)

        # An agent with a display name: the notice, the message and the events carry it.
        answer = await ask_for_agent(client)
        sid, token = answer["session_id"], answer["session_token"]
        assert (await client.post(f"/v1/handoff/{sid}/accept", headers=layla)).status_code == 200
        sent = await client.post(f"/v1/session/{sid}/agent-message", json={"message": "أهلاً"}, headers=layla)
        assert sent.json()["message"]["sender_name"] == "ليلى"
        status = events(app, f"session:{sid}", "status")[-1]
        assert status["status"] == "human_active" and status["display_name"] == "ليلى"
        assert status["assigned_agent"] == "layla.k"  # the login name stays for staff tools
        accepted = events(app, "agents", "assignment")[-1]
        assert accepted["action"] == "accepted" and accepted["display_name"] == "ليلى"

        # A transfer announces the colleague by display name too.
        moved = await client.post(f"/v1/handoff/{sid}/transfer", json={"agent": "omar77"}, headers=layla)
        assert moved.status_code == 200, moved.text
        assert events(app, f"session:{sid}", "status")[-1]["display_name"] == "Omar"
        assert events(app, "agents", "assignment")[-1]["display_name"] == "Omar"
        transcript = (await client.get(f"/v1/session/{sid}/messages", headers={"X-Session-Token": token})).json()
        notices = [m["text"] for m in transcript["messages"] if m["role"] == "system"]
        assert any("ليلى" in n for n in notices) and any("Omar" in n for n in notices)
        assert not any(name in text for text in notices for name in ("layla.k", "omar77"))

        # The customer's event stream opens with the assigned agent's display name.
        async with open_stream(client, f"/v1/session/{sid}/stream", {"X-Session-Token": token}) as stream:
            snapshot = (await stream.next("status"))["data"]
        assert snapshot["display_name"] == "Omar" and snapshot["status"] == "human_active"
        assert (
            await client.post(f"/v1/handoff/{sid}/resolve", json={"status": "solved"}, headers=omar)
        ).status_code == 200

        # No display name: a generic name in the customer's language, never "agent9".
        answer = await ask_for_agent(client, lang="en")
        sid, token = answer["session_id"], answer["session_token"]
        assert (await client.post(f"/v1/handoff/{sid}/accept", headers=nameless)).status_code == 200
        sent = await client.post(f"/v1/session/{sid}/agent-message", json={"message": "Hi"}, headers=nameless)
        assert sent.json()["message"]["sender_name"] is None  # the widget says "an agent" in its language
        assert events(app, f"session:{sid}", "status")[-1]["display_name"] is None
        transcript = (await client.get(f"/v1/session/{sid}/messages", headers={"X-Session-Token": token})).json()
        joined = [m["text"] for m in transcript["messages"] if m["role"] == "system"][-1]
        assert joined == "A customer service agent joined the conversation."
        assert "agent9" not in json.dumps(transcript)
        # Canned replies fill {agent_name} with what the customer should read, too.
        replies = (await client.get(f"/v1/canned-replies?session_id={sid}", headers=nameless)).json()
        assert not any("agent9" in (r.get("rendered") or "") for r in replies["canned_replies"])

        # Staff tools can tell a real display name from the username fallback.
        me = (await client.get("/v1/auth/me", headers=nameless)).json()
        assert me["display_name"] == "agent9" and me["display_name_set"] is False
        me = (await client.get("/v1/auth/me", headers=layla)).json()
        assert me["display_name"] == "ليلى" and me["display_name_set"] is True


def test_cli_gives_display_names_at_creation(tmp_path: Path, monkeypatch: Any) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("ADMIN_PASSWORD", "first-admin-pass-2024")
    result = runner.invoke(cli, ["init", "--data-dir", str(data), "--admin-name", "Layla (مديرة)"])
    assert result.exit_code == 0, result.output
    assert "shown to customers as: Layla (مديرة)" in result.output
    result = runner.invoke(
        cli, ["user", "add", "omar", "--role", "agent", "--name", "Omar", "--generate", "--data-dir", str(data)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["user", "add", "sara", "--role", "agent", "--generate", "--data-dir", str(data)])
    assert result.exit_code == 0 and 'customers see "customer service"' in result.output
    listed = {
        u["username"]: u
        for u in json.loads(runner.invoke(cli, ["user", "list", "--json", "--data-dir", str(data)]).output)
    }
    assert listed["admin"]["display_name"] == "Layla (مديرة)" and listed["admin"]["display_name_set"] is True
    assert listed["omar"]["display_name"] == "Omar"
    assert listed["sara"]["display_name_set"] is False


def test_first_admin_without_a_name_is_not_shown_to_customers_by_username(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["init", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert 'customers see "customer service"' in result.output
    listed = json.loads(runner.invoke(cli, ["user", "list", "--json", "--data-dir", str(tmp_path / "data")]).output)
    assert listed[0]["username"] == "admin" and listed[0]["display_name_set"] is False
