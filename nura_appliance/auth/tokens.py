"""Signed, expiring staff access tokens (JWT, HS256).

A token names the user (``sub``), the user's ``token_version`` at issue time (``ver``) and a
random id (``jti``). The server checks all three on every request: bumping a user's
``token_version`` (disable, password change) revokes every token issued before, and logout
records the ``jti`` in the ``revoked_tokens`` table until the token would have expired anyway.
Both live in the database; the cache only short-cuts a known revoked ``jti``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

_ISSUER = "nura-appliance"
_ALGORITHM = "HS256"
_LEEWAY_SECONDS = 10


@dataclass(frozen=True)
class TokenClaims:
    """What a verified access token says."""

    username: str
    version: int
    token_id: str
    issued_at: float
    expires_at: float


class TokenSigner:
    """Issues and verifies access tokens with a key derived from ``ADMIN_SECRET_KEY``."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        # Deriving a fixed-length key keeps HS256 at full strength whatever the length of the
        # configured secret, and separates this use of the secret from any other.
        self._key = hashlib.sha256(b"nura-access-token\x00" + secret.encode("utf-8")).digest()
        self.ttl_seconds = int(ttl_seconds)

    def issue(self, username: str, version: int, *, now: float | None = None) -> tuple[str, TokenClaims]:
        """A new token for ``username`` at ``version``; returns the token and its claims."""
        issued = int(now if now is not None else time.time())
        claims = TokenClaims(username, int(version), secrets.token_urlsafe(16), issued, issued + self.ttl_seconds)
        payload: dict[str, Any] = {
            "iss": _ISSUER,
            "sub": claims.username,
            "ver": claims.version,
            "jti": claims.token_id,
            "iat": issued,
            "exp": int(claims.expires_at),
            "typ": "access",
        }
        return jwt.encode(payload, self._key, algorithm=_ALGORITHM), claims

    def verify(self, token: str) -> TokenClaims | None:
        """The claims of a valid, unexpired token signed by us; None for anything else."""
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                issuer=_ISSUER,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "jti", "iss"]},
            )
        except jwt.PyJWTError:
            return None
        if payload.get("typ") != "access" or not isinstance(payload.get("ver"), int):
            return None
        if not isinstance(payload["sub"], str) or not isinstance(payload["jti"], str):
            return None
        return TokenClaims(payload["sub"], payload["ver"], payload["jti"], float(payload["iat"]), float(payload["exp"]))
