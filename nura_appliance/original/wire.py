"""The original NURA widget's wire shapes, so its embeds keep working against NURA Appliance.

The original ``widget.js`` (served from the host's own copy, ``data-api`` pointing here) makes a
few calls whose shapes differ from ours. They are recognisable, so each is answered in the shape
its caller reads, and nothing changes for our own widget (docs/WIDGET.md, "Original NURA embeds"):

* ``GET /v1/topic-tree`` **without** ``lang``: the bare tree root ``{id, label, children}`` with a
  ``label`` per language, leaves carrying ``article`` (the article's position in the original
  ``articals.json`` when it came from there, else its id) and action nodes ``action: "agent"`` /
  ``"complaint"``. Ours (with ``lang``) stays ``{lang, tree, version}``.
* ``POST /v1/session/{id}/stream-token`` (``X-Session-Token``): a short-lived token bound to the
  session, for ``EventSource`` URLs (defined here).
* ``GET /v1/session/{id}/stream?stream_token=…``: unnamed SSE frames
  ``{"type": "turn", "turn": {...}}``, ``{"type": "typing", ...}`` and
  ``{"type": "status", "status": "RESOLVED"}`` with the original's status names. Ours (with
  ``session_token``) keeps named, replayable events.
* ``POST /v1/suggestions`` with ``message`` (ours has ``text``): stored as a suggestion, answered
  with a ``case_number`` the widget shows.
* ``POST /v1/upload`` (multipart, ``X-Session-Token``): the file goes into the attachment store
  (defined here).

The shared paths keep one handler each; it hands an original-shaped request to
:class:`OriginalWire` (``ctx.original``), which holds every legacy shape, so the
compatibility lives in this module and nowhere else.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, NotRequired, Protocol, TypedDict

from sanic import Blueprint, Request, Sanic
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.attachments.routes import send_attachment, send_authorized_attachment
from nura_appliance.auth.access import SESSION, access
from nura_appliance.conversation.messages import message
from nura_appliance.errors import NotFound, Unauthorized, UnsupportedMediaType, ValidationFailed
from nura_appliance.handoff.inbox import parse_suggestion
from nura_appliance.http import json_object, on_context, session_token
from nura_appliance.knowledge.legacy_ids import position_of
from nura_appliance.knowledge.pack import pick_text
from nura_appliance.languages import LANGS
from nura_appliance.realtime.sse import SSE_HEADERS
from nura_appliance.storage.base import SessionRecord
from nura_appliance.storage.bus import Event

if TYPE_CHECKING:  # annotations only: services of the features and stores below this one
    from nura_appliance.attachments.service import AttachmentService
    from nura_appliance.auth.limits import RateLimiter
    from nura_appliance.conversation.sessions import SessionService
    from nura_appliance.settings import Settings
    from nura_appliance.storage.base import KnowledgeStore
    from nura_appliance.storage.bus import EventBus

bp = Blueprint("original_wire", url_prefix="/v1")

# Lifetime of a stream token. The original widget asks for a fresh one before every connection
# attempt and only presents it when the stream opens, so minutes are plenty; an open stream is
# not cut when its token expires.
STREAM_TOKEN_SECONDS = 600
# Our session statuses in the original's names (its SessionStatus enum). The original had no
# separate "closed": a closed session is over, which its widget knows as RESOLVED.
STATUS_NAMES = {
    "bot": "ACTIVE",
    "pending_handoff": "PENDING_HANDOFF",
    "human_active": "HUMAN_ACTIVE",
    "resolved": "RESOLVED",
    "closed": "RESOLVED",
}
_TOKEN = re.compile(r"^(\d{1,12})\.([A-Za-z0-9_-]{43})$")
# Lifetime of the link to an uploaded file that /v1/upload returns: the widget shows the image at
# once and opens it on click; an hour covers a conversation without making the link a standing key.
FILE_TOKEN_SECONDS = 3600
# What /v1/upload's links look like, so the widget's follow-up message can be recognised.
_UPLOAD_URL = re.compile(r"/v1/uploads/([\w.@:+-]{1,128})/([A-Za-z0-9_-]{1,64})(?:\?|$)")


# -- stream and file tokens --------------------------------------------------------------------------
def _signature(secret: str, session: SessionRecord, purpose: str, expires: int) -> str:
    """HMAC over what the token is for and its expiry, keyed by the server secret *and* the
    session's token hash: a token opens one thing of one session and dies when the session's token
    changes. Nothing is stored, so every worker checks it alike."""
    key = hashlib.sha256(
        b"nura-original-token\x00" + secret.encode("utf-8") + b"\x00" + session.token_hash.encode("ascii")
    ).digest()
    mac = hmac.new(key, f"{purpose}|{session.id}|{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def _issue(secret: str, session: SessionRecord, purpose: str, now: float, lifetime: int) -> str:
    expires = int(now) + lifetime
    return f"{expires}.{_signature(secret, session, purpose, expires)}"


def _valid(secret: str, session: SessionRecord, purpose: str, token: str, now: float) -> bool:
    match = _TOKEN.match(token or "")
    if not match:
        return False
    expires = int(match.group(1))
    if expires < now:
        return False
    return hmac.compare_digest(match.group(2), _signature(secret, session, purpose, expires))


def issue_stream_token(secret: str, session: SessionRecord, now: float) -> str:
    """A stream token for ``session``, valid for :data:`STREAM_TOKEN_SECONDS` from ``now``."""
    return _issue(secret, session, "stream", now, STREAM_TOKEN_SECONDS)


def stream_token_valid(secret: str, session: SessionRecord, token: str, now: float) -> bool:
    return _valid(secret, session, "stream", token, now)


def issue_file_token(secret: str, session: SessionRecord, attachment_id: str, now: float) -> str:
    """A token for the URL of one uploaded file (``<img src>`` cannot send the session token)."""
    return _issue(secret, session, f"file:{attachment_id}", now, FILE_TOKEN_SECONDS)


def file_token_valid(secret: str, session: SessionRecord, attachment_id: str, token: str, now: float) -> bool:
    return _valid(secret, session, f"file:{attachment_id}", token, now)


# -- shapes ----------------------------------------------------------------------------------------
class OriginalNode(TypedDict):
    """A node of the original widget's topic tree: a label per language and one of ``article`` (a
    leaf: the article's position in ``articals.json``, else our id, with ``article_id`` our id),
    ``action`` (``"agent"`` / ``"complaint"``) or ``children``."""

    id: str
    label: dict[str, str]
    article: NotRequired[int | str]
    article_id: NotRequired[str]
    action: NotRequired[str]
    children: NotRequired[list[OriginalNode]]


class OriginalTurn(TypedDict):
    """A transcript turn as the original stream's ``turn`` frame carries it."""

    id: int | None
    role: str  # "agent" | "customer" | "system"
    source: str  # "human" for a person's reply, the answering tier for the bot's
    message: str
    timestamp: str | None  # ISO 8601, UTC
    confidence: float | None
    agent_name: str | None
    attachments: list[dict[str, Any]]


