"""The error tree. Every API error is rendered by one handler as ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from typing import Any


class NuraError(Exception):
    """Base class of errors that map to an HTTP status and a stable machine-readable code."""

    status: int = 500
    code: str = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers = headers or {}
        self.details = details or {}


class ConfigError(NuraError):
    """A setting is missing, malformed or unsafe."""

    code = "config_error"


class BadRequest(NuraError):
    status = 400
    code = "bad_request"


class Unauthorized(NuraError):
    status = 401
    code = "unauthorized"


class Forbidden(NuraError):
    status = 403
    code = "forbidden"


class NotFound(NuraError):
    status = 404
    code = "not_found"


class Conflict(NuraError):
    status = 409
    code = "conflict"


class PayloadTooLarge(NuraError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(NuraError):
    status = 415
    code = "unsupported_media_type"


class ValidationFailed(NuraError):
    status = 422
    code = "validation_failed"


class RateLimited(NuraError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after)))})
        self.retry_after = retry_after


class ServiceUnavailable(NuraError):
    status = 503
    code = "service_unavailable"


class StorageError(NuraError):
    """The database refused a write (read-only file, full disk, locked beyond the timeout)."""

    status = 503
    code = "storage_unavailable"
