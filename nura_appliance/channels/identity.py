"""Who the customer is: the identity a host site gives the widget, verified or not.

The host page sets ``data-customer-id`` / ``data-customer-name`` / ``data-customer-signature`` on
the embed, or calls ``NuraWidget.setUser({id, name, phone, email, signature, attributes})``; the
widget sends ``customer_id``, ``customer_signature`` and ``customer: {name, phone, email,
attributes}`` with the first message of a session (``POST /v1/message``, ``/v1/handoff/direct``,
``/v1/attachments``) and to ``POST /v1/session/{id}/identity`` when the user changes.

* **Verified** means ``CUSTOMER_HMAC_SECRET`` is set and the signature is
  ``hex(HMAC-SHA256(secret, customer_id))`` (``auth.customer.verify_customer``; a wrong signature
  is 403). Only verified ids link sessions (``GET /v1/customers/{id}/sessions``, ``linked_sessions``
  in the session detail) and are stored as the session's ``customer_id``.
* **Unverified** identities (no secret configured, or no signature) are kept for the agent with
  ``verified: false``; the admin shows them as unverified. They never link sessions.

Agents see the identity as ``customer`` on every session summary (queue, sessions list, session
detail): ``{id, verified, name, phone, email, attributes}`` or ``null``. Viewers get only
``{id, verified, name}`` (viewers never see personal details or transcripts).
"""

from __future__ import annotations

import math
import re
import time
from typing import Any, Protocol

from sanic import Blueprint, Request, Sanic
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.auth.access import AGENT, ROLE_RANK, SESSION, access
from nura_appliance.auth.customer import verify_customer
from nura_appliance.conversation.sessions import SessionService
from nura_appliance.errors import ValidationFailed
from nura_appliance.http import int_arg, json_object, on_context, session_token
from nura_appliance.realtime.sse import AGENTS_CHANNEL
from nura_appliance.settings import Settings
from nura_appliance.storage.base import CustomerIdentity, IdentityStore
from nura_appliance.storage.bus import EventBus
from nura_appliance.storage.stores import Stores

