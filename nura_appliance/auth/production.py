"""Production start-up refusals: with ``APP_ENV=production`` the appliance will not start with
default or weak secrets, a weak admin password or an open CORS policy. Each refusal says what
to set. Called from ``create_app`` and ``nura serve``."""

from __future__ import annotations

import re

from nura_appliance.auth.passwords import MEMORY_KIB, TIME_COST, password_problem
from nura_appliance.auth.secrets import MIN_BITS, secret_problem
from nura_appliance.errors import ConfigError
from nura_appliance.settings import Settings

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
_GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def production_problems(settings: Settings) -> list[str]:
    """Every reason this configuration must not run in production, each with what to set."""
    problems: list[str] = []
    # An empty API_KEY/ADMIN_SECRET_KEY is generated at start (auth/secrets.py): strong by design.
    if settings.api_key_enabled and settings.api_key:
        weak = secret_problem(str(settings.api_key), "API_KEY")
        if weak:
            problems.append(
                f"{weak}: set API_KEY to a random value (e.g. `{_GENERATE}`), leave it empty to have one "
                "generated, or set API_KEY_ENABLED=false"
            )
    if settings.admin_secret_key:
        weak = secret_problem(str(settings.admin_secret_key), "ADMIN_SECRET_KEY")
        if weak:
            problems.append(
                f"{weak}: set ADMIN_SECRET_KEY to a random value (e.g. `{_GENERATE}`) or leave it empty to "
                "have one generated"
            )
    if settings.admin_password:
        weak = password_problem(str(settings.admin_password), str(settings.admin_username), strict=True)
        if weak:
            problems.append(
                f"ADMIN_PASSWORD is weak ({weak}): set ADMIN_PASSWORD to at least 12 characters that "
                "are not the username and not a common password, or leave it empty to have "
                "`nura init` generate one"
            )
    if int(settings.password_hash_memory_kib) < MEMORY_KIB or int(settings.password_hash_time_cost) < TIME_COST:
        problems.append(
            f"PASSWORD_HASH_MEMORY_KIB={settings.password_hash_memory_kib} / PASSWORD_HASH_TIME_COST="
            f"{settings.password_hash_time_cost} make password hashes cheaper to crack than OWASP's minimum:"
            f" set at least {MEMORY_KIB} and {TIME_COST} (the defaults) or remove them"
        )
    origins = list(settings.cors_origins)
    if "*" in origins:
        problems.append(
            "CORS_ORIGINS=* lets every website call the API: set CORS_ORIGINS to the sites that embed "
            "the widget, e.g. CORS_ORIGINS=https://www.example.com,https://shop.example.com"
        )
    else:
        bad = [o for o in origins if not _ORIGIN.match(o)]
        if bad:
            problems.append(
                f"CORS_ORIGINS has entries that are not origins ({', '.join(bad)}): use scheme://host"
                "[:port] with no path, e.g. https://www.example.com"
            )
    if settings.customer_hmac_secret:
        weak = secret_problem(str(settings.customer_hmac_secret), "CUSTOMER_HMAC_SECRET")
        if weak:
            problems.append(
                f"{weak}: set CUSTOMER_HMAC_SECRET to a random value (about {MIN_BITS['CUSTOMER_HMAC_SECRET'] // 6 + 1}"
                " random letters and digits or more) shared only with your website's server"
            )
    return problems


def check_production(settings: Settings) -> None:
    """Raise :class:`ConfigError` listing every problem when ``APP_ENV=production``."""
    if not settings.is_production:
        return
    problems = production_problems(settings)
    if problems:
        raise ConfigError("refusing to start with APP_ENV=production:\n  - " + "\n  - ".join(problems))