class TurnFrame(TypedDict):
    type: Literal["turn"]
    turn: OriginalTurn


class TypingFrame(TypedDict):
    type: Literal["typing"]
    sender: str | None


class StatusFrame(TypedDict):
    type: Literal["status"]
    status: str  # the original's status name (STATUS_NAMES)
    session_id: str | None
    handoff_reason: str | None
    assigned_agent: str | None


# One frame of the original widget's stream.
OriginalFrame = TurnFrame | TypingFrame | StatusFrame


def _labels(texts: dict[str, str]) -> dict[str, str]:
    """A label in every widget language (the original widget reads ``label[lang] || label.ar``);
    a missing language falls back like pack texts do."""
    return {lang: pick_text(texts, lang)[0] for lang in LANGS}


def _strings(key: str) -> dict[str, str]:
    return {lang: message(key, lang) for lang in LANGS}


def _has_action(node: dict[str, Any], action: str) -> bool:
    return node.get("action") == action or any(_has_action(c, action) for c in node.get("children", []))


def original_tree(tree: dict[str, Any] | None) -> OriginalNode:
    """Our stored topic tree (per-language labels) in the original widget's shape.

    The original widget shows an article leaf from the article table it carries, by the article's
    position in ``articals.json``; articles imported from there keep that position in their id
    (``article-6``), so such leaves carry the number. Other leaves carry our article id (and
    every leaf carries ``article_id``, which ``GET /v1/articles/{id}`` serves). The original's
    complaint form and agent button are reached through action nodes; a tree without them gets
    an "Other" branch with both, as the original's own tree had.
    """

    def convert(node: dict[str, Any]) -> OriginalNode:
        out: OriginalNode = {"id": node["id"], "label": _labels(node["label"])}
        if node.get("article"):
            position = position_of(node["article"])
            out["article"] = position if position is not None else node["article"]
            out["article_id"] = node["article"]
        elif node.get("action"):
            out["action"] = node["action"]
        else:
            out["children"] = [convert(c) for c in node.get("children", [])]
        return out

    root: OriginalNode = (
        convert(tree) if tree is not None else {"id": "root", "label": _strings("original_tree_root"), "children": []}
    )
    missing = [a for a in ("complaint", "agent") if tree is None or not _has_action(tree, a)]
    if missing:
        root.setdefault("children", []).append(
            {
                "id": "nura-other",
                "label": _strings("original_tree_other"),
                "children": [
                    {"id": f"nura-{a}", "label": _strings(f"original_tree_{a}"), "action": a} for a in missing
                ],
            }
        )
    return root


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


