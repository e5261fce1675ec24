"""Run-time settings from the web admin (GET/PATCH /v1/admin/settings): who may, validation with
nothing half-written, the effect on customers without a restart, persistence, fallback on reset,
the audit trail, another process noticing, and the PostgreSQL store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auth_helpers import bearer, staff_tokens
from conftest import fetch_rows, initialised_copy, make_settings, new_session, running_app
from test_store_contract import scale_backends

from nura_appliance.ops.admin_settings import AdminSettings

URL = "/v1/admin/settings"
API_KEY_ADMIN = {"Authorization": "Bearer suite-api-key-Vb4Rz8Kq2Wn6Tx9M"}  # the test settings' API key (admin)


def by_name(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in listing["settings"]}


async def test_only_admins_read_and_change_settings(data_dir: Path) -> None:
    async with running_app(make_settings(initialised_copy(data_dir))) as (app, client):
        tokens = await staff_tokens(app, client)
        assert (await client.get(URL)).status_code == 401
        for role in ("agent", "viewer"):
            assert (await client.get(URL, headers=bearer(tokens[role]))).status_code == 403
            refused = await client.patch(URL, json={"company_name": "X"}, headers=bearer(tokens[role]))
            assert refused.status_code == 403
        listing = (await client.get(URL, headers=bearer(tokens["admin"]))).json()
        company = by_name(listing)["COMPANY_NAME"]
        assert company["value"] == "Sanad Telecom" and company["source"] == "default"
        assert set(by_name(listing)) >= {"HANDOFF_TRIGGERS", "BUSINESS_HOURS", "BUSINESS_TIMEZONE", "AGENT_NAME"}
        assert listing["triggers"] == ["explicit", "sentiment", "low_confidence", "feedback", "button"]


async def test_bad_values_are_refused_and_nothing_is_half_written(data_dir: Path) -> None:
    async with running_app(make_settings(initialised_copy(data_dir))) as (app, client):
        admin = bearer((await staff_tokens(app, client))["admin"])
        cases = [
            ({"api_key": "x"}, "unknown_setting", "api_key"),
            ({"handoff_triggers": ["explicit", "psychic"]}, "invalid_field", "handoff_triggers"),
            ({"business_hours": "someday 8-9"}, "invalid_field", "business_hours"),
            ({"business_timezone": "Mars/Olympus"}, "invalid_field", "business_timezone"),
            ({"handoff_low_confidence_count": 0}, "invalid_field", "handoff_low_confidence_count"),
            ({"handoff_low_confidence_count": "3"}, "invalid_field", "handoff_low_confidence_count"),
            ({"handoff_enabled": "yes"}, "invalid_field", "handoff_enabled"),
            ({"company_name": "   "}, "invalid_field", "company_name"),
            ({"company_name": "x" * 201}, "invalid_field", "company_name"),
            # one good value next to a bad one: the good one is not written either
            ({"agent_name": "Layla", "business_timezone": "Nowhere"}, "invalid_field", "business_timezone"),
            ({}, "empty_change", None),
        ]
        for body, code, field in cases:
            resp = await client.patch(URL, json=body, headers=admin)
            assert resp.status_code == 422, (body, resp.text)
            error = resp.json()["error"]
            assert error["code"] == code, body
            if field:
                assert error["details"]["field"] == field
        not_json = await client.patch(URL, content=b"{oops", headers={**admin, "Content-Type": "application/json"})
        assert not_json.status_code == 400
        assert (await client.patch(URL, json=["company_name"], headers=admin)).status_code == 400
        listing = by_name((await client.get(URL, headers=admin)).json())
        assert all(item["source"] != "admin" for item in listing.values())
        assert app.ctx.nura.settings.agent_name == "Nura"
        assert not await fetch_rows(app.ctx.nura.db, "SELECT name FROM runtime_settings")


async def test_changes_reach_customers_at_once_persist_and_reset(data_dir: Path) -> None:
    settings = make_settings(initialised_copy(data_dir))
    async with running_app(settings) as (app, client):
        admin = bearer((await staff_tokens(app, client))["admin"])
        asked = await new_session(client, "اريد اكلم موظف خدمة العملاء")
        assert asked["escalated"] is True

        changed = await client.patch(
            URL,
            json={
                "company_name": "Zagros Mobile",
                "agent_name": "Layla",
                "handoff_triggers": ["sentiment", "button", "sentiment"],
                "business_hours": "sat-thu 09:00-17:00",
                "business_timezone": "Asia/Baghdad",
            },
            headers=admin,
        )
        assert changed.status_code == 200, changed.text
        listing = by_name(changed.json())
        assert listing["HANDOFF_TRIGGERS"]["value"] == ["sentiment", "button"]
        assert listing["COMPANY_NAME"]["source"] == "admin"
        assert listing["COMPANY_NAME"]["fallback"] == "Sanad Telecom"

        config = (await client.get("/v1/widget/config")).json()
        assert (config["company_name"], config["agent_name"]) == ("Zagros Mobile", "Layla")
        assert config["business_hours"]["spec"] == "sat-thu 09:00-17:00"
        # The explicit trigger is off now: asking for a person no longer hands off.
        again = await new_session(client, "اريد اكلم موظف خدمة العملاء")
        assert again["escalated"] is False and again["status"] == "bot"

        audit = await fetch_rows(
            app.ctx.nura.db, "SELECT actor, action, detail FROM audit_log WHERE action = ?", ("settings.change",)
        )
        assert len(audit) == 1 and audit[0]["actor"] == "admin-user" and "Zagros Mobile" in audit[0]["detail"]

    # A restart keeps the admin's values over the configured ones.
    async with running_app(settings) as (app, client):
        assert app.ctx.nura.settings.company_name == "Zagros Mobile"
        admin = API_KEY_ADMIN
        # null takes the admin's value away: back to the configured one.
        reset = await client.patch(URL, json={"company_name": None, "handoff_triggers": None}, headers=admin)
        listing = by_name(reset.json())
        assert listing["COMPANY_NAME"]["value"] == "Sanad Telecom" and listing["COMPANY_NAME"]["source"] == "default"
        assert "explicit" in listing["HANDOFF_TRIGGERS"]["value"]
        assert listing["AGENT_NAME"]["value"] == "Layla"  # untouched
        assert (await new_session(client, "اريد اكلم موظف خدمة العملاء"))["escalated"] is True


async def test_admin_values_win_over_the_environment_and_fall_back_to_it(data_dir: Path) -> None:
    settings = make_settings(data_dir, COMPANY_NAME="From Config")
    async with running_app(settings) as (app, client):
        admin = bearer((await staff_tokens(app, client))["admin"])
        await client.patch(URL, json={"company_name": "From Admin"}, headers=admin)
        assert (await client.get("/v1/widget/config")).json()["company_name"] == "From Admin"
        await client.patch(URL, json={"company_name": None}, headers=admin)
        assert (await client.get("/v1/widget/config")).json()["company_name"] == "From Config"


async def test_another_process_notices_a_change(data_dir: Path) -> None:
    """Two apps on one data directory stand for `nura serve` and `nura worker`."""
    settings = make_settings(initialised_copy(data_dir))
    async with running_app(settings) as (app, client), running_app(settings) as (other, _other_client):
        admin = bearer((await staff_tokens(app, client))["admin"])
        await client.patch(URL, json={"agent_name": "Rawan", "business_hours": ""}, headers=admin)
        service: AdminSettings = other.ctx.nura.admin_settings
        assert await service.poll_once() is True  # what its poll loop does every POLL_SECONDS
        assert other.ctx.nura.settings.agent_name == "Rawan"
        assert other.ctx.nura.handoff.hours.always_open
        assert await service.poll_once() is False  # nothing new


async def test_settings_in_postgresql_mode(data_dir: Path) -> None:
    with scale_backends() as backend:
        values = {k: v for k, v in backend.items() if k.startswith("NURA_")}
        settings = make_settings(data_dir, LOAD_DEFAULT_KNOWLEDGE=False, **values)
        async with running_app(settings) as (app, client):
            admin = bearer((await staff_tokens(app, client))["admin"])
            resp = await client.patch(
                URL, json={"company_name": "Kurdistan Net", "handoff_enabled": False}, headers=admin
            )
            assert resp.status_code == 200, resp.text
            rows = await fetch_rows(app.ctx.nura.db, "SELECT name, value FROM runtime_settings ORDER BY name")
            assert [r["name"] for r in rows] == ["COMPANY_NAME", "HANDOFF_ENABLED"]
        async with running_app(settings) as (app, client):
            config = (await client.get("/v1/widget/config")).json()
            assert config["company_name"] == "Kurdistan Net" and config["handoff_enabled"] is False
