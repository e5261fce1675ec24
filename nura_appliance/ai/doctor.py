"""``nura doctor``'s LLM check: which provider would answer and why, without starting the app."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from nura_appliance.ai.local import find_local_model, inspect_model, llama_available
from nura_appliance.ai.service import openai_configured
from nura_appliance.settings import Settings
from nura_appliance.storage.stores import open_stores

_PROBE_TIMEOUT = 3.0


def _switch_enabled(settings: Settings) -> tuple[bool, str]:
    """The AI switch as the server will see it (persisted value, else AI_ENABLED)."""
    try:
        _, stores = open_stores(settings)
    except Exception as exc:  # noqa: BLE001 - the database check reports this problem itself
        return bool(settings.ai_enabled), f"AI_ENABLED (database unreadable: {exc})"
    try:
        switch = asyncio.run(stores.ai.switch())
    finally:
        stores.db.close()
    if switch is not None:
        return switch, "set at /v1/ai/enable|disable"
    return bool(settings.ai_enabled), "AI_ENABLED"


def probe_openai(settings: Settings) -> tuple[bool, str]:
    base = (settings.openai_base_url or "https://api.openai.com/v1").rstrip("/")
    headers = {"Authorization": f"Bearer {settings.openai_api_key}"} if settings.openai_api_key else {}
    try:
        resp = httpx.get(f"{base}/models", headers=headers, timeout=_PROBE_TIMEOUT)
    except httpx.HTTPError as exc:
        return False, f"{base} unreachable: {type(exc).__name__}"
    if resp.status_code != 200:
        return False, f"{base} answered {resp.status_code}"
    return True, f"{base} reachable, model {settings.openai_model}"


def probe_local(settings: Settings) -> tuple[bool, str]:
    if not llama_available():
        return False, "llama-cpp-python is not installed (pip install 'nura-appliance[local]')"
    path = find_local_model(settings)
    if path is None:
        return False, f"no GGUF model (NURA_LOCAL_MODEL or {settings.data_dir / 'models'}/*.gguf)"
    try:
        info = inspect_model(path)
    except Exception as exc:  # noqa: BLE001 - reported to the admin
        return False, f"{path.name} unreadable: {exc}"
    if not info["chat_template"]:
        return False, f"{path.name} has no chat template"
    return True, f"{path.name} ({info['bytes'] / 1e6:.0f} MB, {info['architecture']})"


def describe_llm(settings: Settings) -> dict[str, Any]:
    """The doctor check: ``ok`` is False only when an explicitly chosen provider cannot work."""
    choice = settings.nura_llm_provider
    enabled, why_switch = _switch_enabled(settings)
    found: dict[str, tuple[bool, str]] = {}
    if choice in ("auto", "openai"):
        found["openai"] = (
            probe_openai(settings)
            if openai_configured(settings)
            else (False, "not configured (OPENAI_API_KEY / OPENAI_BASE_URL)")
        )
    if choice in ("auto", "local"):
        found["local"] = probe_local(settings)
    details = "; ".join(f"{name}: {why}" for name, (_, why) in found.items())
    if not enabled:
        return {"ok": True, "provider": None, "detail": f"AI switch off ({why_switch}): extractive answers only"}
    if choice == "off":
        return {"ok": True, "provider": None, "detail": "NURA_LLM_PROVIDER=off: extractive answers only"}
    for name, (usable, _) in found.items():
        if usable:
            return {"ok": True, "provider": name, "detail": f"{name} would answer — {details}"}
    return {
        "ok": choice == "auto",
        "provider": None,
        "detail": f"no LLM would answer, extractive answers only — {details}",
    }
