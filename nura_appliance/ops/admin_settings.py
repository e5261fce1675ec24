"""Settings an admin may change at run time from the web admin: company and agent names, the
hand-off switch, triggers and thresholds, business hours and their time zone.

``GET /v1/admin/settings`` lists each with its effective value, where it comes from (``default``,
``file``, ``env``, ``override`` or ``admin``) and the value it falls back to without the admin's
change. ``PATCH /v1/admin/settings`` changes some of them (``null`` removes the admin's value);
every value is checked by the settings registry's own rules, the whole change is refused if one
is wrong, and it is written to ``runtime_settings`` in one transaction and audited.

Precedence: an admin's value wins over ``nura.toml`` and the environment for these names (the
person at the admin screen sees what customers get). Other processes — ``nura worker``, other
workers in scale-out mode — notice a change within ``POLL_SECONDS``; this process at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any, Protocol

from sanic import Blueprint, Request, Sanic
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.auth.access import ADMIN, access
from nura_appliance.errors import ConfigError, ValidationFailed
from nura_appliance.handoff.business_hours import BusinessHours, load_zone, parse_business_hours
from nura_appliance.http import json_object, on_context
from nura_appliance.settings import SETTINGS, Setting, convert_setting

if TYPE_CHECKING:  # annotations only: services of features beside this one
    from nura_appliance.auth.audit import AuditService
    from nura_appliance.handoff.service import HandoffService
    from nura_appliance.settings import Settings
    from nura_appliance.storage.stores import Stores

log = logging.getLogger(__name__)

bp = Blueprint("admin_settings", url_prefix="/v1/admin")

EDITABLE: tuple[str, ...] = (
    "COMPANY_NAME",
    "AGENT_NAME",
    "HANDOFF_ENABLED",
    "HANDOFF_TRIGGERS",
    "HANDOFF_LOW_CONFIDENCE_COUNT",
    "HANDOFF_NEGATIVE_SENTIMENT_COUNT",
    "HANDOFF_BAD_FEEDBACK_COUNT",
    "BUSINESS_HOURS",
    "BUSINESS_TIMEZONE",
)
TRIGGERS = ("explicit", "sentiment", "low_confidence", "feedback", "button")
MAX_TEXT = 200
POLL_SECONDS = 2.0
_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS if s.name in EDITABLE}


def check_value(name: str, raw: Any) -> Any:
    """The converted value of ``raw`` for setting ``name``, or ValidationFailed naming the field."""
    field = name.lower()

    def bad(message: str) -> ValidationFailed:
        return ValidationFailed(message, code="invalid_field", details={"field": field})

    setting = _BY_NAME[name]
    if setting.kind is list and isinstance(raw, list) and not all(isinstance(v, str) for v in raw):
        raise bad(f"'{field}' must be a list of names")
    if setting.kind is str and not isinstance(raw, str):
        raise bad(f"'{field}' must be a string")
    if setting.kind is int and (isinstance(raw, bool) or not isinstance(raw, int)):
        raise bad(f"'{field}' must be a whole number")
    if setting.kind is bool and not isinstance(raw, bool):
        raise bad(f"'{field}' must be true or false")
    try:
        value = convert_setting(setting, raw)
    except ConfigError as exc:
        raise bad(str(exc)) from None
    if isinstance(value, str):
        value = value.strip()
        if len(value) > MAX_TEXT:
            raise bad(f"'{field}' is longer than {MAX_TEXT} characters")
        if name in ("COMPANY_NAME", "AGENT_NAME") and not value:
            raise bad(f"'{field}' must not be empty")
    try:
        if name == "BUSINESS_TIMEZONE":
            load_zone(value)
        elif name == "BUSINESS_HOURS":
            parse_business_hours(value)
    except ConfigError as exc:
        raise bad(str(exc)) from None
    if name == "HANDOFF_TRIGGERS":
        unknown = [v for v in value if v not in TRIGGERS]
        if unknown:
            raise bad(f"unknown hand-off trigger(s): {', '.join(unknown)} (known: {', '.join(TRIGGERS)})")
        value = [t for t in TRIGGERS if t in value]  # one canonical order, no duplicates
    return value


class SettingsSite(Protocol):
    """What this feature uses of the app context; ``context.AppContext`` satisfies it (checked by
    mypy in ``context.py``), so this feature does not name the composition root above it."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def handoff(self) -> HandoffService | None: ...
    @property
    def audit(self) -> AuditService | None: ...

    admin_settings: AdminSettings | None