bp = Blueprint("customer_identity", url_prefix="/v1")
_ID = re.compile(r"^[\w.@:+-]{1,128}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
_PHONE = re.compile(r"^[+\d\s().\-\u0660-\u0669\u06f0-\u06f9]{3,40}$")
MAX_ATTRIBUTES = 30


def _text(value: Any, field: str, limit: int, pattern: re.Pattern[str] | None = None) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or _CONTROL.search(value) or len(value.strip()) > limit:
        raise ValidationFailed(
            f"'customer.{field}' must be text of at most {limit} characters",
            code="invalid_field",
            details={"field": f"customer.{field}"},
        )
    value = value.strip()
    if pattern is not None and not pattern.match(value):
        raise ValidationFailed(
            f"'customer.{field}' is not a valid {field}", code="invalid_field", details={"field": f"customer.{field}"}
        )
    return value or None


def _attributes(value: Any) -> dict[str, Any]:
    """Up to 30 flat key/value pairs (plan, account number, city …) the host wants agents to see."""
    if value is None:
        return {}
    bad = ValidationFailed(
        f"'customer.attributes' must be an object of at most {MAX_ATTRIBUTES} short keys with text,"
        " number or true/false values",
        code="invalid_field",
        details={"field": "customer.attributes"},
    )
    if not isinstance(value, dict) or len(value) > MAX_ATTRIBUTES:
        raise bad
    clean: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip() or len(key) > 64 or _CONTROL.search(key):
            raise bad
        if isinstance(item, str):
            if len(item) > 500 or _CONTROL.search(item):
                raise bad
        elif isinstance(item, bool) or item is None:
            pass
        elif isinstance(item, int | float):
            if isinstance(item, float) and not math.isfinite(item):
                raise bad
        else:
            raise bad
        clean[key.strip()] = item
    return clean


def parse_identity(settings: Settings, body: dict[str, Any]) -> CustomerIdentity | None:
    """The identity in a request body, or None when it names nobody.

    Reads ``customer_id``, ``customer_signature`` and ``customer`` (``{name, phone, email,
    attributes}``; ``customer.id`` / ``customer.signature`` are accepted too). Raises 422 for
    malformed fields and 403 ``customer_signature_invalid`` for a wrong signature.
    """
    profile = body.get("customer")
    if profile is None:
        profile = {}
    if not isinstance(profile, dict):
        raise ValidationFailed("'customer' must be an object", code="invalid_field", details={"field": "customer"})
    customer_id = body.get("customer_id") or profile.get("id")
    signature = body.get("customer_signature") or profile.get("signature")
    if customer_id is not None and (not isinstance(customer_id, str) or not _ID.match(customer_id)):
        raise ValidationFailed(
            "'customer_id' must be 1-128 letters, digits or . _ - @ : +",
            code="invalid_field",
            details={"field": "customer_id"},
        )
    identity = CustomerIdentity(
        session_id="",
        updated_at=time.time(),
        customer_id=customer_id or None,
        name=_text(profile.get("name"), "name", 120),
        phone=_text(profile.get("phone"), "phone", 40, _PHONE),
        email=_text(profile.get("email"), "email", 254, _EMAIL),
        attributes=_attributes(profile.get("attributes")),
    )
    if identity.customer_id and settings.customer_hmac_secret:
        # 403 for a signature that does not match; None for no signature (kept, unverified).
        identity.verified = verify_customer(settings, identity.customer_id, signature) is not None
    if not (identity.customer_id or identity.name or identity.phone or identity.email or identity.attributes):
        return None
    return identity


def _for_role(identity: CustomerIdentity | None, role: str | None) -> dict[str, Any] | None:
    if identity is None:
        return None
    data = identity.public()
    if ROLE_RANK.get(role or "", 0) < ROLE_RANK[AGENT]:
        return {"id": data["id"], "verified": data["verified"], "name": data["name"]}
    return data


class IdentityService:
    """Stores session identities and adds them to what agents read."""

    def __init__(self, settings: Settings, store: IdentityStore, bus: Any) -> None:
        self.settings = settings
        self.store = store
        self.bus = bus

    async def remember(self, session_id: str, identity: CustomerIdentity) -> CustomerIdentity:
        """Store ``identity`` as the session's (replacing an earlier one) and tell the agents."""
        identity.session_id = session_id
        identity.updated_at = time.time()
        await self.store.save(identity)
        self.bus.publish(AGENTS_CHANNEL, "identity", {"session_id": session_id, "customer": identity.public()})
        return identity

    async def remember_from_body(self, session_id: str, body: Any, *, new_session: bool) -> None:
        """After a customer request that may carry an identity: store it when the body has a
        ``customer`` object, or a signed customer id on the request that created the session (a
        bare anonymous id needs no row: the session keeps it as ``customer_id``)."""
        if not isinstance(body, dict) or not (
            isinstance(body.get("customer"), dict) or (new_session and body.get("customer_signature"))
        ):
            return
        identity = parse_identity(self.settings, body)
        if identity is not None:
            await self.remember(session_id, identity)

    async def decorate(self, summaries: list[dict[str, Any]], role: str | None = AGENT) -> list[dict[str, Any]]:
        """Add ``customer`` (or None) to each session summary, in place."""
        found = await self.store.for_sessions([s["session_id"] for s in summaries if s.get("session_id")])
        for summary in summaries:
            summary["customer"] = _for_role(found.get(summary.get("session_id", "")), role)
        return summaries

    async def linked_sessions(self, session_id: str, customer: dict[str, Any] | None) -> list[dict[str, Any]]:
        """The other sessions of this session's verified customer (none for unverified ones)."""
        if not customer or not customer.get("verified") or not customer.get("id"):
            return []
        return [s for s in await self.store.sessions_of(customer["id"]) if s["session_id"] != session_id]


class IdentityRoutesSite(Protocol):
    """What this feature's routes use of the app context: the settings (the customer signature's
    secret), the sessions (the token check) and ``identities``, which this feature's hook sets."""

    @property
    def settings(self) -> Settings: ...
    @property
    def sessions(self) -> SessionService: ...
    @property
    def identities(self) -> IdentityService | None: ...


def identity_site(request: Request) -> IdentityRoutesSite:
    site: IdentityRoutesSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    return site


def identity_service(request: Request) -> IdentityService:
    """``ctx.identities``, which this feature's start-up hook sets before the server takes a
    request (the routes exist only with the feature)."""
    service = identity_site(request).identities
    if service is None:  # set up with its routes: never at run time
        raise RuntimeError("the identities feature is not set up (ctx.identities)")
    return service


@bp.post("/session/<session_id:str>/identity")
@access(SESSION)
async def set_identity(request: Request, session_id: str) -> HTTPResponse:
    """The widget's ``NuraWidget.setUser``: `{customer_id, customer_signature, customer: {name, phone,
    email, attributes}}` → `{ok, customer}`; `customer_id: null` and an empty `customer` forget it."""
    ctx = identity_site(request)
    session = await ctx.sessions.authorize(session_id, session_token(request))
    body = json_object(request)
    identity = parse_identity(ctx.settings, body)
    service = identity_service(request)
    if identity is None:
        identity = CustomerIdentity(session_id=session.id, updated_at=time.time())
    stored = await service.remember(session.id, identity)
    return json_response({"ok": True, "session_id": session.id, "customer": stored.public()})


@bp.get("/customers/<customer_id:str>/sessions")
@access(AGENT)
async def customer_sessions(request: Request, customer_id: str) -> HTTPResponse:
    """Sessions of one **verified** customer id across devices and channels, newest first."""
    if not _ID.match(customer_id):
        raise ValidationFailed("'customer_id' is malformed", code="invalid_field", details={"field": "customer_id"})
    limit = int_arg(request, "limit", 50, 1, 200)
    sessions = await identity_service(request).store.sessions_of(customer_id, limit=limit)
    return json_response({"customer_id": customer_id, "sessions": sessions})


class IdentitySite(Protocol):
    """What this feature's hook uses of the app context: ``identities`` is set here."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def bus(self) -> EventBus: ...

    identities: IdentityService | None


async def _attach(app: Sanic, ctx: IdentitySite) -> None:
    ctx.identities = IdentityService(ctx.settings, ctx.stores.identities, ctx.bus)


def setup(app: Sanic) -> None:
    on_context(app, _attach)
    app.blueprint(bp)
