"""Contract of :class:`~nura_appliance.storage.base.PassageSearchStore` (the grounded answer tier's
built-in lexical search over handbook chunks): one mixin, run on SQLite and on a real PostgreSQL
(missing PostgreSQL skips locally and fails under CI=true). The tier's use of it is in
``test_ai_local.py`` / ``test_ai_openai.py``."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import seed_rows

from nura_appliance.ai.grounded import lexical_passages
from nura_appliance.errors import StorageError
from nura_appliance.storage.base import PassageSearchStore
from nura_appliance.storage.stores import stores_for

CHUNKS = [
    (1, "Roaming", "roaming costs five dollars a day abroad"),
    (2, "Loyalty", "loyalty points never expire points points"),
    (3, "Router", "restart the router to fix slow internet"),
]


class PassageSearchStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> PassageSearchStore:
        seed_rows(db, "handbook_docs", [{"id": 1, "path": "guide.md", "title": "Guide", "content_hash": "h",
                                         "chunks": 3, "updated_at": 1.0}])  # fmt: skip
        seed_rows(db, "handbook_chunks", [{"id": cid, "doc_id": 1, "position": cid, "heading": heading, "text": text,
                                           "lang": "en", "content_hash": f"c{cid}"} for cid, heading, text in CHUNKS])  # fmt: skip
        fts = [{"text": f"{h} {t}".lower(), "kind": "chunk", "ref": str(cid), "field": "chunk", "lang": "en"}
               for cid, h, t in CHUNKS]  # fmt: skip
        # An article row with the same words: never a chunk match.
        fts.append({"text": "roaming loyalty router", "kind": "article", "ref": "a1", "field": "body", "lang": "en"})
        seed_rows(db, "kb_fts", fts)
        return stores_for(db).passages

    async def test_matches_are_chunks_best_first(self, store: PassageSearchStore) -> None:
        rows = await store.chunk_matches(["points", "roaming"], 10)
        assert [r["ref"] for r in rows] == ["2", "1"]  # three 'points' outrank one 'roaming'
        assert set(rows[0]) == {"ref", "norm", "text", "heading", "path"}
        assert rows[0]["heading"] == "Loyalty" and rows[0]["path"] == "guide.md"
        assert rows[0]["text"] == CHUNKS[1][2] and rows[0]["norm"].startswith("loyalty loyalty points")
        assert [r["ref"] for r in await store.chunk_matches(["router"], 10)] == ["3"]
        assert len(await store.chunk_matches(["points", "roaming", "router"], 2)) == 2

    async def test_no_terms_no_match_and_bad_input(self, store: PassageSearchStore) -> None:
        assert await store.chunk_matches([], 5) == []
        assert await store.chunk_matches(["", "  "], 5) == []
        assert await store.chunk_matches(["points"], 0) == []
        assert await store.chunk_matches(["electricity"], 5) == []
        # Quotes, operators and FTS syntax are plain text, never a query error.
        assert await store.chunk_matches(['"', "'", "OR", "NEAR(", "zz*", "\\", "-x"], 5) == []
        assert [r["ref"] for r in await store.chunk_matches(["points'", "(points)"], 5)] == [
            "2"
        ]  # punctuation is not a term
        with pytest.raises(ValueError):
            await store.chunk_matches(["points"], -1)

    async def test_the_tier_scores_the_matches(self, store: PassageSearchStore) -> None:
        passages = await lexical_passages(store, "how do loyalty points work", 2)
        assert [p.ref for p in passages][:1] == ["2"] and passages[0].doc == "guide.md"
        assert await lexical_passages(store, "?", 2) == []

    async def test_closed_database_is_a_storage_error(self, store: PassageSearchStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.chunk_matches(["points"], 5)
        assert await lexical_passages(store, "loyalty points", 2) == []  # the tier treats it as nothing found


class TestSqlitePassageSearchStore(PassageSearchStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresPassageSearchStore(PassageSearchStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
