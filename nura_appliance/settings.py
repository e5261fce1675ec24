"""One settings registry: every setting has a name, a default, a type, help text and validation.

Precedence, lowest first: the defaults below < ``DATA_DIR/nura.toml`` < environment variables
< explicit overrides (CLI flags). Environment names are the setting names themselves (the
original NURA's names are kept, e.g. ``OPENAI_API_KEY``, ``HANDOFF_TRIGGERS``); a setting may
also list aliases. ``nura.toml`` uses the same names, in upper or lower case.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from croniter import croniter

from nura_appliance.errors import ConfigError
from nura_appliance.languages import LANGS
from nura_appliance.settings_fields import SettingFields

# Generated secrets (``nura_appliance/auth/secrets.py``), read below nura.toml and the environment.
SECRETS_FILE = "secrets.toml"


@dataclass(frozen=True)
class Setting:
    """One configurable value."""

    name: str
    default: Any
    help: str
    kind: type = str
    secret: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    check: Callable[[Any], str | None] | None = None
    section: str = "core"


def _list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected true/false, got {value!r}")


def _networks_problem(value: Any) -> str | None:
    import ipaddress

    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"{item!r} is not an IP address or network"
    return None


_DAILY_TIME = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")


def _schedule_problem(value: Any) -> str | None:
    """BACKUP_SCHEDULE: off, daily ``HH:MM`` times, or a five-field cron line (ops/schedule.py
    reads it; checked here so that a typo stops start-up with the setting's name)."""
    text = str(value).strip()
    if text.lower() in ("", "off", "none", "disabled"):
        return None
    if all(_DAILY_TIME.match(part.strip()) for part in text.split(",")):
        return None
    if len(text.split()) == 5 and croniter.is_valid(text):
        return None
    return (
        f"{text!r} is neither daily times like 03:00 (or 03:00, 15:30) nor a five-field cron line like"
        " '0 3 * * *'; use 'off' to turn scheduled backups off"
    )


SETTINGS: tuple[Setting, ...] = (
    # -- core ---------------------------------------------------------------------------------
    Setting("NURA_DATA_DIR", "./data", "Directory for the database, cache, jobs, uploads and models."),
    Setting("NURA_HOST", "127.0.0.1", "Address `nura serve` listens on."),
    Setting("NURA_PORT", 8080, "Port `nura serve` listens on.", kind=int, minimum=1),
    Setting(
        "APP_ENV",
        "development",
        "Runtime environment; `production` refuses weak secrets and open CORS.",
        choices=("development", "staging", "production", "test"),
    ),
    Setting(
        "CORS_ORIGINS",
        "*",
        "Comma-separated browser origins allowed to call the API (`*` only outside production).",
        kind=list,
    ),
    Setting(
        "API_DOCS",
        "auto",
        "Who may open /docs and /docs/openapi.json: `public`, `admin` (an admin's bearer token), `off`;"
        " `auto` is off with APP_ENV=production and public otherwise.",
        choices=("auto", "public", "admin", "off"),
    ),
    Setting("COMPANY_NAME", "Sanad Telecom", "Company name used in prompts, canned replies and the widget."),
    Setting("AGENT_NAME", "Nura", "Assistant name shown to customers."),
    Setting("DEFAULT_LANG", "ar", "Language used when a message's language cannot be told.", choices=LANGS),
    Setting(
        "MESSAGE_MAX_CHARS",
        4000,
        "Longest customer message accepted, in characters.",
        kind=int,
        minimum=1,
        aliases=("NURA_MESSAGE_MAX_CHARS",),
    ),
    Setting("REQUEST_MAX_BYTES", 1_000_000, "Largest JSON request body accepted, in bytes.", kind=int, minimum=1024),
    Setting("UPLOAD_MAX_BYTES", 20_000_000, "Largest file upload accepted, in bytes.", kind=int, minimum=1024),
    Setting(
        "ATTACHMENTS_ENABLED",
        True,
        "Customers (widget, Telegram) and agents may attach photos and PDF files to a conversation.",
        kind=bool,
    ),
    Setting(
        "ATTACHMENT_MAX_BYTES",
        10_000_000,
        "Largest attached photo or PDF, in bytes (photos are checked before they are re-encoded).",
        kind=int,
        minimum=1024,
    ),
    Setting("ATTACHMENT_MAX_FILES", 4, "Most files attached in one message.", kind=int, minimum=1),
    Setting("SESSION_TTL_SECONDS", 3600, "Live-cache lifetime of a bot-only session.", kind=int, minimum=1),
    Setting("HANDOFF_SESSION_TTL_SECONDS", 86400, "Live-cache lifetime of a session in hand-off.", kind=int, minimum=1),
    Setting(
        "SESSION_LOCK_WAIT_SECONDS",
        30.0,
        "How long a customer message waits for the previous message of the same session to finish"
        " before it is refused with 409 busy (messages of one session are handled in order).",
        kind=float,
        minimum=0.1,
    ),
    Setting(
        "SESSION_IDLE_CLOSE_SECONDS",
        86400,
        "A bot-only session idle this long is closed by the expiry job.",
        kind=int,
        minimum=60,
    ),
    Setting("SLOW_REQUEST_MS", 500, "Requests slower than this are logged as slow.", kind=int, minimum=1),
    Setting("LOG_JSON", False, "Write structured JSON log lines.", kind=bool, aliases=("NURA_LOG_JSON",)),
    Setting(
        "LOAD_DEFAULT_KNOWLEDGE", True, "Load the bundled knowledge pack into an empty database at start.", kind=bool
    ),
    # -- auth -------------------------------------------------------------------------------
    Setting(
        "API_KEY",
        "",
        "Legacy bearer key with admin scope for automation (empty: a random one is generated into"
        " `DATA_DIR/secrets.toml` on first start).",
        secret=True,
        section="auth",
    ),
    Setting("API_KEY_ENABLED", True, "Accept the legacy `Authorization: Bearer $API_KEY`.", kind=bool, section="auth"),
    Setting(
        "ADMIN_SECRET_KEY",
        "",
        "Key that signs admin/agent access tokens (empty: a random one is generated into"
        " `DATA_DIR/secrets.toml` on first start; set the same value on every machine in scale-out).",
        secret=True,
        section="auth",
    ),
    Setting("ADMIN_USERNAME", "admin", "Username of the first admin created by `nura init`.", section="auth"),
    Setting(
        "ADMIN_DISPLAY_NAME",
        "",
        "Display name of the first admin, shown to customers who chat with them (empty: customers see a"
        " generic 'customer service'; set it later on the Users page).",
        section="auth",
    ),
    Setting(
        "ADMIN_PASSWORD",
        "",
        "Password of the first admin (generated and printed once when empty).",
        secret=True,
        section="auth",
    ),
    Setting("ADMIN_TOKEN_TTL_SECONDS", 43200, "Lifetime of an access token.", kind=int, minimum=60, section="auth"),
    Setting(
        "PASSWORD_HASH_MEMORY_KIB",
        19456,
        "argon2id memory per password hash, in KiB (19456 = 19 MiB, OWASP's minimum; `APP_ENV=production`"
        " refuses less). Hashes made with other parameters are re-hashed at the next login.",
        kind=int,
        minimum=8,
        section="auth",
    ),
    Setting(
        "PASSWORD_HASH_TIME_COST",
        2,
        "argon2id passes per password hash (`APP_ENV=production` refuses fewer than 2).",
        kind=int,
        minimum=1,
        section="auth",
    ),
    Setting(
        "CUSTOMER_HMAC_SECRET",
        "",
        "Shared secret for verified customer identities (HMAC of customer_id).",
        secret=True,
        section="auth",
    ),
    Setting(
        "RATE_LIMIT_MESSAGES_PER_MINUTE",
        30,
        "Customer messages per session per minute.",
        kind=int,
        minimum=1,
        section="auth",
    ),
    Setting(
        "RATE_LIMIT_IP_PER_MINUTE",
        600,
        "Public API requests per IP per minute (a flood stop: many customers of a mobile carrier share one"
        " address; the fine-grained limits are per session).",
        kind=int,
        minimum=1,
        section="auth",
    ),
    Setting(
        "RATE_LIMIT_NEW_SESSIONS_PER_MINUTE",
        60,
        "New sessions per IP per minute, one budget for every route that starts a session (message,"
        " direct hand-off, attachment upload); sized for carrier NAT.",
        kind=int,
        minimum=1,
        section="auth",
    ),
    Setting(
        "RATE_LIMIT_NEW_SESSIONS_PER_CUSTOMER_PER_MINUTE",
        10,
        "New sessions per verified customer (CUSTOMER_HMAC_SECRET) per minute.",
        kind=int,
        minimum=1,
        section="auth",
    ),
    Setting(
        "HANDOFF_PENDING_PER_IP",
        20,
        "Hand-offs one IP may have waiting in the agents' queue at once (further requests get 429).",
        kind=int,
        minimum=1,
        section="auth",
    ),
    Setting(
        "TRUSTED_PROXIES",
        "",
        "Comma-separated addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For is"
        " believed; from any other peer the header is ignored.",
        kind=list,
        check=_networks_problem,
        section="auth",
    ),
    Setting(
        "RATE_LIMIT_LOGIN_PER_MINUTE", 10, "Login attempts per IP per minute.", kind=int, minimum=1, section="auth"
    ),
    Setting(
        "RATE_LIMIT_EVENTS_PER_MINUTE",
        120,
        "Widget analytics events per session (or IP) per minute.",
        kind=int,
        minimum=1,
        section="auth",
    ),
    Setting(
        "RATE_LIMIT_UPLOADS_PER_MINUTE",
        10,
        "File uploads per user (or IP) per minute.",
        kind=int,
        minimum=1,
        section="auth",
    ),
    Setting(
        "LOGIN_BACKOFF_AFTER_FAILURES",
        5,
        "Failed logins (per IP and username) before the back-off starts.",
        kind=int,
        minimum=1,
        section="auth",
    ),
    Setting(
        "MASK_PERSONAL_DATA", False, "Mask phone and national-ID-like numbers in exports.", kind=bool, section="auth"
    ),
    # -- knowledge and retrieval ------------------------------------------------------------------
    Setting("RAG_TOP_K", 4, "Handbook chunks retrieved per question.", kind=int, minimum=1, section="knowledge"),
    Setting(
        "RAG_ANSWER_THRESHOLD",
        0.8,
        "Calibrated handbook relevance at which the handbook answers outright without an LLM "
        "(the sentence or table row that holds the answer).",
        kind=float,
        minimum=0,
        section="knowledge",
    ),
    Setting(
        "RAG_FOUND_THRESHOLD",
        0.7,
        "Without an LLM, a handbook passage this relevant (below RAG_ANSWER_THRESHOLD) is offered as "
        '"here is what I found"; below it the customer gets the scope message.',
        kind=float,
        minimum=0,
        section="knowledge",
    ),
    Setting(
        "RAG_CHUNK_SIZE", 800, "Target handbook chunk size in characters.", kind=int, minimum=100, section="knowledge"
    ),
    Setting(
        "RAG_CHUNK_OVERLAP", 120, "Characters shared by neighbouring chunks.", kind=int, minimum=0, section="knowledge"
    ),
    Setting(
        "EMBEDDING_PROVIDER",
        "builtin",
        "Embedding provider: builtin (no download), openai or local.",
        choices=("builtin", "openai", "local"),
        aliases=("NURA_EMBEDDING_PROVIDER",),
        section="knowledge",
    ),
    Setting(
        "LOCAL_EMBEDDING_MODEL",
        "",
        "GGUF embedding model for EMBEDDING_PROVIDER=local.",
        aliases=("NURA_LOCAL_EMBEDDING_MODEL",),
        section="knowledge",
    ),
    Setting(
        "ARTICLE_ENCODER",
        "off",
        "Multilingual sentence encoder as an extra signal of the article tier: off or use-m3 "
        "(USE multilingual v3, bundled weights, no download; docs/KNOWLEDGE.md).",
        choices=("off", "use-m3"),
        section="knowledge",
    ),
    Setting(
        "ANSWER_THRESHOLD",
        0.5,
        "Confidence at which the article tier answers directly (tuned on knowledge/eval).",
        kind=float,
        minimum=0,
        section="knowledge",
    ),
    Setting(
        "AMBIGUOUS_THRESHOLD",
        0.4,
        "Confidence at which close candidates are offered as quick replies.",
        kind=float,
        minimum=0,
        section="knowledge",
    ),
    # -- AI -----------------------------------------------------------------------------------
    Setting(
        "NURA_LLM_PROVIDER",
        "auto",
        "LLM provider: auto, openai, local or off.",
        choices=("auto", "openai", "local", "off"),
        section="ai",
    ),
    Setting(
        "AI_ENABLED",
        True,
        "Master switch for the LLM tier (also toggled at /v1/ai/enable|disable).",
        kind=bool,
        section="ai",
    ),
    Setting("OPENAI_API_KEY", "", "API key for OpenAI or an OpenAI-compatible server.", secret=True, section="ai"),
    Setting(
        "OPENAI_BASE_URL", "", "Base URL of an OpenAI-compatible server (Ollama, vLLM, llama_cpp.server).", section="ai"
    ),
    Setting("OPENAI_MODEL", "gpt-4o-mini", "Chat model for generated answers.", section="ai"),
    Setting(
        "OPENAI_EMBEDDING_MODEL",
        "text-embedding-3-small",
        "Embedding model for EMBEDDING_PROVIDER=openai.",
        section="ai",
    ),
    Setting(
        "NURA_LOCAL_MODEL",
        "",
        "Path of a GGUF chat model for the local provider (else DATA_DIR/models/).",
        section="ai",
    ),
    Setting(
        "LLM_TIMEOUT_SECONDS",
        20.0,
        "Longest wait for one LLM answer before falling back.",
        kind=float,
        minimum=0.1,
        section="ai",
    ),
    Setting(
        "LLM_PRICES",
        "gpt-4o-mini=0.15/0.60,gpt-4o=2.50/10.00,gpt-4.1-mini=0.40/1.60,text-embedding-3-small=0.02/0",
        "Price table in USD per million tokens, `model=input/output`, "
        "comma-separated (unlisted models and local models cost 0).",
        section="ai",
    ),
    Setting("LLM_MAX_TOKENS", 350, "Longest generated answer, in tokens.", kind=int, minimum=16, section="ai"),
    Setting("LLM_TEMPERATURE", 0.2, "Sampling temperature of generated answers.", kind=float, minimum=0, section="ai"),
    Setting(
        "LLM_CONTEXT_TOKENS",
        1500,
        "Token budget for retrieved passages in one prompt (capped by the local model's context).",
        kind=int,
        minimum=100,
        section="ai",
    ),
    Setting(
        "LLM_MEMORY_TURNS",
        6,
        "Recent conversation turns given to the LLM as memory.",
        kind=int,
        minimum=0,
        section="ai",
    ),
    Setting(
        "LLM_MIN_OVERLAP",
        0.5,
        "Share of an answer's content words that must occur in the retrieved "
        "context, else the extractive answer is used.",
        kind=float,
        minimum=0,
        section="ai",
    ),
    Setting(
        "LLM_STREAM",
        True,
        "Stream generated tokens to the widget as `token` events on the session stream.",
        kind=bool,
        section="ai",
    ),
    Setting(
        "LLM_BREAKER_COOLDOWN_SECONDS",
        30.0,
        "After a provider failure, skip it this long before probing "
        "it again (doubles while it stays down, up to 10 minutes).",
        kind=float,
        minimum=1,
        section="ai",
    ),
    Setting(
        "LLM_HEALTH_TTL_SECONDS",
        60.0,
        "How long a provider health probe result is reused.",
        kind=float,
        minimum=1,
        section="ai",
    ),
    Setting(
        "RAG_MIN_SCORE",
        0.3,
        "Calibrated handbook relevance below which no passage goes to the LLM (the customer gets the "
        "scope message); the LLM is told to decline when the passages do not answer.",
        kind=float,
        minimum=0,
        section="ai",
    ),
    Setting(
        "LOCAL_LLM_CONTEXT",
        4096,
        "Context window (tokens) of the local llama.cpp model.",
        kind=int,
        minimum=512,
        section="ai",
    ),
    Setting(
        "LOCAL_LLM_THREADS", 0, "CPU threads for the local model (0: all cores).", kind=int, minimum=0, section="ai"
    ),
    Setting(
        "LOCAL_LLM_QUEUE_SIZE",
        4,
        "Requests that may wait for the local model; more fall back at once.",
        kind=int,
        minimum=1,
        section="ai",
    ),
    # -- hand-off ----------------------------------------------------------------------------------
    Setting("HANDOFF_ENABLED", True, "Allow hand-off to human agents.", kind=bool, section="handoff"),
    Setting(
        "HANDOFF_TRIGGERS",
        "explicit,sentiment,low_confidence,feedback,button",
        "Enabled hand-off triggers (comma-separated).",
        kind=list,
        section="handoff",
    ),
    Setting(
        "HANDOFF_LOW_CONFIDENCE_COUNT",
        3,
        "Low-confidence answers in a row that trigger a hand-off.",
        kind=int,
        minimum=1,
        section="handoff",
    ),
    Setting(
        "HANDOFF_NEGATIVE_SENTIMENT_COUNT",
        2,
        "Negative messages in a session that trigger a hand-off.",
        kind=int,
        minimum=1,
        section="handoff",
    ),
    Setting(
        "HANDOFF_BAD_FEEDBACK_COUNT",
        1,
        "Thumbs-down ratings in a conversation that trigger a hand-off.",
        kind=int,
        minimum=1,
        section="handoff",
    ),
    Setting(
        "HANDOFF_PENDING_ALERT_SECONDS",
        300,
        "A hand-off waiting this long for an agent is flagged as stale.",
        kind=int,
        minimum=1,
        section="handoff",
    ),
    Setting(
        "RATE_LIMIT_TYPING_PER_MINUTE",
        60,
        "Typing events per session and sender per minute.",
        kind=int,
        minimum=1,
        section="handoff",
    ),
    Setting(
        "SSE_PING_SECONDS",
        15.0,
        "Interval of the keep-alive comment on event streams.",
        kind=float,
        minimum=0.05,
        section="handoff",
    ),
    Setting(
        "LIFECYCLE_INTERVAL_SECONDS",
        60,
        "How often session expiry and stale hand-off checks run.",
        kind=int,
        minimum=1,
        section="handoff",
    ),
    Setting(
        "BUSINESS_HOURS",
        "sat-thu 08:00-22:00",
        "Working hours, e.g. `sat-thu 08:00-22:00; fri 14:00-20:00` (empty: always open).",
        section="handoff",
    ),
    Setting("BUSINESS_TIMEZONE", "Asia/Baghdad", "Time zone of BUSINESS_HOURS.", section="handoff"),
    Setting("AGENT_CAPACITY", 5, "Most active chats one agent may hold.", kind=int, minimum=1, section="handoff"),
    Setting(
        "ESCALATION_WEBHOOK_URL", "", "URL that receives a signed JSON event on every hand-off.", section="handoff"
    ),
    Setting(
        "ESCALATION_WEBHOOK_SECRET",
        "",
        "HMAC-SHA256 key for escalation webhook signatures.",
        secret=True,
        section="handoff",
    ),
    # -- jobs ----------------------------------------------------------------------------------------
    Setting(
        "BACKGROUND_JOBS_ENABLED",
        True,
        "Enqueue background jobs (intent classification, webhooks, …).",
        kind=bool,
        section="jobs",
    ),
    Setting("JOB_WORKER_ENABLED", True, "Run the job consumer inside `nura serve`.", kind=bool, section="jobs"),
    Setting("JOB_WORKERS", 2, "Consumer threads for background jobs.", kind=int, minimum=1, section="jobs"),
    Setting(
        "JOB_MAX_ATTEMPTS", 5, "Attempts before a job moves to the failed list.", kind=int, minimum=1, section="jobs"
    ),
    Setting(
        "JOB_RETRY_DELAY_SECONDS",
        10,
        "Base delay between job retries (doubles each attempt).",
        kind=int,
        minimum=0,
        section="jobs",
    ),
    Setting(
        "JOB_LEASE_SECONDS",
        30,
        "A running job's lease; a job whose worker died is re-run after it expires.",
        kind=int,
        minimum=2,
        section="jobs",
    ),
    # -- channels -----------------------------------------------------------------------------------
    Setting(
        "TELEGRAM_BOT_TOKEN", "", "Telegram bot token (empty: Telegram channel off).", secret=True, section="channels"
    ),
    Setting(
        "TELEGRAM_POLLER_ENABLED",
        False,
        "Poll Telegram for updates inside `nura serve`.",
        kind=bool,
        section="channels",
    ),
    Setting(
        "TELEGRAM_WEBHOOK_SECRET",
        "",
        "Secret path and header value for Telegram webhook mode.",
        secret=True,
        section="channels",
    ),
    Setting("TELEGRAM_API_BASE", "https://api.telegram.org", "Base URL of the Telegram Bot API.", section="channels"),
    Setting(
        "WHATSAPP_TOKEN",
        "",
        "Access token of the WhatsApp Business Cloud API, a permanent system-user token (empty: WhatsApp off).",
        secret=True,
        section="channels",
    ),
    Setting(
        "WHATSAPP_PHONE_NUMBER_ID",
        "",
        "Phone number ID of the WhatsApp Business number that customers write to.",
        section="channels",
    ),
    Setting(
        "WHATSAPP_APP_SECRET",
        "",
        "Meta app secret: every webhook POST must carry its X-Hub-Signature-256.",
        secret=True,
        section="channels",
    ),
    Setting(
        "WHATSAPP_VERIFY_TOKEN",
        "",
        "Token Meta sends when it verifies the webhook address (GET /v1/whatsapp/webhook).",
        secret=True,
        section="channels",
    ),
    Setting(
        "WHATSAPP_API_BASE",
        "https://graph.facebook.com/v21.0",
        "Base URL of the Graph API, with its version.",
        section="channels",
    ),
    Setting(
        "WHATSAPP_TEMPLATE_NAME",
        "",
        "Approved message template agents may send once a customer's 24-hour window has closed (empty: none).",
        section="channels",
    ),
    Setting(
        "WHATSAPP_TEMPLATE_LANG",
        "ar",
        "Language code of that template as Meta approved it (ar, en_US, …).",
        section="channels",
    ),
    Setting(
        "WHATSAPP_TEMPLATE_PARAMS",
        "",
        "Values of the template body's {{1}}, {{2}}… in order; `{agent_name}` and `{company_name}` are filled in.",
        kind=list,
        section="channels",
    ),
    # -- backups -------------------------------------------------------------------------------------
    Setting(
        "BACKUP_SCHEDULE",
        "03:00",
        "When scheduled backups run, in BUSINESS_TIMEZONE: daily times (`03:00`, `03:00, 15:30`) or a"
        " five-field cron line (`0 3 * * *`); `off` turns them off.",
        check=_schedule_problem,
        section="backups",
    ),
    Setting(
        "BACKUP_KEEP",
        7,
        "Scheduled backup archives kept; older ones are deleted after each successful backup.",
        kind=int,
        minimum=1,
        section="backups",
    ),
    Setting("BACKUP_DIR", "", "Folder of scheduled backups (empty: DATA_DIR/backups).", section="backups"),
    # -- scale-out and observability ----------------------------------------------------------------
    Setting(
        "NURA_DATABASE_URL", "", "postgresql://… to use PostgreSQL instead of SQLite.", secret=True, section="scale"
    ),
    Setting("NURA_REDIS_URL", "", "redis://… to use Redis instead of diskcache.", secret=True, section="scale"),
    Setting(
        "NURA_REDIS_PREFIX", "nura:", "Key prefix in Redis (several appliances may share one Redis).", section="scale"
    ),
    Setting(
        "METRICS_TOKEN",
        "",
        "Bearer token that may read /v1/metrics besides admins.",
        secret=True,
        aliases=("NURA_METRICS_TOKEN",),
        section="scale",
    ),
)

_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def _convert(setting: Setting, raw: Any) -> Any:
    try:
        if setting.kind is bool:
            value: Any = _bool(raw)
        elif setting.kind is list:
            value = _list(raw)
        elif setting.kind is int:
            value = int(raw)
        elif setting.kind is float:
            value = float(raw)
        else:
            value = str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{setting.name}: {exc}") from None
    if setting.choices and value not in setting.choices:
        raise ConfigError(f"{setting.name} must be one of {', '.join(setting.choices)} (got {value!r})")
    if setting.minimum is not None and value < setting.minimum:
        raise ConfigError(f"{setting.name} must be at least {setting.minimum} (got {value!r})")
    if setting.check is not None:
        problem = setting.check(value)
        if problem:
            raise ConfigError(f"{setting.name}: {problem}")
    return value


def convert_setting(setting: Setting, raw: Any) -> Any:
    """``raw`` converted and checked by ``setting``'s rules; ConfigError naming it otherwise."""
    return _convert(setting, raw)


def _lookup(source: Mapping[str, Any], setting: Setting) -> tuple[bool, Any]:
    for key in (setting.name, *setting.aliases):
        for candidate in (key, key.lower()):
            if candidate in source:
                return True, source[candidate]
    return False, None


_FIELD_TYPES = {str: "str", int: "int", float: "float", bool: "bool", list: "list[str]"}


def render_fields() -> str:
    """The source of ``settings_fields.py``: one typed attribute per setting, for type checkers.

    Regenerate with ``make settings-fields`` after adding or changing a setting; a test fails
    while the file and ``SETTINGS`` disagree.
    """
    lines = [
        '"""Typed attribute declarations for ``Settings`` — generated from ``SETTINGS``; do not edit.',
        "",
        "Regenerate with ``make settings-fields``. At run time each setting is a property of",
        "``Settings`` reading ``Settings.values``; these annotations only give every setting its type.",
        '"""',
        "",
        "",
        "class SettingFields:",
        '    """One attribute per setting, in lower case."""',
        "",
    ]
    lines += [f"    {s.name.lower()}: {_FIELD_TYPES[s.kind]}" for s in SETTINGS]
    return "\n".join(lines) + "\n"


@dataclass
class Settings(SettingFields):
    """Effective settings; read values as attributes in lower case (``settings.company_name``).

    Every setting has a declared type (``SettingFields``); a name that is not a setting is an
    error for the type checker and ``AttributeError`` at run time.
    """

    values: dict[str, Any]
    origins: dict[str, str] = field(default_factory=dict)

    if not TYPE_CHECKING:

        def __getattr__(self, item: str) -> Any:
            values = self.__dict__.get("values")
            if values is None:
                raise AttributeError(item)
            try:
                return values[item.upper()]
            except KeyError:
                raise AttributeError(item) from None

    def get(self, name: str) -> Any:
        return self.values[name]

    @property
    def data_dir(self) -> Path:
        return Path(self.values["NURA_DATA_DIR"]).expanduser().resolve()

    @property
    def is_production(self) -> bool:
        return self.values["APP_ENV"] == "production"

    @property
    def api_docs_access(self) -> str:
        """``public``, ``admin`` or ``off`` (``API_DOCS=auto`` resolved by ``APP_ENV``)."""
        chosen = self.values["API_DOCS"]
        if chosen == "auto":
            return "off" if self.is_production else "public"
        return str(chosen)

    def replace(self, **overrides: Any) -> Settings:
        """A copy with some values replaced (validated like any other source)."""
        values = dict(self.values)
        origins = dict(self.origins)
        for key, raw in overrides.items():
            setting = _BY_NAME[key.upper()]
            values[setting.name] = _convert(setting, raw)
            origins[setting.name] = "override"
        return Settings(values, origins)

    def masked(self) -> dict[str, Any]:
        """Values with secrets masked, for display (``nura doctor``, support bundles)."""
        shown: dict[str, Any] = {}
        for setting in SETTINGS:
            value = self.values[setting.name]
            if setting.secret and value:
                value = "****" + (str(value)[-2:] if len(str(value)) > 8 else "")
            shown[setting.name] = value
        return shown


def _reader(name: str) -> property:
    def read(self: Settings) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name.lower()) from None

    return property(read, doc=_BY_NAME[name].help)