def original_frame(event_type: str, data: dict[str, Any]) -> OriginalFrame | None:
    """One of our session events as the original stream's frame, or None when it has none.

    The original widget shows a ``turn`` whose role is ``agent`` and source ``human`` (a person's
    reply), agent ``typing``, and on ``status`` ``RESOLVED`` closes the chat and asks for a rating.
    Bot answers reach it in the ``POST /v1/message`` response, as before; they are sent here as the
    original did (role ``agent``, the answering tier as source) and it ignores them.
    """
    if event_type == "message":
        turn = data.get("message") or {}
        role = turn.get("role")
        if role == "agent":
            shown_role, source = "agent", "human"
        elif role == "bot":
            shown_role, source = "agent", turn.get("source") or "bot"
        elif role == "customer":
            shown_role, source = "customer", "customer"
        else:
            shown_role, source = "system", turn.get("source") or "system"
        return {
            "type": "turn",
            "turn": {
                "id": turn.get("id"),
                "role": shown_role,
                "source": source,
                "message": turn.get("text") or "",
                "timestamp": _iso(turn.get("created_at")),
                "confidence": turn.get("confidence"),
                "agent_name": turn.get("sender_name") if role == "agent" else None,
                "attachments": turn.get("attachments") or [],
            },
        }
    if event_type == "typing":
        if not data.get("active", True):
            return None  # the original widget hides the dots by itself after 3 s
        return {"type": "typing", "sender": data.get("sender")}
    if event_type == "status":
        return status_frame(
            str(data.get("status") or ""),
            data.get("session_id"),
            data.get("handoff_reason"),
            data.get("assigned_agent"),
        )
    return None  # token streaming, resets, identity: our widget's own events


def status_frame(
    status: str, session_id: str | None, handoff_reason: str | None, assigned_agent: str | None
) -> StatusFrame:
    """A session's status in the original's names (the stream's first frame, then each change)."""
    return {
        "type": "status",
        "status": STATUS_NAMES.get(status, status.upper()),
        "session_id": session_id,
        "handoff_reason": handoff_reason,
        "assigned_agent": assigned_agent,
    }


def _frame(payload: OriginalFrame) -> str:
    """An unnamed SSE frame (no ``event:`` and no ``id:``), as the original's server sent."""
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n"


