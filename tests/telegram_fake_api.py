"""A fake Telegram Bot API server on loopback for the Telegram channel tests.

It speaks the real HTTP API shape — ``POST /bot<token>/<method>`` with a JSON body, answers
``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description", "parameters"}`` —
for getUpdates (long polling with offsets that confirm earlier updates), sendMessage,
answerCallbackQuery, setWebhook and deleteWebhook, and for files getFile, the file download
(``GET /file/bot<token>/<path>``) and multipart sendPhoto / sendDocument, including the errors the
real one gives:
401 for a wrong token, 400 for an empty or too long text, 409 for getUpdates while a webhook is
set, and 429 flood control with ``retry_after`` (scripted with :meth:`FakeTelegram.fail_next`).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.answered: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.webhook: dict[str, Any] | None = None
        self._failures: dict[str, list[tuple[int, str, dict[str, Any] | None]]] = {}
        self.files: dict[str, bytes] = {}  # file_id -> bytes a customer "sent"
        self.uploads: list[dict[str, Any]] = []  # sendPhoto / sendDocument calls
        self._next_update_id = 1000
        self._message_id = 1
        self._cond = threading.Condition()
        self.max_poll_wait = 2.0
        handler = self._handler_class()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    # -- test controls ----------------------------------------------------------------------------
    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, method: str, code: int, description: str, retry_after: int | None = None) -> None:
        params = {"retry_after": retry_after} if retry_after is not None else None
        self._failures.setdefault(method, []).append((code, description, params))

    def push_update(self, **update: Any) -> int:
        with self._cond:
            update_id = update.pop("update_id", None) or self._next_update_id
            self._next_update_id = max(self._next_update_id, update_id) + 1
            self.updates.append({"update_id": update_id, **update})
            self._cond.notify_all()
        return update_id

    def text_update(self, chat_id: int, text: str, lang: str = "ar", update_id: int | None = None) -> dict[str, Any]:
        update_id = update_id or self._next_update_id
        self._next_update_id = max(self._next_update_id, update_id) + 1
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "text": text,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": lang},
            },
        }

    def add_file(self, data: bytes) -> str:
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = data
        return file_id

    def photo_update(self, chat_id: int, file_id: str, caption: str | None = None, lang: str = "ar") -> dict[str, Any]:
        """A photo message as Telegram sends it: several sizes, the largest last."""
        update = self.text_update(chat_id, "", lang)
        message = update["message"]
        del message["text"]
        size = len(self.files[file_id])
        message["photo"] = [
            {"file_id": "thumb-" + file_id, "file_unique_id": "t", "width": 90, "height": 45, "file_size": 900},
            {"file_id": file_id, "file_unique_id": "u", "width": 800, "height": 400, "file_size": size},
        ]
        if caption:
            message["caption"] = caption
        return update

    def document_update(self, chat_id: int, file_id: str, name: str, mime: str, lang: str = "ar") -> dict[str, Any]:
        update = self.text_update(chat_id, "", lang)
        message = update["message"]
        del message["text"]
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": "d",
            "file_name": name,
            "mime_type": mime,
            "file_size": len(self.files.get(file_id, b"")),
        }
        return update

    def callback_update(self, chat_id: int, data: str, lang: str = "ar") -> dict[str, Any]:
        update_id = self._next_update_id
        self._next_update_id += 1
        return {
            "update_id": update_id,
            "callback_query": {
                "id": f"cq-{update_id}",
                "data": data,
                "chat_instance": "x",
                "from": {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": lang},
                "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}},
            },
        }

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` messages were sent; returns them."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._cond:
                if len(self.sent) >= count:
                    return list(self.sent)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} sent messages, got {len(self.sent)}: {self.sent}")

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [m["text"] for m in self.sent if chat_id is None or str(m["chat_id"]) == str(chat_id)]

    # -- the API --------------------------------------------------------------------------------------
    def _error(self, code: int, description: str, params: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if params:
            body["parameters"] = params
        return code, body

    def handle(self, token: str, method: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if token != self.token:
            return self._error(401, "Unauthorized")
        self.calls.append((method, payload))
        scripted = self._failures.get(method)
        if scripted:
            return self._error(*scripted.pop(0))
        if method == "getUpdates":
            if self.webhook:
                return self._error(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            offset = payload.get("offset")
            wait = min(float(payload.get("timeout") or 0), self.max_poll_wait)
            with self._cond:
                if offset is not None:  # an offset confirms every earlier update
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                deadline = time.time() + wait
                while not self.updates and time.time() < deadline:
                    self._cond.wait(deadline - time.time())
                return 200, {"ok": True, "result": list(self.updates)}
        if method == "sendMessage":
            text = payload.get("text")
            if payload.get("chat_id") in (None, ""):
                return self._error(400, "Bad Request: chat_id is empty")
            if not isinstance(text, str) or not text.strip():
                return self._error(400, "Bad Request: message text is empty")
            if len(text) > 4096:
                return self._error(400, "Bad Request: message is too long")
            markup = payload.get("reply_markup")
            if markup is not None:
                for row in markup.get("inline_keyboard", []):
                    for button in row:
                        if len(button.get("callback_data", "").encode()) > 64:
                            return self._error(400, "Bad Request: BUTTON_DATA_INVALID")
            with self._cond:
                self._message_id += 1
                self.sent.append(payload)
            return 200, {
                "ok": True,
                "result": {
                    "message_id": self._message_id,
                    "date": int(time.time()),
                    "chat": {"id": payload["chat_id"]},
                    "text": text,
                },
            }
        if method == "getFile":
            file_id = payload.get("file_id")
            if file_id not in self.files:
                return self._error(400, "Bad Request: invalid file_id")
            return 200, {
                "ok": True,
                "result": {"file_id": file_id, "file_size": len(self.files[file_id]), "file_path": f"files/{file_id}"},
            }
        if method in ("sendPhoto", "sendDocument"):
            field = "photo" if method == "sendPhoto" else "document"
            upload = payload.get(field)
            if not payload.get("chat_id") or not isinstance(upload, dict) or not upload.get("data"):
                return self._error(400, f"Bad Request: there is no {field} in the request")
            with self._cond:
                self._message_id += 1
                self.uploads.append({"method": method, **payload})
            return 200, {"ok": True, "result": {"message_id": self._message_id, "chat": {"id": payload["chat_id"]}}}
        if method == "answerCallbackQuery":
            if not payload.get("callback_query_id"):
                return self._error(
                    400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
                )
            self.answered.append(payload)
            return 200, {"ok": True, "result": True}
        if method == "setWebhook":
            url = str(payload.get("url", ""))
            if not url.startswith("https://"):
                return self._error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
            self.webhook = payload
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "deleteWebhook":
            self.webhook = None
            return 200, {"ok": True, "result": True}
        return self._error(404, "Not Found: method not found")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                # File downloads: /file/bot<token>/files/<file_id>
                parts = self.path.strip("/").split("/")
                data = None
                if len(parts) == 4 and parts[0] == "file" and parts[1] == f"bot{fake.token}":
                    data = fake.files.get(parts[3])
                if data is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                parts = self.path.strip("/").split("/")
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                if len(parts) != 2 or not parts[0].startswith("bot"):
                    status, body = fake._error(404, "Not Found")
                elif (self.headers.get("content-type") or "").startswith("multipart/form-data"):
                    status, body = fake.handle(parts[0][3:], parts[1], _multipart(self.headers["content-type"], raw))
                else:
                    try:
                        payload = json.loads(raw or b"{}")
                    except ValueError:
                        status, body = fake._error(400, "Bad Request: can't parse JSON")
                    else:
                        status, body = fake.handle(parts[0][3:], parts[1], payload)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """Form fields as text and file parts as ``{"filename", "content_type", "data"}``."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            fields[name] = {"filename": filename, "content_type": part.get_content_type(), "data": data}
        else:
            fields[name] = data.decode("utf-8")
    return fields