# Every registered setting is a property of Settings reading ``values`` (what ``__getattr__`` does
# for any other name). ``__getattr__`` only runs after the ordinary lookup has failed, which costs
# about 1 µs a read; a customer message reads a dozen settings (docs/PERFORMANCE.md, issue 18).
# ``values`` stays the one place the settings live: changes to it (runtime settings) show at once.
for _setting in SETTINGS:
    if not hasattr(Settings, _setting.name.lower()):
        setattr(Settings, _setting.name.lower(), _reader(_setting.name))


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> Settings:
    """Build the effective settings from defaults, ``nura.toml``, the environment and overrides."""
    env = os.environ if environ is None else environ
    overrides = {k.upper(): v for k, v in (overrides or {}).items() if v is not None}
    if data_dir is not None:
        overrides["NURA_DATA_DIR"] = str(data_dir)
    unknown = [k for k in overrides if k not in _BY_NAME]
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")

    # The data dir decides where nura.toml lives, so resolve it first.
    found, raw_dir = _lookup(overrides, _BY_NAME["NURA_DATA_DIR"])
    if not found:
        found, raw_dir = _lookup(env, _BY_NAME["NURA_DATA_DIR"])
    directory = Path(str(raw_dir if found else _BY_NAME["NURA_DATA_DIR"].default)).expanduser()
    file_values: dict[str, Any] = {}
    toml_path = directory / "nura.toml"
    if toml_path.is_file():
        try:
            file_values = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{toml_path}: {exc}") from None

    secret_values: dict[str, Any] = {}
    secrets_path = directory / SECRETS_FILE
    if secrets_path.is_file():
        try:
            generated = tomllib.loads(secrets_path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{secrets_path}: {exc}") from None
        secret_values = {k: v for k, v in generated.items() if k in ("API_KEY", "ADMIN_SECRET_KEY") and v}

    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for setting in SETTINGS:
        value, origin = _convert(setting, setting.default), "default"
        sources = (
            ("secrets.toml", secret_values),
            ("nura.toml", file_values),
            ("environment", env),
            ("override", overrides),
        )
        for label, source in sources:
            hit, raw = _lookup(source, setting)
            if hit:
                value, origin = _convert(setting, raw), label
        values[setting.name] = value
        origins[setting.name] = origin
    return Settings(values, origins)
