"""Attachment API (docs/WIDGET.md, "Attachments"):

* ``POST /v1/attachments`` (public): a customer's files without a session yet; starts one.
* ``POST /v1/session/{id}/attachments`` (session token): a customer's files in their session.
* ``POST /v1/session/{id}/agent-attachments`` (agent): an agent's files in a chat they hold.
* ``GET /v1/session/{id}/attachments/{attachment_id}`` (that session's token, or agent/admin):
  the file, with its sniffed type, sandboxed, never cached.
* ``GET /v1/sessions/{id}/attachments`` (agent): a session's attachments.

Uploads are ``multipart/form-data``: one or more ``file`` parts, optional ``caption`` (text sent
with the files), ``lang``; without a session also ``customer_id``, ``customer_signature`` and
``customer`` (JSON text of ``{name, phone, email, attributes}``).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from sanic import Blueprint, Request
from sanic import json as json_response
from sanic.response import HTTPResponse, file

from nura_appliance.attachments.service import AttachmentService
from nura_appliance.attachments.site import attachment_service, attachments_site
from nura_appliance.auth.access import AGENT, PUBLIC, ROLE_RANK, SESSION, access
from nura_appliance.auth.audit import client_ip
from nura_appliance.channels.identity import parse_identity
from nura_appliance.conversation.service import turn_payload
from nura_appliance.errors import ValidationFailed
from nura_appliance.handoff.routes import actor_of, check_reply_guards
from nura_appliance.http import session_token
from nura_appliance.languages import LANGS

bp = Blueprint("attachments", url_prefix="/v1")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_ID = re.compile(r"^[\w.@:+-]{1,128}$")


def service_of(request: Request) -> AttachmentService:
    return attachment_service(attachments_site(request))


def _form(request: Request, name: str) -> str | None:
    form = request.form
    value = form.get(name) if form else None
    return value if isinstance(value, str) else None


def _files(request: Request) -> list[tuple[str, bytes]]:
    parts = request.files.getlist("file") if request.files else []
    return [(part.name or "", part.body) for part in parts or []]


def _caption(request: Request, max_chars: int) -> str | None:
    caption = _form(request, "caption")
    if caption is None:
        return None
    if _CONTROL.search(caption):
        raise ValidationFailed("'caption' contains control characters", code="invalid_characters")
    caption = caption.strip()
    if len(caption) > max_chars:
        raise ValidationFailed(
            f"'caption' is longer than {max_chars} characters", code="message_too_long", details={"field": "caption"}
        )
    return caption or None


def _lang(request: Request) -> str | None:
    lang = _form(request, "lang")
    if lang in (None, ""):
        return None
    if lang not in LANGS:
        raise ValidationFailed(
            f"'lang' must be one of {', '.join(LANGS)}", code="invalid_field", details={"field": "lang"}
        )
    return lang


def _identity_body(request: Request) -> dict[str, Any]:
    """The identity fields of a multipart request, in the JSON shape ``parse_identity`` reads."""
    body: dict[str, Any] = {"customer_id": _form(request, "customer_id") or None}
    body["customer_signature"] = _form(request, "customer_signature") or None
    raw = _form(request, "customer")
    if raw:
        try:
            body["customer"] = json.loads(raw)
        except ValueError:
            raise ValidationFailed(
                "'customer' must be JSON text of an object", code="invalid_field", details={"field": "customer"}
            ) from None
    return body


async def _limit(request: Request, bucket: str, key: str, limit: int) -> None:
    limits = attachments_site(request).limits
    if limits is not None:
        await limits.hit(request, bucket, key, limit, 60)


async def _customer_upload(request: Request, session_id: str | None) -> HTTPResponse:
    ctx = attachments_site(request)
    service = attachment_service(ctx)
    token = session_token(request) or _form(request, "session_token")
    session = await ctx.sessions.authorize(session_id, token) if session_id else None
    caption = _caption(request, ctx.settings.message_max_chars)
    lang = _lang(request)
    identity_body = _identity_body(request) if session is None else {}
    identity = parse_identity(ctx.settings, identity_body) if identity_body else None
    prepared = await service.prepare_all(_files(request))  # every part checked before anything is written
    created = session is None
    if session is None:
        await _limit(
            request,
            "new_session",
            client_ip(request),
            ctx.settings.rate_limit_new_sessions_per_minute,
        )
        trusted = None
        if (
            identity is not None
            and identity.customer_id
            and (identity.verified or not ctx.settings.customer_hmac_secret)
        ):
            trusted = identity.customer_id
        session, token = ctx.sessions.new(customer_id=trusted, channel="web", lang=lang or ctx.settings.default_lang)
    else:
        await _limit(request, "message", session.id, ctx.settings.rate_limit_messages_per_minute)
    turns, records = await service.from_customer(
        session, prepared, caption=caption, lang=lang or session.lang, channel=session.channel
    )
    if created and identity is not None:
        identities = ctx.identities
        if identities is not None:
            await identities.remember(session.id, identity)
    return json_response(
        {
            "ok": True,
            "session_id": session.id,
            "session_token": token or "",
            "new_session": created,
            "status": session.status,
            "escalated": session.status in ("pending_handoff", "human_active"),
            "message": turn_payload(turns[0]),
            "reply": turn_payload(turns[1]) if len(turns) > 1 else None,
            "attachments": [r.public() for r in records],
        }
    )


@bp.post("/attachments")
@access(PUBLIC)
async def upload_new_session(request: Request) -> HTTPResponse:
    """A customer's photos/PDFs before any message: starts a session (multipart `file`, `caption`,
    `lang`, `customer_id`, `customer_signature`, `customer`) → `{session_id, session_token,
    message, reply, attachments}`.

    openapi:
    ---
    summary: Attach files to a new conversation (customer)
    tags: [attachments]
    requestBody:
      content:
        multipart/form-data:
          schema:
            type: object
            properties:
              file: {type: array, items: {type: string, format: binary}}
              caption: {type: string}
              lang: {type: string, enum: [ar, ckb, ku, en]}
    """
    return await _customer_upload(request, None)


@bp.post("/session/<session_id:str>/attachments")
@access(SESSION)
async def upload_in_session(request: Request, session_id: str) -> HTTPResponse:
    """A customer's photos/PDFs in their session (session token required). All files are checked
    first; a refused one refuses the request and nothing is stored.

    openapi:
    ---
    summary: Attach files to a conversation (customer)
    tags: [attachments]
    requestBody:
      content:
        multipart/form-data:
          schema:
            type: object
            properties:
              file: {type: array, items: {type: string, format: binary}}
              caption: {type: string}
              lang: {type: string, enum: [ar, ckb, ku, en]}
    """
    return await _customer_upload(request, session_id)


@bp.post("/session/<session_id:str>/agent-attachments")
@access(AGENT)
async def upload_by_agent(request: Request, session_id: str) -> HTTPResponse:
    """An agent's photos/PDFs in a chat they hold (multipart `file`, `caption`) → `{ok, message,
    attachments}`; 409 unless the session is active, like an agent message.

    openapi:
    ---
    summary: Attach files to a conversation (agent)
    tags: [attachments]
    requestBody:
      content:
        multipart/form-data:
          schema:
            type: object
            properties:
              file: {type: array, items: {type: string, format: binary}}
              caption: {type: string}
    """
    ctx = attachments_site(request)
    actor = actor_of(request)
    await check_reply_guards(ctx, session_id)
    caption = _caption(request, ctx.settings.message_max_chars)
    service = attachment_service(ctx)
    prepared = await service.prepare_all(_files(request))
    turn, records = await service.from_agent(
        session_id, prepared, caption=caption, sender_name=actor.customer_name, actor=actor
    )
    return json_response(
        {
            "ok": True,
            "session_id": session_id,
            "message": turn_payload(turn),
            "attachments": [r.public() for r in records],
        }
    )


@bp.get("/session/<session_id:str>/attachments/<attachment_id:str>")
@access(SESSION)
async def download(request: Request, session_id: str, attachment_id: str) -> HTTPResponse:
    """One attachment's file: for the holder of the session's token (`X-Session-Token` or
    `?session_token=`) and for agents and admins (bearer). `?download=1` asks for a download."""
    return await send_authorized_attachment(request, session_id, attachment_id)


async def send_authorized_attachment(request: Request, session_id: str, attachment_id: str) -> HTTPResponse:
    """What ``download`` answers, for other routes too (the original widget's file link): the file
    for the holder of the session's token and for agents and admins."""
    principal = getattr(request.ctx, "principal", None)
    if principal is None or ROLE_RANK.get(principal.role, 0) < ROLE_RANK[AGENT]:
        await attachments_site(request).sessions.authorize(session_id, session_token(request))
    return await send_attachment(request, session_id, attachment_id)


async def send_attachment(request: Request, session_id: str, attachment_id: str) -> HTTPResponse:
    """The file of one attachment, sandboxed and never cached (the caller checked who may read it)."""
    record, path = await service_of(request).open(session_id, attachment_id)
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", record.original_name)[:100] or "file"
    disposition = "attachment" if request.args.get("download") in ("1", "true") else "inline"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{ascii_name}"; '
        f"filename*=UTF-8''{urllib.parse.quote(record.original_name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "cache-control": "private, no-store",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    return await file(path, mime_type=record.content_type, headers=headers)


@bp.get("/sessions/<session_id:str>/attachments")
@access(AGENT)
async def list_for_session(request: Request, session_id: str) -> HTTPResponse:
    """Every attachment of one session, oldest first, with who sent it (`uploader`: agent name)."""
    records = await service_of(request).store.for_session(session_id)
    return json_response(
        {"session_id": session_id, "attachments": [{**r.public(), "uploader": r.uploader} for r in records]}
    )
