"""Imported once by the fork server of ``nura serve --workers`` (Linux), so that every API worker
— the first ones and each one started again after a crash — begins as a copy of a process that
has the application's modules loaded already.

A worker imports much of its code only when it builds the app (each feature's ``setup`` imports
what it needs: Pillow, httpx, psycopg, Redis, Jinja …) and when it starts serving (the
PostgreSQL pool, llama.cpp's check). Measured on the 2-core test machine under load: building
the app took 2.0-2.6 s without these imports and 0.15-0.2 s with them, which is most of what a
restarted worker waits for. Nothing here opens a file, a connection or a thread of its own
(features build their state in listeners, never at import).
"""

from __future__ import annotations

from importlib import import_module

from nura_appliance.app import FEATURES

# Imported inside functions by the features and the stores, so importing FEATURES misses them.
LAZY_IMPORTS = (
    "PIL.Image",
    "httpx",
    "huey",
    "jinja2",
    "jwt",
    "prometheus_client",
    "psycopg",
    "psycopg_pool",
    "redis",
    "rich",
    "sanic_ext.extensions.templating.extension",
    "nura_appliance.storage.postgres.db",
    "nura_appliance.storage.postgres.migrations",
    "nura_appliance.storage.redis_bus",
    "nura_appliance.storage.redis_cache",
    "nura_appliance.storage.stores",
    "llama_cpp",  # the optional local LLM: only checked for at start-up, loaded later if used
)


def preload() -> list[str]:
    """Import the features and the modules they import lazily; returns those that are missing
    (optional extras)."""
    missing = []
    for name in (*FEATURES, *LAZY_IMPORTS):
        try:
            import_module(name)
        except ImportError:
            missing.append(name)
    return missing


preload()
