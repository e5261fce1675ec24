"""Staff accounts and sign-in: :class:`UserService` (create, change, disable, passwords) and
:class:`AuthService` (login, logout, and turning a request's bearer into a :class:`Principal`).

Password hashing is argon2id and deliberately slow, so it always runs on a worker thread.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import time
from dataclasses import dataclass
from typing import Any

from sanic import Request

from nura_appliance.auth.audit import AuditService, client_ip
from nura_appliance.auth.passwords import (
    generate_password,
    hash_password,
    needs_rehash,
    password_problem,
    settings_hasher,
    verify_password,
)
from nura_appliance.auth.store import ROLES, UserRecord, UserStore
from nura_appliance.auth.tokens import TokenSigner
from nura_appliance.errors import ConfigError, Conflict, NotFound, Unauthorized, ValidationFailed
from nura_appliance.settings import Settings
from nura_appliance.storage.base import Cache

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
API_KEY_USERNAME = "api-key"
_SECURITY_LOG_PER_MINUTE = 20


@dataclass(frozen=True)
class Principal:
    """Who is calling: a staff user (``kind="user"``) or the legacy API key (``kind="api_key"``)."""

    username: str
    role: str
    kind: str = "user"
    display_name: str | None = None
    token_id: str | None = None
    expires_at: float | None = None


def _revoked_key(token_id: str) -> str:
    return f"auth:revoked:{token_id}"


def _revoked_ttl(expires_at: float) -> float:
    """Keep a revocation until the token would have expired (plus the signature check's leeway)."""
    return max(1.0, expires_at - time.time() + 15)


def check_username(username: Any) -> str:
    if not isinstance(username, str) or not USERNAME.match(username):
        raise ValidationFailed(
            "'username' must be 1-64 letters, digits or . _ @ - (starting with a letter or digit)",
            code="invalid_field",
            details={"field": "username"},
        )
    if username.lower() == API_KEY_USERNAME:
        raise ValidationFailed(f"'{API_KEY_USERNAME}' is reserved", code="invalid_field", details={"field": "username"})
    return username


def check_role(role: Any) -> str:
    if role not in ROLES:
        raise ValidationFailed("'role' must be admin, agent or viewer", code="invalid_field", details={"field": "role"})
    return str(role)


async def create_first_admin(settings: Settings, store: UserStore) -> dict[str, Any] | None:
    """Create the first admin (``ADMIN_USERNAME``; ``ADMIN_PASSWORD``, else a generated password)
    when there is no user yet; returns its name, display name and any generated password (shown
    once). Called by ``nura init`` and, when ``ADMIN_PASSWORD`` is set, at every start-up, on the
    store of the configured database (SQLite or PostgreSQL)."""
    if await store.list():
        return None
    username = settings.admin_username
    password = settings.admin_password
    generated = not password
    if generated:
        password = generate_password()
    problem = password_problem(password, username, strict=settings.is_production)
    if problem:
        raise ConfigError(f"ADMIN_PASSWORD: {problem}")
    password_hash = await asyncio.to_thread(hash_password, password, settings_hasher(settings))
    # The display name is what customers read ("Layla joined the conversation"); without one they
    # see a generic "customer service" rather than the login name.
    display_name = settings.admin_display_name or None
    try:
        await store.create(username, password_hash, "admin", display_name)
    except Conflict:
        return None  # another worker process created it a moment ago
    return {"username": username, "password": password if generated else None, "display_name": display_name}


class UserService:
    """``ctx.users``: staff accounts. Every change is audited under ``actor``."""

    def __init__(self, settings: Settings, store: UserStore, audit: AuditService) -> None:
        self.settings = settings
        self.store = store
        self.audit = audit

    def _password_ok(self, password: Any, username: str) -> str:
        if not isinstance(password, str):
            raise ValidationFailed("'password' must be a string", code="invalid_field", details={"field": "password"})
        problem = password_problem(password, username, strict=self.settings.is_production)
        if problem:
            raise ValidationFailed(f"password rejected: {problem}", code="weak_password", details={"field": "password"})
        return password

    async def get(self, username: str) -> UserRecord | None:
        return await self.store.get(username)

    async def display_name(self, username: str | None) -> str | None:
        """The name customers see for a staff user: the display name, or None when there is none
        (customers are then shown a generic "customer service", never the username)."""
        if not username:
            return None
        user = await self.store.get(username)
        return ((user.display_name or "").strip() or None) if user is not None else None

    async def require(self, username: str) -> UserRecord:
        user = await self.store.get(username)
        if user is None:
            raise NotFound("no user with this name", code="user_not_found")
        return user

    async def list(self, role: str | None = None, active: bool | None = None) -> list[UserRecord]:
        return await self.store.list(role, active)

    async def create(
        self, username: str, password: str | None, role: str, display_name: str | None = None, *, actor: str
    ) -> tuple[UserRecord, str | None]:
        """Create a user; with no password one is generated and returned (shown once)."""
        check_username(username)
        check_role(role)
        generated = None
        if password is None:
            password = generated = generate_password()
        self._password_ok(password, username)
        if display_name is not None and (not isinstance(display_name, str) or len(display_name) > 100):
            raise ValidationFailed(
                "'display_name' must be text of at most 100 characters",
                code="invalid_field",
                details={"field": "display_name"},
            )
        password_hash = await asyncio.to_thread(hash_password, password, settings_hasher(self.settings))
        user = await self.store.create(username, password_hash, role, display_name)
        await self.audit.record(actor, "user.create", username, {"role": role})
        return user, generated

    async def update(
        self,
        username: str,
        *,
        actor: str,
        role: str | None = None,
        active: bool | None = None,
        display_name: str | None = None,
    ) -> UserRecord:
        """Change role, active flag or display name; disabling revokes the user's tokens at once."""
        if role is not None:
            check_role(role)
        before = await self.require(username)
        user = await self.store.update(
            username, role=role, active=active, display_name=display_name, bump_version=active is False
        )
        if user is None:
            raise NotFound("no user with this name", code="user_not_found")
        changes = {
            k: v
            for k, v in (("role", role), ("active", active), ("display_name", display_name))
            if v is not None and getattr(before, k) != v
        }
        if changes:
            await self.audit.record(actor, "user.update", user.username, changes)
        return user

    async def set_password(self, username: str, password: str, *, actor: str) -> UserRecord:
        """Replace a password and revoke every token issued before."""
        user = await self.require(username)
        self._password_ok(password, user.username)
        password_hash = await asyncio.to_thread(hash_password, password, settings_hasher(self.settings))
        updated = await self.store.update(user.username, password_hash=password_hash, bump_version=True)
        assert updated is not None
        await self.audit.record(actor, "user.password", user.username, None)
        return updated


class AuthService:
    """``ctx.auth``: login, logout and request authentication for the middleware."""

    def __init__(self, settings: Settings, users: UserService, cache: Cache, audit: AuditService) -> None:
        self.settings = settings
        self.users = users
        self.cache = cache
        self.audit = audit
        self.signer = TokenSigner(settings.admin_secret_key, settings.admin_token_ttl_seconds)
        self._dummy_hash: str | None = None

    @staticmethod
    def bearer(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        return value.strip()

    async def principal_from_request(self, request: Request) -> Principal | None:
        """The caller behind ``Authorization: Bearer …``, or None when absent or not valid now."""
        token = self.bearer(request)
        if token is None:
            return None
        if (
            self.settings.api_key_enabled
            and self.settings.api_key
            and hmac.compare_digest(token.encode("utf-8"), str(self.settings.api_key).encode("utf-8"))
        ):
            return Principal(API_KEY_USERNAME, "admin", "api_key", "API key")
        claims = self.signer.verify(token)
        if claims is None:
            await self.log_throttled("token_rejected", request, detail={"reason": "invalid or expired"})
            return None
        # The cache only short-cuts a token known to be logged out; the database decides (in the
        # same read as the user), so a cache that lost its data cannot bring a logged-out token back.
        revoked = bool(await self.cache.get(_revoked_key(claims.token_id)))
        user = None
        if not revoked:
            user, revoked = await self.users.store.get_for_token(claims.username, claims.token_id)
            if revoked:
                await self.cache.set(_revoked_key(claims.token_id), True, ttl=_revoked_ttl(claims.expires_at))
        if revoked:
            await self.log_throttled(
                "token_rejected", request, username=claims.username, detail={"reason": "logged out"}
            )
            return None
        if user is None or not user.active or user.token_version != claims.version:
            await self.log_throttled("token_rejected", request, username=claims.username, detail={"reason": "revoked"})
            return None
        # The display name as set (None when there is none): customers are shown it, never the
        # username, so a fallback here would leak the username into chats (issue 20).
        return Principal(user.username, user.role, "user", user.display_name, claims.token_id, claims.expires_at)

    async def log_throttled(
        self, event: str, request: Request, *, username: str | None = None, detail: dict[str, Any] | None = None
    ) -> None:
        """A security-log row, at most a few per IP and minute, so a flood cannot fill the disk."""
        key = f"seclog:{event}:{client_ip(request)}:{int(time.time() // 60)}"
        if await self.cache.incr(key, 120) <= _SECURITY_LOG_PER_MINUTE:
            await self.audit.security(event, request, username=username, detail=detail)

    async def check_credentials(self, username: str, password: str) -> UserRecord | None:
        """The active user with this password, or None (same cost either way)."""
        user = await self.users.get(username) if USERNAME.match(username) else None
        stored = user.password_hash if user is not None else self._dummy_hash
        if stored is None:
            # Unknown usernames are checked against a throw-away hash, so that a miss costs as much
            # time as a wrong password and response times do not reveal which usernames exist.
            stored = self._dummy_hash = await asyncio.to_thread(
                hash_password, generate_password(), settings_hasher(self.settings)
            )
        ok = await asyncio.to_thread(verify_password, stored, password)
        if user is None or not ok or not user.active:
            return None
        if needs_rehash(user.password_hash, settings_hasher(self.settings)):
            new_hash = await asyncio.to_thread(hash_password, password, settings_hasher(self.settings))
            await self.users.store.update(user.username, password_hash=new_hash)
        return user

    async def issue(self, user: UserRecord) -> dict[str, Any]:
        token, claims = self.signer.issue(user.username, user.token_version)
        await self.users.store.touch_login(user.username)
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(claims.expires_at - time.time()),
            "user": {
                "username": user.username,
                "role": user.role,
                "display_name": user.display_name or user.username,
                "display_name_set": bool(user.display_name),
            },
        }

    async def logout(self, principal: Principal) -> bool:
        """Deny-list the principal's token until it would have expired; False for the API key.

        The database record is what holds (written first: a logout that could not be stored
        fails with 503 rather than pretending); the cache entry lets later requests with the token
        be refused without reading the database."""
        if principal.token_id is None or principal.expires_at is None:
            return False
        await self.users.store.revoke_token(principal.token_id, principal.username, principal.expires_at)
        await self.cache.set(_revoked_key(principal.token_id), True, ttl=_revoked_ttl(principal.expires_at))
        return True

    @staticmethod
    def require_principal(request: Request) -> Principal:
        principal = getattr(request.ctx, "principal", None)
        if principal is None:
            raise Unauthorized("sign in first: send 'Authorization: Bearer <token>'")
        return principal
