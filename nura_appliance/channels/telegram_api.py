"""A small client for the Telegram Bot API (the methods the channel uses), over httpx.

Every method is ``POST {TELEGRAM_API_BASE}/bot<token>/<method>`` with a JSON body; replies are
``{"ok": true, "result": …}`` or ``{"ok": false, "error_code": …, "description": …,
"parameters": {"retry_after": …}}``. Flood control (429) is waited out for the time Telegram
asks (bounded), server errors and network failures are retried with backoff, and anything else
(400 bad request, 403 bot blocked, 401 bad token, 409 webhook/poller conflict) is raised at once:
retrying it cannot help.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 60.0  # never sleep longer than this for one 429, whatever the server says
ATTEMPTS = 4


class TelegramError(Exception):
    """A Bot API call that failed for good."""

    def __init__(self, method: str, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"telegram {method} failed: {code} {description}")
        self.method = method
        self.code = code
        self.description = description
        self.retry_after = retry_after


class TelegramApi:
    """Calls the Bot API for one bot token."""

    def __init__(
        self,
        token: str,
        base_url: str = "https://api.telegram.org",
        *,
        client: httpx.AsyncClient | None = None,
        backoff: float = 1.0,
    ) -> None:
        self._base = f"{base_url.rstrip('/')}/bot{token}/"
        self._files = f"{base_url.rstrip('/')}/file/bot{token}/"
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))
        self._backoff = backoff
        self.sleep = asyncio.sleep  # replaced by tests that count waits

    async def call(self, method: str, payload: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """Call ``method``; returns its ``result``.

        Raises:
            TelegramError: the API refused the call, or it still failed after the retries.
        """
        return await self._call(method, {"json": payload or {}}, timeout)

    async def _call(self, method: str, request: dict[str, Any], timeout: float | None = None) -> Any:
        """``call`` with the request body as httpx keyword arguments (JSON, or multipart files)."""
        last: TelegramError | None = None
        for attempt in range(ATTEMPTS):
            try:
                response = await self._client.post(
                    self._base + method,
                    **request,
                    timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.HTTPError as exc:
                last = TelegramError(method, 0, f"network error: {exc.__class__.__name__}")
                await self.sleep(self._backoff * 2**attempt)
                continue
            try:
                body = response.json()
            except ValueError:
                body = {"ok": False, "error_code": response.status_code, "description": response.text[:200]}
            if isinstance(body, dict) and body.get("ok") is True:
                return body.get("result")
            code = (
                int(body.get("error_code") or response.status_code) if isinstance(body, dict) else response.status_code
            )
            description = str(body.get("description", "")) if isinstance(body, dict) else ""
            params = body.get("parameters") or {} if isinstance(body, dict) else {}
            retry_after = params.get("retry_after") if isinstance(params, dict) else None
            last = TelegramError(method, code, description, retry_after)
            if code == 429:
                wait = min(float(retry_after or 1), MAX_RETRY_AFTER)
                log.warning("telegram flood control on %s: waiting %.1f s", method, wait)
                await self.sleep(wait)
                continue
            if code >= 500:
                await self.sleep(self._backoff * 2**attempt)
                continue
            raise last
        assert last is not None
        raise last

    async def get_updates(self, offset: int | None, timeout: int) -> list[dict[str, Any]]:
        payload: dict[str, Any] = {"timeout": timeout, "allowed_updates": ["message", "callback_query"]}
        if offset is not None:
            payload["offset"] = offset
        # The HTTP timeout must outlast the long poll itself.
        return list(await self.call("getUpdates", payload, timeout=timeout + 15))

    async def send_message(
        self, chat_id: int | str, text: str, reply_markup: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        # No parse_mode: customer and agent text goes out as plain text, never as markup.
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text, "disable_web_page_preview": True}
        if reply_markup:
            payload["reply_markup"] = reply_markup
        return dict(await self.call("sendMessage", payload))

    async def get_file(self, file_id: str) -> dict[str, Any]:
        """``{file_id, file_size, file_path}`` of a file a customer sent (bots may fetch up to 20 MB)."""
        return dict(await self.call("getFile", {"file_id": file_id}))

    async def download(self, file_path: str, max_bytes: int) -> bytes:
        """The bytes of ``file_path`` (from ``get_file``); refuses more than ``max_bytes``."""
        try:
            async with self._client.stream("GET", self._files + file_path) as response:
                if response.status_code != 200:
                    raise TelegramError("download", response.status_code, "file download failed")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise TelegramError("download", 413, f"file is larger than {max_bytes} bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise TelegramError("download", 0, f"network error: {exc.__class__.__name__}") from None

    async def send_file(
        self, chat_id: int | str, data: bytes, filename: str, content_type: str, *, photo: bool, caption: str = ""
    ) -> dict[str, Any]:
        """Upload a photo (shown inline) or a document (a PDF) to a chat; the caption is plain text."""
        method, field = ("sendPhoto", "photo") if photo else ("sendDocument", "document")
        fields: dict[str, str] = {"chat_id": str(chat_id)}
        if caption:
            fields["caption"] = caption[:1024]  # Telegram's caption limit
        files = {field: (filename, data, content_type)}
        return dict(await self._call(method, {"data": fields, "files": files}))

    async def answer_callback_query(self, callback_query_id: str, text: str | None = None) -> bool:
        payload: dict[str, Any] = {"callback_query_id": callback_query_id}
        if text:
            payload["text"] = text
        return bool(await self.call("answerCallbackQuery", payload))

    async def set_webhook(self, url: str, secret_token: str) -> bool:
        return bool(
            await self.call(
                "setWebhook",
                {"url": url, "secret_token": secret_token, "allowed_updates": ["message", "callback_query"]},
            )
        )

    async def delete_webhook(self) -> bool:
        return bool(await self.call("deleteWebhook", {}))

    async def close(self) -> None:
        await self._client.aclose()