# -- the service the shared routes delegate to -------------------------------------------------------
class WireSite(Protocol):
    """What the original wire uses of the app context; ``context.AppContext`` satisfies it (checked
    by mypy in ``context.py``), so this feature does not name the composition root above it."""

    @property
    def settings(self) -> Settings: ...
    @property
    def knowledge(self) -> KnowledgeStore: ...
    @property
    def sessions(self) -> SessionService: ...
    @property
    def bus(self) -> EventBus: ...
    @property
    def attachments(self) -> AttachmentService | None: ...
    @property
    def limits(self) -> RateLimiter | None: ...

    original: OriginalWire | None


class OriginalWire:
    """``ctx.original``: recognises the original widget's requests on the paths we
    share with it and answers them in its shapes."""

    def __init__(self, ctx: WireSite) -> None:
        self.ctx = ctx
        self._tree: tuple[str, OriginalNode] | None = None

    @property
    def secret(self) -> str:
        return str(self.ctx.settings.admin_secret_key)

    @property
    def attachments(self) -> AttachmentService:
        """``ctx.attachments``: the attachments feature comes before this one (``app.FEATURES``)."""
        service = self.ctx.attachments
        if service is None:
            raise RuntimeError("the attachments feature is not set up (ctx.attachments)")
        return service

    # GET /v1/topic-tree -----------------------------------------------------------------------
    @staticmethod
    def wants_tree(request: Request) -> bool:
        """Ours always names the language; the original widget never does."""
        return "lang" not in request.args

    async def topic_tree(self, request: Request) -> HTTPResponse:
        version = await self.ctx.knowledge.version()
        if self._tree is None or self._tree[0] != version:
            self._tree = (version, original_tree(await self.ctx.knowledge.tree()))
        return json_response(self._tree[1], headers={"Cache-Control": "public, max-age=60"})

    # GET /v1/session/{id}/stream --------------------------------------------------------------
    @staticmethod
    def wants_stream(request: Request) -> bool:
        return "stream_token" in request.args

    async def session_stream(self, request: Request, session_id: str) -> HTTPResponse:
        ctx = self.ctx
        session = await ctx.sessions.get(session_id)
        if session is None:
            raise NotFound("no session with this id", code="session_not_found")
        if not stream_token_valid(self.secret, session, request.args.get("stream_token", ""), time.time()):
            raise Unauthorized(
                "the stream_token is invalid or expired; ask POST /v1/session/{id}/stream-token for a new one",
                code="stream_token_invalid",
            )
        response = await request.respond(content_type="text/event-stream; charset=utf-8", headers=SSE_HEADERS)
        assert response is not None
        events = ctx.bus.subscribe(f"session:{session.id}")
        pending: asyncio.Future[Event] | None = asyncio.ensure_future(events.__anext__())
        try:
            await asyncio.sleep(0)  # the subscription is listening before the current status is read
            current = await ctx.sessions.get(session.id) or session
            await response.send(": connected\n\n")
            await response.send(
                _frame(status_frame(current.status, current.id, current.handoff_reason, current.assigned_agent))
            )
            ping = ctx.settings.sse_ping_seconds
            while True:
                assert pending is not None
                done, _ = await asyncio.wait({pending}, timeout=ping)
                if not done:
                    await response.send(": ping\n\n")
                    continue
                try:
                    event = pending.result()
                except StopAsyncIteration:
                    break
                pending = asyncio.ensure_future(events.__anext__())
                frame = original_frame(event.type, event.data)
                if frame is not None:
                    await response.send(_frame(frame))
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await pending
            await events.aclose()
        await response.eof()
        return response

    # POST /v1/suggestions ---------------------------------------------------------------------
    @staticmethod
    def wants_suggestion(request: Request) -> bool:
        body = json_object(request)
        return "message" in body and "text" not in body

    @staticmethod
    def suggestion_fields(body: dict[str, Any]) -> dict[str, Any]:
        """The original's body ``{session_id, customer_id, channel, kind, message}`` as ours."""
        ours = {k: v for k, v in body.items() if k not in ("message", "text")}
        ours["text"] = body.get("message")
        if ours.get("kind") not in ("suggestion", "complaint", "compliment"):
            ours["kind"] = "suggestion"  # the original sent other kinds as suggestions too
        return parse_suggestion(ours)

    @staticmethod
    def suggestion_answer(row: dict[str, Any]) -> dict[str, Any]:
        """Ours plus the original's ``case_number`` (shown to the customer as a reference)."""
        return {"ok": True, **row, "case_number": f"S-{row['id']}"}

    # POST /v1/message after POST /v1/upload ----------------------------------------------------
    @staticmethod
    def wants_attachment_message(body: object) -> bool:
        """The original widget follows an upload with a message ``[صورة]`` / ``[ملف: name]`` that
        names the upload's link in ``attachment_url``."""
        url = body.get("attachment_url") if isinstance(body, dict) else None
        return isinstance(url, str) and _UPLOAD_URL.search(url) is not None

    async def attachment_message(self, request: Request, body: dict[str, Any]) -> HTTPResponse:
        """The upload already put the file in the transcript (as the customer's turn, with the
        bot's note when no person owns the chat); this message only confirms it, so it adds no
        second turn and the bot does not answer the placeholder text."""
        found = _UPLOAD_URL.search(body["attachment_url"])
        assert found is not None
        session_id, attachment_id = found.group(1), found.group(2)
        if body.get("session_id") not in (None, session_id):
            raise ValidationFailed(
                "'attachment_url' belongs to another session", code="invalid_field", details={"field": "attachment_url"}
            )
        token = session_token(request) or (
            body.get("session_token") if isinstance(body.get("session_token"), str) else None
        )
        session = await self.ctx.sessions.authorize(session_id, token)
        record = await self.attachments.store.get(session.id, attachment_id)
        if record is None:
            raise NotFound("no upload with this link in this session", code="attachment_not_found")
        return json_response(
            {
                "session_id": session.id,
                "session_token": token,
                "response": "",
                "channel": session.channel,
                "escalated": session.status in ("pending_handoff", "human_active"),
                "confidence": 1.0,
                "source": None,
                "source_doc": None,
                "article_id": None,
                "sources": [],
                "handoff_reason": session.handoff_reason,
                "lang": session.lang,
                "message_id": None,
                "status": session.status,
                "attachments": [record.public()],
            }
        )