class AdminSettings:
    """``ctx.admin_settings``: the admin's values over the configured ones."""

    def __init__(self, ctx: SettingsSite) -> None:
        self.ctx = ctx
        self.store = ctx.stores.runtime_settings
        settings = ctx.settings
        # What each editable setting is without an admin's value (as loaded at start-up). Kept on
        # the Settings object too: an app built again on the same object (tests) must not take the
        # previous app's admin values for the configured ones.
        configured = settings.__dict__.setdefault("_configured", {})
        for name in EDITABLE:
            configured.setdefault(name, (settings.values[name], settings.origins.get(name, "default")))
        self.base: dict[str, tuple[Any, str]] = dict(configured)
        self._seen: tuple[int, float] | None = None
        self._task: asyncio.Task[None] | None = None

    # -- reading and applying -------------------------------------------------------------------
    async def _stored(self) -> dict[str, Any]:
        stored: dict[str, Any] = {}
        for name, text in (await self.store.values()).items():
            if name not in _BY_NAME:
                continue
            try:
                stored[name] = check_value(name, json.loads(text))
            except (ValueError, ValidationFailed):  # a row that no longer validates is ignored
                log.warning("ignoring the stored admin setting %s: it is no longer valid", name)
        return stored

    def apply(self, stored: dict[str, Any]) -> None:
        """Make ``stored`` (the admin's values) the effective settings of this process."""
        settings = self.ctx.settings
        hours_before = (settings.values["BUSINESS_HOURS"], settings.values["BUSINESS_TIMEZONE"])
        for name in EDITABLE:
            if name in stored:
                settings.values[name] = stored[name]
                settings.origins[name] = "admin"
            else:
                settings.values[name], settings.origins[name] = self.base[name]
        hours = (settings.values["BUSINESS_HOURS"], settings.values["BUSINESS_TIMEZONE"])
        handoff = self.ctx.handoff
        if hours != hours_before and handoff is not None:
            handoff.hours = BusinessHours(*hours)

    async def reload(self) -> None:
        self.apply(await self._stored())

    async def _marker(self) -> tuple[int, float]:
        return await self.store.marker()

    async def poll_once(self) -> bool:
        """Reload when another process changed the table; True when it did."""
        marker = await self._marker()
        if marker == self._seen:
            return False
        self._seen = marker
        await self.reload()
        return True

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep polling; the database may be busy briefly
                log.warning("reading admin settings failed", exc_info=True)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._poll_loop())

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    # -- the API --------------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        settings = self.ctx.settings
        items = []
        for name in EDITABLE:
            setting = _BY_NAME[name]
            base_value, base_origin = self.base[name]
            items.append(
                {
                    "name": name,
                    "key": name.lower(),
                    "value": settings.values[name],
                    "source": settings.origins.get(name, "default"),
                    "fallback": base_value,
                    "fallback_source": base_origin,
                    "default": setting.default if setting.kind is not list else _as_list(setting.default),
                    "help": setting.help,
                    "type": setting.kind.__name__,
                    **({"choices": list(TRIGGERS)} if name == "HANDOFF_TRIGGERS" else {}),
                    **({"minimum": setting.minimum} if setting.minimum is not None else {}),
                }
            )
        return {"settings": items, "triggers": list(TRIGGERS)}

    async def change(self, body: dict[str, Any], actor: str) -> dict[str, Any]:
        """Validate every value first, then write them all in one transaction, apply, audit."""
        if not body:
            raise ValidationFailed("send at least one setting to change", code="empty_change")
        checked: dict[str, Any] = {}
        for key, raw in body.items():
            name = str(key).upper()
            if name not in _BY_NAME:
                raise ValidationFailed(
                    f"'{key}' cannot be changed here (editable: {', '.join(n.lower() for n in EDITABLE)})",
                    code="unknown_setting",
                    details={"field": str(key)},
                )
            checked[name] = None if raw is None else check_value(name, raw)
        values = dict(self.ctx.settings.values)
        for name, value in checked.items():
            values[name] = self.base[name][0] if value is None else value
        try:  # the pair must work together (a valid spec in a valid zone)
            BusinessHours(values["BUSINESS_HOURS"], values["BUSINESS_TIMEZONE"])
        except ConfigError as exc:
            raise ValidationFailed(str(exc), code="invalid_field", details={"field": "business_hours"}) from None
        await self.store.change(
            {n: None if v is None else json.dumps(v, ensure_ascii=False) for n, v in checked.items()},
            actor,
            time.time(),
        )
        await self.reload()
        self._seen = await self._marker()
        audit = self.ctx.audit
        if audit is not None:
            await audit.record(actor, "settings.change", None, {n.lower(): v for n, v in checked.items()})
        return self.describe()


def _as_list(value: Any) -> list[str]:
    return [p.strip() for p in str(value).split(",") if p.strip()] if isinstance(value, str) else list(value)


def _service(request: Request) -> AdminSettings:
    return request.app.ctx.nura.admin_settings


@bp.get("/settings")
@access(ADMIN)
async def get_settings(request: Request) -> HTTPResponse:
    """The settings an admin may change here, with their values and where each comes from."""
    return json_response(_service(request).describe())


@bp.patch("/settings")
@access(ADMIN)
async def patch_settings(request: Request) -> HTTPResponse:
    """Change some of them (``null`` removes the admin's value); all or nothing."""
    principal = getattr(request.ctx, "principal", None)
    actor = getattr(principal, "username", None) or "api"
    return json_response(await _service(request).change(json_object(request), actor))


async def create_admin_settings(app: Sanic, ctx: SettingsSite) -> None:
    """Runs after the hand-off feature's hook (FEATURES order), so new business hours reach it."""
    service = AdminSettings(ctx)
    ctx.admin_settings = service
    await service.poll_once()  # the stored values, before the first request
    service.start()  # here, not in a server listener: `nura worker` runs these hooks too


def setup(app: Sanic) -> None:
    app.blueprint(bp)
    on_context(app, create_admin_settings)

    @app.before_server_stop
    async def stop_polling(app: Sanic) -> None:
        service = app.ctx.nura.admin_settings
        if service is not None:
            service.close()
