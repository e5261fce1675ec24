"""Webhooks: a receiver on loopback sees signed retries after failures; durable delivery through
the outbox keeps one delivery id across job attempts; every attempt is logged."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port, make_settings

from nura_appliance.context import AppContext, build_context
from nura_appliance.jobs.service import JobService
from nura_appliance.jobs.tasks import WEBHOOK_KIND, run_webhook, webhook_payload
from nura_appliance.jobs.webhooks import WebhookFailed, deliver_webhook, sign, verify

SECRET = "whsec-test-0123456789"


class Receiver:
    """A tiny HTTP server in a thread: answers 500 to the first ``fail_first`` requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append(
                    {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body, "path": self.path}
                )
                status = 500 if len(receiver.requests) <= receiver.fail_first else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(fail_first=2)
    yield server
    server.close()


@pytest.fixture
async def ctx(data_dir: Path) -> AsyncIterator[AppContext]:
    context = build_context(
        make_settings(
            data_dir, LOAD_DEFAULT_KNOWLEDGE=False, ESCALATION_WEBHOOK_SECRET=SECRET, JOB_RETRY_DELAY_SECONDS=10
        )
    )
    yield context
    await asyncio.get_running_loop().run_in_executor(None, context.close)


def test_sign_and_verify() -> None:
    body = b'{"event":"x"}'
    signature = sign(SECRET, "1700000000", body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify(SECRET, "1700000000", body, signature, now=1700000010)
    assert not verify(SECRET, "1700000000", body + b" ", signature, now=1700000010)
    assert not verify("other", "1700000000", body, signature, now=1700000010)
    assert not verify(SECRET, "1700000000", body, signature, now=1700009999)  # too old: replay
    assert not verify(SECRET, "not-a-time", body, signature)


async def test_receiver_sees_signed_retries_after_failures(ctx: AppContext, receiver: Receiver) -> None:
    result = await deliver_webhook(
        receiver.url,
        SECRET,
        "handoff.started",
        {"session_id": "s-1", "reason": "x"},
        outbox=ctx.stores.outbox,
        attempts=4,
        base_delay=0.05,
    )
    assert result["attempts"] == 3 and result["status_code"] == 204
    assert len(receiver.requests) == 3
    deliveries = {r["headers"]["x-nura-delivery"] for r in receiver.requests}
    assert deliveries == {result["delivery_id"]}
    for request in receiver.requests:
        headers = request["headers"]
        assert headers["x-nura-event"] == "handoff.started"
        assert verify(SECRET, headers["x-nura-timestamp"], request["body"], headers["x-nura-signature"])
        payload = json.loads(request["body"])
        assert payload["data"] == {"session_id": "s-1", "reason": "x"} and payload["event"] == "handoff.started"
    log = await ctx.db.fetchall("SELECT attempt, status_code, ok FROM webhook_deliveries ORDER BY id")
    assert log == [
        {"attempt": 1, "status_code": 500, "ok": 0},
        {"attempt": 2, "status_code": 500, "ok": 0},
        {"attempt": 3, "status_code": 204, "ok": 1},
    ]


async def test_unreachable_receiver_raises_after_last_attempt(ctx: AppContext) -> None:
    url = f"http://127.0.0.1:{free_port()}/nobody"
    with pytest.raises(WebhookFailed, match="after 2 attempt"):
        await deliver_webhook(url, SECRET, "e", {}, outbox=ctx.stores.outbox, attempts=2, base_delay=0.01, timeout=2)
    log = await ctx.db.fetchall("SELECT ok, error FROM webhook_deliveries")
    assert len(log) == 2 and all(row["ok"] == 0 and "Connect" in row["error"] for row in log)


async def test_durable_webhook_job_keeps_its_delivery_id(ctx: AppContext) -> None:
    server = Receiver(fail_first=4)  # the first job attempt's 3 tries fail, and the 1st of the next
    try:
        jobs = JobService(ctx)
        jobs.register(WEBHOOK_KIND, run_webhook)
        row_id = await jobs.enqueue(WEBHOOK_KIND, webhook_payload(server.url, "handoff.started", {"n": 1}))
        assert await jobs.run_row(row_id) == "pending"
        row = await ctx.db.fetchone(
            "SELECT attempts, last_error, next_attempt_at - updated_at AS wait FROM outbox WHERE id = ?", (row_id,)
        )
        assert row["attempts"] == 1 and "HTTP 500" in row["last_error"] and row["wait"] == pytest.approx(10, abs=0.01)
        await ctx.db.execute("UPDATE outbox SET next_attempt_at = 0 WHERE id = ?", (row_id,))
        assert await jobs.run_row(row_id) == "done"
        assert len(server.requests) == 5
        assert len({r["headers"]["x-nura-delivery"] for r in server.requests}) == 1
        # Every attempt is in the delivery log, written with its job attempt's outcome.
        log = await ctx.db.fetchall("SELECT attempt, status_code, ok FROM webhook_deliveries ORDER BY id")
        assert [(r["status_code"], r["ok"]) for r in log] == [(500, 0)] * 4 + [(204, 1)]
        assert [r["attempt"] for r in log] == [1, 2, 3, 1, 2]
        assert all(
            verify(SECRET, r["headers"]["x-nura-timestamp"], r["body"], r["headers"]["x-nura-signature"])
            for r in server.requests
        )
        jobs.close()
    finally:
        server.close()


def test_webhook_payload_rejects_non_http_urls() -> None:
    with pytest.raises(Exception, match="http"):
        webhook_payload("file:///etc/passwd", "e", {})