# -- routes that exist only for the original widget --------------------------------------------------
def original_wire(request: Request) -> OriginalWire:
    """``ctx.original``, which this feature's start-up hook sets before the server takes a request."""
    site: WireSite = request.app.ctx.nura  # Sanic's ctx is untyped; the app keeps its context here
    wire = site.original
    if wire is None:  # set up with these routes: never at run time
        raise RuntimeError("the original wire is not set up (ctx.original)")
    return wire


@bp.post("/session/<session_id:str>/stream-token")
@access(SESSION)
async def create_stream_token(request: Request, session_id: str) -> HTTPResponse:
    """A short-lived token for the original widget's live stream (session token required).

    openapi:
    ---
    summary: Stream token for the original NURA widget
    description: >
      The original NURA widget asks for this before opening
      `GET /v1/session/{id}/stream?stream_token=…` (EventSource cannot send headers). The token is
      bound to the session and its session token, and expires after `expires_in` seconds; a
      stream opened with it stays open. Send the session token as `X-Session-Token`.
    tags: [original-nura]
    responses:
      "200": {description: "`{stream_token, expires_in}`"}
    """
    wire = original_wire(request)
    session = await wire.ctx.sessions.authorize(session_id, session_token(request))
    token = issue_stream_token(wire.secret, session, time.time())
    return json_response(
        {"stream_token": token, "expires_in": STREAM_TOKEN_SECONDS}, headers={"Cache-Control": "no-store"}
    )


