"""Users, the audit log and the security log on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.UserStore` and :class:`~nura_appliance.storage.base.LogStore`).
``users.username`` is ``citext`` here, so names compare and sort without regard to case, as
SQLite's ``COLLATE NOCASE`` does."""

from __future__ import annotations

import builtins
import json
import time
from typing import Any

from nura_appliance.errors import Conflict
from nura_appliance.storage.base import LastAdminError, UserRecord, user_record
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase


def _detail(detail: dict[str, Any] | None) -> str | None:
    return json.dumps(detail, ensure_ascii=False, default=str) if detail else None


class PgAuthStore:
    """Users, audit log and security log on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    # -- users ------------------------------------------------------------------------------------
    async def get(self, username: str) -> UserRecord | None:
        row = await self.db.read(lambda c: c.sql("SELECT * FROM users WHERE username = %s", (username,)).fetchone())
        return user_record(row) if row else None

    async def get_for_token(self, username: str, token_id: str) -> tuple[UserRecord | None, bool]:
        row = await self.db.read(
            lambda c: c.sql(
                "SELECT users.*, EXISTS (SELECT 1 FROM revoked_tokens WHERE token_id = %s) AS token_revoked"
                " FROM users WHERE username = %s",
                (token_id, username),
            ).fetchone()
        )
        return (user_record(row), bool(row["token_revoked"])) if row else (None, False)

    async def revoke_token(self, token_id: str, username: str, expires_at: float) -> None:
        now = time.time()

        def run(conn: PgConnection) -> None:
            conn.sql_pipeline(
                [
                    (
                        "INSERT INTO revoked_tokens (token_id, username, expires_at, revoked_at)"
                        " VALUES (%s, %s, %s, %s) ON CONFLICT (token_id) DO NOTHING",
                        (token_id, username, expires_at, now),
                    ),
                    # An expired token is refused by its signature check already: its record is no use.
                    ("DELETE FROM revoked_tokens WHERE expires_at < %s", (now,)),
                ]
            )

        await self.db.write(run)

    async def list(self, role: str | None = None, active: bool | None = None) -> builtins.list[UserRecord]:
        where: builtins.list[str] = ["TRUE"]
        params: builtins.list[Any] = []
        if role is not None:
            where.append("role = %s")
            params.append(role)
        if active is not None:
            where.append("active = %s")
            params.append(int(active))
        rows = await self.db.read(
            lambda c: c.sql(f"SELECT * FROM users WHERE {' AND '.join(where)} ORDER BY username", params).fetchall()
        )
        return [user_record(r) for r in rows]

    async def create(self, username: str, password_hash: str, role: str, display_name: str | None) -> UserRecord:
        def run(conn: PgConnection) -> dict[str, Any]:
            now = time.time()
            row = conn.sql(
                "INSERT INTO users (username, password_hash, role, display_name, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (username) DO NOTHING RETURNING *",
                (username, password_hash, role, display_name, now, now),
            ).fetchone()
            if row is None:
                raise Conflict(f"a user named {username!r} exists already", code="user_exists")
            return row

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
        sets: list[str] = ["updated_at = %s"]
        params: list[Any] = [time.time()]
        for column, value in (("role", role), ("display_name", display_name), ("password_hash", password_hash)):
            if value is not None:
                sets.append(f"{column} = %s")
                params.append(value)
        if active is not None:
            sets.append("active = %s")
            params.append(int(active))
        if bump_version:
            sets.append("token_version = token_version + 1")

        def run(conn: PgConnection) -> dict[str, Any] | None:
            before = conn.sql("SELECT id, role, active FROM users WHERE username = %s", (username,)).fetchone()
            if before is None:
                return None
            after = conn.sql(
                f"UPDATE users SET {', '.join(sets)} WHERE id = %s RETURNING *", (*params, before["id"])
            ).fetchone()
            if keep_an_admin and before["role"] == "admin" and before["active"]:
                left = conn.sql("SELECT count(*) AS n FROM users WHERE role = 'admin' AND active = 1").fetchone()
                if left is not None and left["n"] == 0:
                    # Raising rolls this write back (the writer runs it in its own savepoint).
                    raise LastAdminError("this is the last active admin; make another admin first")
            return after

        row = await self.db.write(run)
        return user_record(row) if row else None

    async def touch_login(self, username: str) -> None:
        await self.db.write(
            lambda c: c.sql("UPDATE users SET last_login_at = %s WHERE username = %s", (time.time(), username))
        )

    # -- logs -------------------------------------------------------------------------------------
    async def add_audit(self, actor: str, action: str, target: str | None, detail: dict[str, Any] | None) -> None:
        params = (actor, action, target, _detail(detail), time.time())
        await self.db.write(
            lambda c: c.sql(
                "INSERT INTO audit_log (actor, action, target, detail, created_at) VALUES (%s, %s, %s, %s, %s)",
                params,
            )
        )

    async def add_security(
        self, event: str, ip: str | None, username: str | None, path: str | None, detail: dict[str, Any] | None
    ) -> None:
        params = (event, ip, username, path, _detail(detail), time.time())
        await self.db.write(
            lambda c: c.sql(
                "INSERT INTO security_logs (event, ip, username, path, detail, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                params,
            )
        )

    async def _page(
        self, table: str, filters: builtins.list[tuple[str, Any]], limit: int, offset: int
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        where = " AND ".join(clause for clause, _ in filters) or "TRUE"
        params = [value for _, value in filters]

        def run(conn: PgConnection) -> tuple[builtins.list[dict[str, Any]], int]:
            total, rows = conn.sql_pipeline(
                [
                    (f"SELECT count(*) AS n FROM {table} WHERE {where}", params),
                    (
                        f"SELECT * FROM {table} WHERE {where} ORDER BY id DESC LIMIT %s OFFSET %s",
                        (*params, limit, offset),
                    ),
                ],
                snapshot=True,
            )
            for row in rows:
                row["detail"] = json.loads(row["detail"]) if row.get("detail") else None
            return rows, int(total[0]["n"])

        return await self.db.read(run)

    async def audit(
        self, limit: int, offset: int, actor: str | None, action: str | None, since: float | None
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        filters: builtins.list[tuple[str, Any]] = []
        if actor:
            filters.append(("actor = %s", actor))
        if action:
            filters.append(("action = %s", action))
        if since is not None:
            filters.append(("created_at >= %s", since))
        return await self._page("audit_log", filters, limit, offset)

    async def security(
        self, limit: int, offset: int, event: str | None, since: float | None
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        filters: builtins.list[tuple[str, Any]] = []
        if event:
            filters.append(("event = %s", event))
        if since is not None:
            filters.append(("created_at >= %s", since))
        return await self._page("security_logs", filters, limit, offset)
