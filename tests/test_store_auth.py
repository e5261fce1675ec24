"""Contract of the auth stores (:class:`~nura_appliance.storage.base.UserStore` and
:class:`~nura_appliance.storage.base.LogStore`): one mixin, run on SQLite and on a real PostgreSQL
(missing PostgreSQL skips locally and fails under CI=true)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from nura_appliance.errors import Conflict, StorageError
from nura_appliance.storage.base import AuthStore, LastAdminError
from nura_appliance.storage.stores import stores_for


class AuthStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> AuthStore:
        return stores_for(db).auth

    async def test_create_get_and_duplicates(self, store: AuthStore) -> None:
        assert await store.get("amal") is None
        user = await store.create("amal", "hash", "agent", "Amal")
        assert (user.username, user.role, user.display_name, user.active, user.token_version) == (
            "amal",
            "agent",
            "Amal",
            True,
            0,
        )
        assert user.id > 0 and user.last_login_at is None and user.created_at == user.updated_at
        assert await store.get("amal") == user
        assert (await store.get("AMAL")) == user  # names compare without case
        with pytest.raises(Conflict) as exc:
            await store.create("Amal", "h2", "viewer", None)
        assert exc.value.code == "user_exists"

    async def test_list_filters_and_order(self, store: AuthStore) -> None:
        for name, role in (("zed", "admin"), ("Bob", "agent"), ("alice", "agent"), ("carl", "viewer")):
            await store.create(name, "h", role, None)
        await store.update("carl", active=False)
        assert [u.username for u in await store.list()] == ["alice", "Bob", "carl", "zed"]
        assert [u.username for u in await store.list(role="agent")] == ["alice", "Bob"]
        assert [u.username for u in await store.list(active=False)] == ["carl"]
        assert [u.username for u in await store.list(role="viewer", active=True)] == []

    async def test_update_and_the_last_admin(self, store: AuthStore) -> None:
        await store.create("root", "h", "admin", None)
        assert await store.update("nobody", role="agent") is None
        changed = await store.update("root", display_name="Root", password_hash="h2", bump_version=True)
        assert changed is not None and (changed.display_name, changed.password_hash, changed.token_version) == (
            "Root",
            "h2",
            1,
        )
        with pytest.raises(LastAdminError):
            await store.update("root", role="agent")
        with pytest.raises(LastAdminError):
            await store.update("root", active=False)
        still = await store.get("root")
        assert still is not None and still.role == "admin" and still.active  # rolled back
        assert (await store.update("root", active=False, keep_an_admin=False)) is not None
        await store.create("second", "h", "admin", None)
        await store.update("root", active=True, keep_an_admin=False)
        demoted = await store.update("root", role="viewer")  # another admin is left
        assert demoted is not None and demoted.role == "viewer"
        await store.touch_login("second")
        second = await store.get("second")
        assert second is not None and second.last_login_at is not None and second.last_login_at <= time.time()

    async def test_tokens(self, store: AuthStore) -> None:
        await store.create("amal", "h", "agent", None)
        assert await store.get_for_token("ghost", "t1") == (None, False)
        user, revoked = await store.get_for_token("amal", "t1")
        assert user is not None and not revoked
        future = time.time() + 3600
        await store.revoke_token("t1", "amal", future)
        await store.revoke_token("t1", "amal", future)  # again: no error
        assert (await store.get_for_token("amal", "t1"))[1] is True
        assert (await store.get_for_token("amal", "t2"))[1] is False
        await store.revoke_token("old", "amal", time.time() - 1)  # already expired: dropped at once
        assert (await store.get_for_token("amal", "old"))[1] is False

    async def test_logs(self, store: AuthStore) -> None:
        await store.add_audit("root", "user.create", "amal", {"role": "agent", "ك": 1})
        await store.add_audit("root", "settings.change", None, None)
        await store.add_audit("amal", "user.create", "bob", {})
        await store.add_security("login_failed", "10.0.0.1", "amal", "/v1/auth/login", {"n": 2})
        rows, total = await store.audit(10, 0, None, None, None)
        assert total == 3 and [r["action"] for r in rows] == ["user.create", "settings.change", "user.create"]
        assert (
            rows[2]["detail"] == {"role": "agent", "ك": 1} and rows[1]["detail"] is None and rows[0]["detail"] is None
        )
        rows, total = await store.audit(1, 1, "root", None, None)
        assert total == 2 and [r["action"] for r in rows] == ["user.create"]
        assert (await store.audit(10, 0, None, "user.create", None))[1] == 2
        assert (await store.audit(10, 0, None, None, time.time() + 60))[1] == 0
        rows, total = await store.security(10, 0, "login_failed", None)
        assert total == 1 and rows[0]["ip"] == "10.0.0.1" and rows[0]["detail"] == {"n": 2}
        assert (await store.security(10, 0, "other", None)) == ([], 0)

    async def test_racing_creates_and_demotions(self, store: AuthStore) -> None:
        results = await asyncio.gather(
            *(store.create("same", f"h{n}", "agent", None) for n in range(8)), return_exceptions=True
        )
        assert sum(1 for r in results if not isinstance(r, BaseException)) == 1
        assert all(isinstance(r, Conflict) for r in results if isinstance(r, BaseException))
        await store.create("a1", "h", "admin", None)
        await store.create("a2", "h", "admin", None)
        demotions = await asyncio.gather(
            store.update("a1", role="agent"), store.update("a2", role="agent"), return_exceptions=True
        )
        assert sum(1 for r in demotions if isinstance(r, LastAdminError)) == 1  # one admin is always left
        assert len(await store.list(role="admin", active=True)) == 1

    async def test_closed_database_is_a_storage_error(self, store: AuthStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.get("amal")
        with pytest.raises(StorageError):
            await store.add_audit("a", "b", None, None)


class TestSqliteAuthStore(AuthStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresAuthStore(AuthStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