def _upload_session_id(request: Request) -> str | None:
    """The original sends ``session_id`` as a form field (or in the query); a JSON body is read
    too, so that a wrong request is refused for its credentials before its format."""
    form = request.form
    value = (form.get("session_id") if form else None) or request.args.get("session_id")
    if not value and (request.content_type or "").startswith("application/json"):
        with contextlib.suppress(Exception):
            body = json_object(request, required=False)
            value = body.get("session_id")
    return value if isinstance(value, str) and value else None


@bp.post("/upload")
@access(SESSION)
async def upload(request: Request) -> HTTPResponse:
    """The original NURA widget's attachment upload (multipart `file`, `session_id`; session token).

    openapi:
    ---
    summary: Attachment upload of the original NURA widget
    description: >
      Stores the file in the attachment store exactly like `POST /v1/session/{id}/attachments`
      (same checks, limits and cleaning; it becomes the customer's turn in the transcript) and
      answers in the original's shape `{url, filename, content_type}`: `url` is an absolute link
      `/v1/uploads/{session_id}/{attachment_id}?file_token=…` that works in `<img src>` for an
      hour. The widget's follow-up `POST /v1/message` naming that link in `attachment_url` is
      confirmed without a second turn.
    tags: [original-nura]
    requestBody:
      content:
        multipart/form-data:
          schema:
            type: object
            properties:
              file: {type: string, format: binary}
              session_id: {type: string}
    responses:
      "200": {description: "`{ok, url, filename, content_type, attachment, session_id}`"}
    """
    wire = original_wire(request)
    ctx = wire.ctx
    session_id = _upload_session_id(request)
    if session_id is None:
        raise Unauthorized("send the session_id and its session token", code="session_token_required")
    session = await ctx.sessions.authorize(session_id, session_token(request))
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise UnsupportedMediaType("send the file as multipart/form-data (field 'file')")
    limits = ctx.limits
    if limits is not None:
        await limits.hit(request, "message", session.id, ctx.settings.rate_limit_messages_per_minute, 60)
    service = wire.attachments
    parts = request.files.getlist("file") if request.files else []
    prepared = await service.prepare_all([(part.name or "", part.body) for part in parts or []])
    _turns, records = await service.from_customer(
        session, prepared, caption=None, lang=session.lang, channel=session.channel
    )
    record = records[0]
    token = issue_file_token(wire.secret, session, record.id, time.time())
    origin = f"{request.scheme}://{request.host}"
    return json_response(
        {
            "ok": True,
            "url": f"{origin}/v1/uploads/{session.id}/{record.id}?file_token={token}",
            "filename": record.original_name,
            "content_type": record.content_type,
            "session_id": session.id,
            "attachment": record.public(),
        }
    )


@bp.get("/uploads/<session_id:str>/<attachment_id:str>")
@access(SESSION)
async def uploaded_file(request: Request, session_id: str, attachment_id: str) -> HTTPResponse:
    """A file uploaded through `POST /v1/upload`, by the link it returned.

    openapi:
    ---
    summary: Uploaded file (original NURA widget link)
    description: >
      `?file_token=` from the upload's `url` (valid for an hour, for this file only), or the
      session token / a staff bearer as for `GET /v1/session/{id}/attachments/{attachment_id}`.
      Served sandboxed and never cached.
    tags: [original-nura]
    """
    wire = original_wire(request)
    file_token = request.args.get("file_token")
    if file_token:
        session = await wire.ctx.sessions.require(session_id)
        if not file_token_valid(wire.secret, session, attachment_id, file_token, time.time()):
            raise Unauthorized("the file_token is invalid or expired", code="file_token_invalid")
        return await send_attachment(request, session_id, attachment_id)
    return await send_authorized_attachment(request, session_id, attachment_id)


def setup(app: Sanic) -> None:
    app.blueprint(bp)

    async def attach(app: Sanic, ctx: WireSite) -> None:
        ctx.original = OriginalWire(ctx)

    on_context(app, attach)
