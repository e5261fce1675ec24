"""A small client for the WhatsApp Business Cloud API (the Graph API calls the channel makes).

* ``POST {WHATSAPP_API_BASE}/{phone-number-id}/messages`` with ``Authorization: Bearer <token>``
  sends a message (text, interactive list or buttons, template) and answers
  ``{"messages": [{"id": "wamid…"}]}``; the same call with ``{"status": "read", "message_id"}``
  marks a customer's message as read (blue ticks) and can show the typing indicator.
* ``GET {base}/{media-id}`` gives a customer's file's short-lived ``url``, ``mime_type`` and
  ``file_size``; the file itself is fetched from that URL with the same token.

Errors come as ``{"error": {"message", "type", "code", "error_data": {"details"}, "fbtrace_id"}}``.
One call is one attempt: the retries with back-off belong to the outbox (``whatsapp.py``), which
knows what was already sent. :attr:`WhatsAppError.retryable` says whether trying again can help
(network failures, 5xx, Meta's throttling codes) or not (a bad request, a closed 24-hour window,
a refused token).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)

# Meta error codes that mean "later": app/account throttling, spam-rate and pair-rate limits,
# temporary service errors. https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
THROTTLED_CODES = frozenset({4, 80007, 130429, 131048, 131056, 133016})
TEMPORARY_CODES = frozenset({1, 2, 131000, 131016, 133004})
WINDOW_CLOSED_CODE = 131047  # "Re-engagement message": more than 24 hours since the customer wrote


class WhatsAppError(Exception):
    """A Graph API call that failed."""

    def __init__(self, what: str, status: int, code: int | None, message: str) -> None:
        super().__init__(f"whatsapp {what} failed: {status} {code or ''} {message}".strip())
        self.what = what
        self.status = status  # HTTP status; 0 for a network failure
        self.code = code  # Meta's error code
        self.message = message

    @property
    def retryable(self) -> bool:
        if self.status == 0 or self.status >= 500 or self.status == 429:
            return True
        return self.code in THROTTLED_CODES or self.code in TEMPORARY_CODES

    @property
    def outage(self) -> bool:
        """The API is not there (network, 5xx): what the circuit breaker counts."""
        return self.status == 0 or self.status >= 500

    @property
    def window_closed(self) -> bool:
        return self.code == WINDOW_CLOSED_CODE


class WhatsAppApi:
    """Calls the Graph API for one business phone number."""

    def __init__(
        self,
        token: str,
        phone_number_id: str,
        base_url: str = "https://graph.facebook.com/v21.0",
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = 20.0,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._phone = phone_number_id
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._client = client

    def _http(self) -> httpx.AsyncClient:
        # A client per event loop: the job queue sends from its own threads and loops.
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client

    async def _request(self, what: str, method: str, url: str, payload: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._http().request(method, url, json=payload, headers=self._headers)
        except httpx.HTTPError as exc:
            raise WhatsAppError(what, 0, None, f"network error: {exc.__class__.__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict) and "error" not in body:
            return body
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
        message = str(details or error.get("message") or response.text[:200] or "no answer")
        raise WhatsAppError(what, response.status_code, int(code) if isinstance(code, int) else None, message)

    async def send(self, to: str, message: dict[str, Any]) -> str:
        """Send one message (``message`` is the type part: ``{"type": "text", "text": {...}}``);
        returns its ``wamid``."""
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
        body = await self._request("send", "POST", f"{self._base}/{self._phone}/messages", payload)
        messages = body.get("messages") if isinstance(body, dict) else None
        if not messages or not isinstance(messages[0], dict) or not messages[0].get("id"):
            raise WhatsAppError("send", 200, None, "the answer names no message id")
        return str(messages[0]["id"])

    async def mark_read(self, message_id: str, *, typing: bool = False) -> None:
        """Blue ticks on the customer's message; with ``typing`` the customer also sees "typing…"
        until the answer arrives (or 25 seconds pass)."""
        payload: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
        if typing:
            payload["typing_indicator"] = {"type": "text"}
        await self._request("mark_read", "POST", f"{self._base}/{self._phone}/messages", payload)

    async def upload(self, data: bytes, filename: str, content_type: str) -> str:
        """Upload a file for sending (``POST /{phone-number-id}/media``, multipart); returns its
        media id."""
        try:
            response = await self._http().post(
                f"{self._base}/{self._phone}/media",
                data={"messaging_product": "whatsapp", "type": content_type},
                files={"file": (filename, data, content_type)},
                headers=self._headers,
            )
        except httpx.HTTPError as exc:
            raise WhatsAppError("upload", 0, None, f"network error: {exc.__class__.__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict) and body.get("id"):
            return str(body["id"])
        error = (body or {}).get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        raise WhatsAppError(
            "upload",
            response.status_code,
            int(code) if isinstance(code, int) else None,
            str(error.get("message") or response.text[:200] or "no media id"),
        )

    async def media(self, media_id: str) -> dict[str, Any]:
        """``{url, mime_type, file_size, sha256}`` of a file a customer sent."""
        body = await self._request("media", "GET", f"{self._base}/{media_id}")
        if not isinstance(body, dict) or not body.get("url"):
            raise WhatsAppError("media", 200, None, "the answer names no url")
        return body

    async def download(self, url: str, max_bytes: int) -> bytes:
        """The bytes at a media ``url``; refuses more than ``max_bytes`` (status 413)."""
        try:
            async with self._http().stream("GET", url, headers=self._headers) as response:
                if response.status_code != 200:
                    raise WhatsAppError("download", response.status_code, None, "media download failed")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise WhatsAppError("download", 413, None, f"file is larger than {max_bytes} bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise WhatsAppError("download", 0, None, f"network error: {exc.__class__.__name__}") from None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
