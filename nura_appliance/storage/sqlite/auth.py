"""Users, the audit log and the security log on SQLite (see
:class:`~nura_appliance.storage.base.UserStore` and :class:`~nura_appliance.storage.base.LogStore`).
Every call runs on the database's reader pool or writer thread, never on the event loop."""

from __future__ import annotations

import builtins
import json
import time
from typing import Any

from nura_appliance.errors import Conflict
from nura_appliance.storage.base import LastAdminError, UserRecord, user_record
from nura_appliance.storage.sqlite.db import Connection, Database


class SqliteAuthStore:
    """Users, audit log and security log in ``nura.db``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- users ------------------------------------------------------------------------------------
    async def get(self, username: str) -> UserRecord | None:
        row = await self.db.fetchone("SELECT * FROM users WHERE username = ?", (username,))
        return user_record(row) if row else None

    async def get_for_token(self, username: str, token_id: str) -> tuple[UserRecord | None, bool]:
        """The user a token names and whether that token was logged out, in one read (the request
        path reads the user anyway, so the durable revocation check costs no extra round trip)."""
        row = await self.db.fetchone(
            "SELECT users.*, EXISTS (SELECT 1 FROM revoked_tokens WHERE token_id = ?) AS token_revoked"
            " FROM users WHERE username = ?",
            (token_id, username),
        )
        return (user_record(row), bool(row["token_revoked"])) if row else (None, False)

    async def revoke_token(self, token_id: str, username: str, expires_at: float) -> None:
        """Record a logout until the token would have expired; drops records that have."""
        now = time.time()

        def run(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO revoked_tokens (token_id, username, expires_at, revoked_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (token_id) DO NOTHING",
                (token_id, username, expires_at, now),
            )
            # An expired token is refused by its signature check already: its record is no use.
            conn.execute("DELETE FROM revoked_tokens WHERE expires_at < ?", (now,))

        await self.db.write(run)

    async def list(self, role: str | None = None, active: bool | None = None) -> builtins.list[UserRecord]:
        sql = "SELECT * FROM users WHERE 1 = 1"
        params: builtins.list[Any] = []
        if role is not None:
            sql += " AND role = ?"
            params.append(role)
        if active is not None:
            sql += " AND active = ?"
            params.append(int(active))
        rows = await self.db.fetchall(sql + " ORDER BY username COLLATE NOCASE", params)
        return [user_record(r) for r in rows]

    async def create(self, username: str, password_hash: str, role: str, display_name: str | None) -> UserRecord:
        def run(conn: Connection) -> dict[str, Any]:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchall():
                raise Conflict(f"a user named {username!r} exists already", code="user_exists")
            now = time.time()
            conn.execute(
                "INSERT INTO users (username, password_hash, role, display_name, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (username, password_hash, role, display_name, now, now),
            )
            return conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchall()[0]

        return user_record(await self.db.write(run))

    async def update(
        self,
        username: str,
        *,
        role: str | None = None,
        active: bool | None = None,
        display_name: str | None = None,
        password_hash: str | None = None,
        bump_version: bool = False,
        keep_an_admin: bool = True,
    ) -> UserRecord | None:
        """Change a user in one transaction; refuses to leave no active admin behind."""

        def run(conn: Connection) -> dict[str, Any] | None:
            rows = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchall()
            if not rows:
                return None
            before = rows[0]
            sets: list[str] = ["updated_at = ?"]
            params: list[Any] = [time.time()]
            for column, value in (("role", role), ("display_name", display_name), ("password_hash", password_hash)):
                if value is not None:
                    sets.append(f"{column} = ?")
                    params.append(value)
            if active is not None:
                sets.append("active = ?")
                params.append(int(active))
            if bump_version:
                sets.append("token_version = token_version + 1")
            conn.execute(f"UPDATE users SET {', '.join(sets)} WHERE id = ?", (*params, before["id"]))
            if keep_an_admin and before["role"] == "admin" and before["active"]:
                left = conn.execute("SELECT count(*) AS n FROM users WHERE role = 'admin' AND active = 1")
                if left.fetchall()[0]["n"] == 0:
                    # Raising rolls this write back (the writer runs it in its own savepoint).
                    raise LastAdminError("this is the last active admin; make another admin first")
            return conn.execute("SELECT * FROM users WHERE id = ?", (before["id"],)).fetchall()[0]

        row = await self.db.write(run)
        return user_record(row) if row else None

    async def touch_login(self, username: str) -> None:
        await self.db.execute("UPDATE users SET last_login_at = ? WHERE username = ?", (time.time(), username))

    # -- logs -------------------------------------------------------------------------------------
    async def add_audit(self, actor: str, action: str, target: str | None, detail: dict[str, Any] | None) -> None:
        await self.db.execute(
            "INSERT INTO audit_log (actor, action, target, detail, created_at) VALUES (?, ?, ?, ?, ?)",
            (
                actor,
                action,
                target,
                json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
                time.time(),
            ),
        )

    async def add_security(
        self, event: str, ip: str | None, username: str | None, path: str | None, detail: dict[str, Any] | None
    ) -> None:
        await self.db.execute(
            "INSERT INTO security_logs (event, ip, username, path, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                event,
                ip,
                username,
                path,
                json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
                time.time(),
            ),
        )

    async def _page(
        self, table: str, filters: builtins.list[tuple[str, Any]], limit: int, offset: int
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        where = " AND ".join(clause for clause, _ in filters) or "1 = 1"
        params = [value for _, value in filters]

        def run(conn: Connection) -> tuple[builtins.list[dict[str, Any]], int]:
            total = conn.execute(f"SELECT count(*) AS n FROM {table} WHERE {where}", params).fetchall()[0]["n"]
            rows = conn.execute(
                f"SELECT * FROM {table} WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset)
            ).fetchall()
            for row in rows:
                row["detail"] = json.loads(row["detail"]) if row.get("detail") else None
            return rows, total

        return await self.db.read(run)

    async def audit(
        self, limit: int, offset: int, actor: str | None, action: str | None, since: float | None
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        filters: builtins.list[tuple[str, Any]] = []
        if actor:
            filters.append(("actor = ?", actor))
        if action:
            filters.append(("action = ?", action))
        if since is not None:
            filters.append(("created_at >= ?", since))
        return await self._page("audit_log", filters, limit, offset)

    async def security(
        self, limit: int, offset: int, event: str | None, since: float | None
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        filters: builtins.list[tuple[str, Any]] = []
        if event:
            filters.append(("event = ?", event))
        if since is not None:
            filters.append(("created_at >= ?", since))
        return await self._page("security_logs", filters, limit, offset)
