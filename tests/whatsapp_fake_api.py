"""A fake WhatsApp Cloud API (Graph API) server on loopback for the WhatsApp channel tests.

It speaks the real HTTP shape: ``POST /<version>/<phone-number-id>/messages`` with a bearer token
and a JSON body answers ``{"messaging_product": "whatsapp", "contacts": [...], "messages":
[{"id": "wamid…"}]}`` or, for a read receipt, ``{"success": true}``; ``GET /<version>/<media-id>``
answers the media's ``url``, ``mime_type``, ``file_size`` and ``sha256``, and that URL serves the
bytes (with the token). It checks what the real one checks and answers errors in Meta's
envelope (``{"error": {"message", "type", "code", "error_data": {"details"}, "fbtrace_id"}}``):
190 for a wrong token (401), 100 for a bad parameter (a list with more than 10 rows, a button
title over 20 characters, an empty text), 131047 for a free-form message more than 24 hours after
the customer's last message (:meth:`FakeWhatsApp.close_window`), 132001 for an unknown template;
:meth:`fail_next` scripts failures (5xx, 429/130429) and :attr:`down` drops every connection.

Tests build signed webhook notifications with :meth:`notification` and :meth:`sign`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from telegram_fake_api import _multipart  # the same multipart reading as the Telegram fake

VERSION = "v21.0"


class FakeWhatsApp:
    def __init__(
        self,
        token: str = "EAAG-test-token",
        phone_number_id: str = "106540352242922",
        app_secret: str = "app-secret-for-tests",
    ) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret
        self.sent: list[dict[str, Any]] = []  # accepted messages, in order
        self.reads: list[dict[str, Any]] = []  # read receipts (with typing indicators)
        self.calls: list[tuple[str, str]] = []  # (method, path) of every request
        self.media: dict[str, tuple[bytes, str]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}  # media id -> the multipart fields we were sent
        self.templates: set[str] = {"support_reply"}
        self.closed_windows: set[str] = set()
        self.down = False
        # Set to an Event: a message is accepted (in ``sent``, with its id) but the answer waits until
        # the event is set, as when Meta posts the message's status before our send call returns.
        self.hold_replies: threading.Event | None = None
        self._failures: dict[str, list[tuple[int, int, str]]] = {}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.base = f"{self.url}/{VERSION}"
        # shutdown() returns at the loop's next poll: 0.5 s by default, spent by every test's teardown
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    # -- test controls ----------------------------------------------------------------------------
    def start(self) -> FakeWhatsApp:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(
        self, status: int, code: int, message: str = "scripted failure", times: int = 1, *, what: str = "send"
    ) -> None:
        """Answer the next ``times`` calls of a kind (``send`` a message, ``read`` a receipt,
        ``media``) with this error."""
        with self._lock:
            self._failures.setdefault(what, []).extend([(status, code, message)] * times)

    def close_window(self, wa_id: str) -> None:
        """Meta refuses free-form messages to this number (more than 24 h since it wrote)."""
        self.closed_windows.add(wa_id)

    def add_media(self, data: bytes, mime: str) -> str:
        media_id = f"{len(self.media) + 1:015d}"
        self.media[media_id] = (data, mime)
        return media_id

    def to(self, wa_id: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["to"] == wa_id]

    def texts(self, wa_id: str) -> list[str]:
        """What the customer reads of each message: a text's body, an interactive body, a template's name."""
        out = []
        for m in self.to(wa_id):
            if m["type"] == "text":
                out.append(m["text"]["body"])
            elif m["type"] == "interactive":
                out.append(m["interactive"]["body"]["text"])
            else:
                out.append(f"template:{m['template']['name']}")
        return out

    # -- webhook notifications (what Meta posts to us) ----------------------------------------------
    def notification(
        self,
        messages: list[dict[str, Any]] | None = None,
        statuses: list[dict[str, Any]] | None = None,
        *,
        name: str = "Customer",
    ) -> dict[str, Any]:
        value: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "9647700000000", "phone_number_id": self.phone_number_id},
        }
        if messages:
            value["contacts"] = [{"profile": {"name": name}, "wa_id": m["from"]} for m in messages]
            value["messages"] = messages
        if statuses:
            value["statuses"] = statuses
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}],
        }

    @staticmethod
    def message(wa_id: str, kind: str, body: dict[str, Any], message_id: str | None = None) -> dict[str, Any]:
        return {
            "from": wa_id,
            "id": message_id or f"wamid.in.{uuid.uuid4().hex}",
            "timestamp": str(int(time.time())),
            "type": kind,
            kind: body,
        }

    def text(self, wa_id: str, body: str, message_id: str | None = None) -> dict[str, Any]:
        return self.message(wa_id, "text", {"body": body}, message_id)

    def list_reply(self, wa_id: str, row_id: str, title: str = "") -> dict[str, Any]:
        return self.message(wa_id, "interactive", {"type": "list_reply", "list_reply": {"id": row_id, "title": title}})

    def button_reply(self, wa_id: str, button_id: str, title: str = "") -> dict[str, Any]:
        return self.message(
            wa_id, "interactive", {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
        )

    def sign(self, raw: bytes, secret: str | None = None) -> str:
        digest = hmac.new((secret or self.app_secret).encode(), raw, hashlib.sha256).hexdigest()
        return f"sha256={digest}"

    # -- the API ------------------------------------------------------------------------------------
    @staticmethod
    def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
        return status, {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": message},
                "fbtrace_id": "Afake",
            }
        }

    def _check_message(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        kind = payload.get("type", "text")
        if payload.get("messaging_product") != "whatsapp" or not payload.get("to"):
            return self._error(400, 100, "Invalid parameter: messaging_product and to are required")
        if kind == "text":
            body = (payload.get("text") or {}).get("body")
            if not isinstance(body, str) or not body.strip() or len(body) > 4096:
                return self._error(400, 100, "Invalid parameter: text.body must be 1-4096 characters")
        elif kind == "interactive":
            interactive = payload.get("interactive") or {}
            body = (interactive.get("body") or {}).get("text") or ""
            if not body or len(body) > 1024:
                return self._error(400, 100, "Invalid parameter: interactive body text must be 1-1024 characters")
            action = interactive.get("action") or {}
            if interactive.get("type") == "list":
                rows = [r for s in action.get("sections", []) for r in s.get("rows", [])]
                if not rows or len(rows) > 10 or len(action.get("button", "")) > 20:
                    return self._error(400, 131009, "Parameter value is not valid: 1-10 rows, button ≤ 20 characters")
                if any(len(r.get("title", "")) > 24 or len(r.get("description", "")) > 72 for r in rows):
                    return self._error(400, 131009, "Parameter value is not valid: row title ≤ 24, description ≤ 72")
                if len({r["id"] for r in rows}) != len(rows):
                    return self._error(400, 131009, "Parameter value is not valid: row ids must be unique")
            elif interactive.get("type") == "button":
                buttons = action.get("buttons") or []
                if not 1 <= len(buttons) <= 3 or any(len(b["reply"]["title"]) > 20 for b in buttons):
                    return self._error(400, 131009, "Parameter value is not valid: 1-3 buttons, titles ≤ 20")
            else:
                return self._error(400, 100, "Invalid parameter: interactive.type")
        elif kind in ("image", "document"):
            media = payload.get(kind) or {}
            if media.get("id") not in self.uploads:
                return self._error(400, 131053, "Media upload error: unknown media id")
            if kind == "document" and not media.get("filename"):
                return self._error(400, 100, "Invalid parameter: document.filename")
        elif kind == "template":
            if (payload.get("template") or {}).get("name") not in self.templates:
                return self._error(404, 132001, "Template name does not exist in the translation")
            return None
        else:
            return self._error(400, 100, f"Invalid parameter: type {kind}")
        if payload["to"] in self.closed_windows:
            return self._error(
                400,
                131047,
                "Message failed to send because more than 24 hours have passed since the customer last replied",
            )
        return None

    def handle(self, method: str, path: str, headers: Any, payload: dict[str, Any] | None) -> tuple[int, Any]:
        self.calls.append((method, path))
        if headers.get("authorization") != f"Bearer {self.token}":
            return self._error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        parts = path.strip("/").split("/")
        what = "media" if method == "GET" else "read" if (payload or {}).get("status") == "read" else "send"
        with self._lock:
            queue = self._failures.get(what) or []
            scripted = queue.pop(0) if queue else None
        if scripted:
            return self._error(*scripted)
        if method == "GET" and len(parts) == 3 and parts[0] == "media-files" and parts[1] in self.media:
            return 200, self.media[parts[1]]
        if len(parts) < 2 or parts[0] != VERSION:
            return self._error(404, 100, "Unknown path")
        if method == "GET" and len(parts) == 2:
            found = self.media.get(parts[1])
            if found is None:
                return self._error(400, 100, "Unsupported get request: media id does not exist")
            data, mime = found
            return 200, {
                "messaging_product": "whatsapp",
                "url": f"{self.url}/media-files/{parts[1]}/download",
                "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": parts[1],
            }
        if method == "POST" and len(parts) == 3 and parts[2] == "media":
            upload = (payload or {}).get("file")
            if (payload or {}).get("messaging_product") != "whatsapp" or not isinstance(upload, dict):
                return self._error(400, 100, "Invalid parameter: file and messaging_product are required")
            if upload["content_type"] not in ("image/jpeg", "image/png", "application/pdf"):
                return self._error(400, 131053, f"Media upload error: {upload['content_type']} is not supported")
            media_id = f"9{len(self.uploads) + 1:014d}"
            self.uploads[media_id] = dict(payload or {})
            return 200, {"id": media_id}
        if method == "POST" and len(parts) == 3 and parts[2] == "messages":
            if parts[1] != self.phone_number_id:
                return self._error(400, 100, "Unsupported post request: phone number id")
            payload = payload or {}
            if payload.get("status") == "read":
                if not payload.get("message_id"):
                    return self._error(400, 100, "Invalid parameter: message_id")
                self.reads.append(payload)
                return 200, {"success": True}
            problem = self._check_message(payload)
            if problem:
                return problem
            wamid = f"wamid.out.{uuid.uuid4().hex[:16]}"
            with self._lock:
                self.sent.append({**payload, "id": wamid})
            if self.hold_replies is not None:
                self.hold_replies.wait(timeout=60)
            return 200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
                "messages": [{"id": wamid}],
            }
        return self._error(404, 100, "Unknown path")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
                return

            def _answer(self, payload: dict[str, Any] | None) -> None:
                if fake.down:
                    self.close_connection = True
                    self.connection.close()
                    return
                status, body = fake.handle(self.command, self.path, self.headers, payload)
                if isinstance(body, tuple):  # media bytes
                    data, mime = body
                    self.send_response(status)
                    self.send_header("Content-Type", mime)
                else:
                    data = json.dumps(body).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._answer(None)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                content_type = self.headers.get("content-type") or ""
                try:
                    payload = (
                        _multipart(content_type, raw) if content_type.startswith("multipart/") else json.loads(raw)
                    )
                except ValueError:
                    payload = None
                if not isinstance(payload, dict):
                    status, body = fake._error(400, 100, "Invalid JSON")
                    data = json.dumps(body).encode()
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self._answer(payload)

        return Handler
