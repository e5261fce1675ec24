"""Contract of :class:`~nura_appliance.storage.base.KnowledgeStore` (articles, tree, rules, canned
replies, scope, version and the index swap of a re-index) and
:class:`~nura_appliance.storage.base.IngestionRunStore`: one mixin each, run on SQLite and on a real
PostgreSQL (missing PostgreSQL skips locally and fails under CI=true). The last test loads the same
packs into both backends and compares every row they wrote. Feature-level behaviour (the API, the
CLI, answers) is in ``test_knowledge_*.py`` and ``test_retrieval.py``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest
from conftest import query_rows, seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.knowledge.indexer import VectorIndex
from nura_appliance.knowledge.pack import validate_pack
from nura_appliance.storage.base import IngestionRunStore, KnowledgeStore
from nura_appliance.storage.records import Item
from nura_appliance.storage.stores import knowledge_store, stores_for


def _article(article_id: str, title: str = "Internet is slow", **extra: Any) -> dict[str, Any]:
    return {
        "id": article_id,
        "category": "internet",
        "title": {"en": title, "ar": "الانترنت بطيء"},
        "body": {"en": f"{title}. Restart the router and wait two minutes.", "ar": "أعد تشغيل الراوتر وانتظر دقيقتين."},
        "examples": {"en": [f"why is my {title.lower()}"]},
        "keywords": ["router"],
        **extra,
    }


def _pack(name: str = "first", **extra: Any) -> dict[str, Any]:
    raw = {
        "format": "nura-knowledge/1",
        "name": name,
        "scope_message": {"en": "I answer questions about the internet."},
        "out_of_scope_examples": ["what is the weather"],
        "articles": [_article("internet-slow"), _article("sim-lost", "Lost my SIM")],
        "topic_tree": {
            "id": "root",
            "label": {"en": "Topics"},
            "children": [
                {"id": "internet", "label": {"en": "Internet"}, "children": [
                    {"id": "slow", "label": {"en": "Slow"}, "article": "internet-slow"},
                ]},
                {"id": "talk", "label": {"en": "Talk to someone"}, "action": "agent"},
                {"id": "sim", "label": {"en": "SIM"}, "article": "sim-lost"},
            ],
        },
        "rules": [
            {"id": "hello", "patterns": {"en": ["hi"]}, "response": {"en": "Hello!"}},
            {"id": "bye", "patterns": {"en": ["bye"]}, "response": {"en": "Bye!"}, "match": "contains",
             "enabled": False},
        ],
        "canned_replies": [
            {"id": "wait", "lang": "en", "title": "Wait", "text": "One moment please."},
            {"id": "thanks", "lang": "ar", "title": "Thanks", "text": "شكرا"},
        ],
        **extra,
    }  # fmt: skip
    return validate_pack(raw)


def _meta(db: Any, key: str) -> str | None:
    rows = query_rows(db, "SELECT value FROM kb_meta WHERE key = ?", (key,))
    return rows[0]["value"] if rows else None


def _index_refs(db: Any) -> tuple[set[str], set[str]]:
    fts = {r["ref"] for r in query_rows(db, "SELECT ref FROM kb_fts WHERE kind = 'article'")}
    vectors = {r["ref"] for r in query_rows(db, "SELECT ref FROM kb_vectors WHERE kind = 'article'")}
    return fts, vectors


class KnowledgeStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> KnowledgeStore:
        return knowledge_store(db, VectorIndex(stores_for(db).index))

    async def test_an_empty_knowledge_base(self, store: KnowledgeStore) -> None:
        assert await store.is_empty() is True
        assert await store.articles() == []
        assert await store.article("nope") is None
        assert await store.articles_stamp() == (0, 0.0)
        assert await store.tree() is None
        assert await store.rules() == []
        assert await store.meta("scope_message") is None
        assert await store.version() == "0"
        assert await store.canned_replies() == []
        stats = await store.stats()
        assert stats["articles"] == stats["rules"] == stats["vectors"] == 0
        assert stats["pack"] == "" and stats["embedding_space"] == "" and stats["vector_dim"] == 0
        assert stats["ingestions"] == []
        exported = await store.export_pack()
        assert exported["articles"] == [] and exported["topic_tree"] is None and exported["name"] == "exported pack"

    async def test_load_pack_writes_everything_and_indexes_the_articles(self, store: KnowledgeStore, db: Any) -> None:
        counts = await store.load_pack(_pack())
        assert counts == {"articles": 2, "rules": 2, "canned_replies": 2}
        assert await store.is_empty() is False
        assert [a["id"] for a in await store.articles()] == ["internet-slow", "sim-lost"]
        article = await store.article("internet-slow")
        assert article is not None and article["title"]["ar"] == "الانترنت بطيء" and article["keywords"] == ["router"]
        assert article["category"] == "internet" and isinstance(article["updated_at"], float)
        tree = await store.tree()
        assert tree == _pack()["topic_tree"]
        rules = await store.rules()
        assert [(r["id"], r["position"], r["match"], r["enabled"]) for r in rules] == [
            ("hello", 0, "exact", True),
            ("bye", 1, "contains", False),
        ]
        assert [r["id"] for r in await store.canned_replies()] == ["thanks", "wait"]  # by language, then id
        assert [r["id"] for r in await store.canned_replies("en")] == ["wait"]
        assert await store.meta("scope_message") == {"en": "I answer questions about the internet."}
        assert await store.meta("out_of_scope_examples") == ["what is the weather"]
        assert await store.meta("pack_name") == "first"  # not JSON: the text
        assert float(await store.version()) > 0
        assert _index_refs(db) == ({"internet-slow", "sim-lost"}, {"internet-slow", "sim-lost"})
        # every field of every language is indexed, plus one 'all' row per article
        fields = {r["field"] for r in query_rows(db, "SELECT field FROM kb_fts WHERE ref = 'internet-slow'")}
        assert fields == {"title", "example", "keyword", "body", "all"}
        stats = await store.stats()
        assert (stats["articles"], stats["topic_nodes"], stats["rules"]) == (2, 5, 2)
        assert stats["pack"] == "first" and stats["vectors"] > 0 and stats["vector_dim"] > 0
        assert stats["embedding_space"]
        assert await store.articles_stamp() == (2, article["updated_at"])

    async def test_replacing_drops_what_the_old_pack_had(self, store: KnowledgeStore, db: Any) -> None:
        await store.load_pack(_pack())
        before = await store.version()
        second = _pack("second", articles=[_article("roaming", "Roaming abroad")], topic_tree=None, rules=[])
        second["canned_replies"] = [{"id": "wait", "lang": "ar", "title": "انتظر", "text": "لحظة"}]
        second.pop("out_of_scope_examples")
        await asyncio.sleep(0.01)
        assert await store.load_pack(second) == {"articles": 1, "rules": 0, "canned_replies": 1}
        assert [a["id"] for a in await store.articles()] == ["roaming"]
        assert await store.tree() is None and await store.rules() == []
        # canned replies are upserted, never dropped by an import
        assert [(r["id"], r["lang"], r["text"]) for r in await store.canned_replies()] == [
            ("thanks", "ar", "شكرا"),
            ("wait", "ar", "لحظة"),
        ]
        assert await store.meta("pack_name") == "second"
        assert await store.meta("out_of_scope_examples") == ["what is the weather"]  # kept: not in the pack
        assert await store.version() != before
        assert _index_refs(db) == ({"roaming"}, {"roaming"})

    async def test_merging_keeps_articles_and_adds_branches_under_the_root(
        self, store: KnowledgeStore, db: Any
    ) -> None:
        await store.load_pack(_pack())
        fts_rows = len(query_rows(db, "SELECT rowid FROM kb_fts WHERE ref = 'internet-slow'"))
        extra = _pack(
            "extra",
            articles=[_article("internet-slow", "Internet is very slow"), _article("roaming", "Roaming abroad")],
            topic_tree={"id": "root", "label": {"en": "Other root"}, "children": [
                {"id": "roam", "label": {"en": "Roaming"}, "article": "roaming"},
                {"id": "talk", "label": {"en": "Speak to us"}, "action": "complaint"},
            ]},
            rules=[{"id": "hello", "patterns": {"en": ["hey"]}, "response": {"en": "Hey!"}}],
        )  # fmt: skip
        assert await store.load_pack(extra, merge=True) == {"articles": 2, "rules": 1, "canned_replies": 2}
        assert [a["id"] for a in await store.articles()] == ["internet-slow", "roaming", "sim-lost"]
        updated = await store.article("internet-slow")
        assert updated is not None and updated["title"]["en"] == "Internet is very slow"
        # a merged article's index rows are replaced, not added to
        assert len(query_rows(db, "SELECT rowid FROM kb_fts WHERE ref = 'internet-slow'")) == fts_rows
        assert _index_refs(db) == ({"internet-slow", "roaming", "sim-lost"},) * 2
        tree = await store.tree()
        assert tree is not None and tree["label"] == {"en": "Topics"}  # the existing root stays
        assert [c["id"] for c in tree["children"]] == ["internet", "talk", "sim", "roam"]
        positions = {
            r["id"]: r["position"]
            for r in query_rows(db, "SELECT id, position FROM topic_nodes WHERE parent_id = 'root'")
        }
        # new branches go after the last child; an existing node keeps its place and takes the new label
        assert positions == {"internet": 0, "talk": 1, "sim": 2, "roam": 3}
        talk = next(c for c in tree["children"] if c["id"] == "talk")
        assert talk == {"id": "talk", "label": {"en": "Speak to us"}, "action": "complaint"}
        assert [r["id"] for r in await store.rules()] == ["hello", "bye"]
        assert (await store.rules())[0]["response"] == {"en": "Hey!"}

    async def test_merging_without_a_tree_writes_the_incoming_tree(self, store: KnowledgeStore) -> None:
        await store.load_pack(_pack(topic_tree=None))
        await store.load_pack(_pack(), merge=True)
        assert await store.tree() == _pack()["topic_tree"]

    async def test_a_failing_import_changes_nothing(self, store: KnowledgeStore) -> None:
        await store.load_pack(_pack())
        version = await store.version()
        broken = _pack("broken")
        broken["rules"] = [*broken["rules"], {"id": "bad", "patterns": {}}]  # no response: fails mid-import
        with pytest.raises(Exception):  # noqa: B017 - whatever the backend raises for the bad row
            await store.load_pack(broken)
        assert [a["id"] for a in await store.articles()] == ["internet-slow", "sim-lost"]
        assert await store.version() == version and await store.meta("pack_name") == "first"

    async def test_save_and_delete_an_article(self, store: KnowledgeStore, db: Any) -> None:
        await store.load_pack(_pack())
        version = await store.version()
        await asyncio.sleep(0.01)
        await store.save_article(_article("new-one", "A new one"))
        assert (await store.article("new-one") or {})["title"]["en"] == "A new one"
        assert await store.version() != version
        assert "new-one" in _index_refs(db)[0] and "new-one" in _index_refs(db)[1]
        version = await store.version()
        await asyncio.sleep(0.01)
        assert await store.delete_article("internet-slow") is True
        assert await store.article("internet-slow") is None
        assert "internet-slow" not in _index_refs(db)[0] | _index_refs(db)[1]
        assert await store.version() != version
        slow = query_rows(db, "SELECT article_id FROM topic_nodes WHERE id = 'slow'")
        assert slow == [{"article_id": None}]  # the leaf is detached, not deleted
        assert await store.delete_article("internet-slow") is False

    async def test_articles_are_in_code_point_order(self, store: KnowledgeStore) -> None:
        ids = ["b-2", "a1", "a-b", "ab", "a_b", "B", "é"]
        for article_id in ids:
            await store.save_article(_article(article_id))
        assert [a["id"] for a in await store.articles()] == sorted(ids)
        assert (await store.articles_stamp())[0] == len(ids)

    async def test_save_tree_replaces_the_tree(self, store: KnowledgeStore) -> None:
        await store.load_pack(_pack())
        version = await store.version()
        await asyncio.sleep(0.01)
        tree = {"id": "root", "label": {"en": "New"}, "children": [
            {"id": "z", "label": {"en": "Z"}, "children": []},
            {"id": "a", "label": {"en": "A"}, "article": "sim-lost"},
        ]}  # fmt: skip
        await store.save_tree(tree)
        assert await store.tree() == tree
        assert await store.version() != version

    async def test_export_then_import_gives_the_same_pack(self, store: KnowledgeStore) -> None:
        await store.load_pack(_pack())
        exported = await store.export_pack()
        assert exported["name"] == "first" and exported["out_of_scope_examples"] == ["what is the weather"]
        assert exported["topic_tree"] == _pack()["topic_tree"]
        assert [r["id"] for r in exported["rules"]] == ["hello", "bye"] and "position" not in exported["rules"][0]
        assert all("updated_at" not in a for a in exported["articles"])
        await store.load_pack(validate_pack(exported))
        assert await store.export_pack() == exported

    async def test_index_state_sources_and_swap(self, store: KnowledgeStore, db: Any) -> None:
        await store.prepare_index()
        await store.prepare_index()  # idempotent
        await store.load_pack(_pack())
        state = await store.index_state()
        assert state["articles"] == 2 and state["article_vectors"] > 0
        assert state["chunks"] == 0 and state["chunk_vectors"] == 0
        assert state["vector_space"] and int(state["vector_dim"]) > 0 and state["text_analysis"]
        articles, chunks = await store.index_sources()
        assert [a["id"] for a in articles] == ["internet-slow", "sim-lost"] and chunks == []
        seed_rows(db, "handbook_docs", [{"id": 1, "path": "a.md", "content_hash": "h", "updated_at": 1.0}])
        seed_rows(db, "handbook_chunks", [
            {"id": 7, "doc_id": 1, "position": 0, "heading": "Roaming", "text": "Roaming costs", "lang": "en",
             "content_hash": "c"},
        ])  # fmt: skip
        _, chunks = await store.index_sources()
        assert chunks == [{"id": 7, "lang": "en", "heading": "Roaming", "text": "Roaming costs"}]
        items = [
            Item("article", "internet-slow", "title", "en", "internet slow"),
            Item("article", "sim-lost", "title", "en", "lost sim"),
            Item("chunk", "7", "chunk", "en", "Roaming\nRoaming costs"),
        ]
        matrix = store.vectors.embed([i.text for i in items])
        version = await store.version()
        await asyncio.sleep(0.01)
        assert await store.replace_index(items, matrix, [(7, "roaming costs", "7")], "test-analysis") == 3
        assert _meta(db, "text_analysis") == "test-analysis" and await store.version() != version
        assert len(query_rows(db, "SELECT id FROM kb_vectors")) == 3
        assert {r["ref"] for r in query_rows(db, "SELECT ref FROM kb_fts")} == {"internet-slow", "sim-lost"}
        assert query_rows(db, "SELECT rowid, text, ref FROM chunk_fts") == [
            {"rowid": 7, "text": "roaming costs", "ref": "7"}
        ]
        state = await store.index_state()
        assert (state["article_vectors"], state["chunk_vectors"]) == (2, 1)
        assert await store.replace_index([], np.zeros((0, 1), dtype=np.float32), [], "test-analysis") == 0
        assert query_rows(db, "SELECT id FROM kb_vectors") == [] and query_rows(db, "SELECT rowid FROM chunk_fts") == []

    async def test_racing_writes_all_land_once(self, store: KnowledgeStore, db: Any) -> None:
        await store.load_pack(_pack())
        fts_rows = len(query_rows(db, "SELECT rowid FROM kb_fts WHERE ref = 'internet-slow'"))
        await asyncio.gather(
            *(store.save_article(_article(f"race-{n}")) for n in range(6)),
            *(store.save_article(_article("internet-slow")) for _ in range(4)),
            store.load_pack(_pack("merged", articles=[_article("merged-one")], topic_tree=None), merge=True),
            store.delete_article("sim-lost"),
        )
        ids = [a["id"] for a in await store.articles()]
        assert ids == sorted(["internet-slow", "merged-one", *(f"race-{n}" for n in range(6))])
        assert len(query_rows(db, "SELECT rowid FROM kb_fts WHERE ref = 'internet-slow'")) == fts_rows
        fts, vectors = _index_refs(db)
        assert fts == vectors == set(ids)

    async def test_closed_database_is_a_storage_error(self, store: KnowledgeStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.articles()
        with pytest.raises(StorageError):
            await store.version()
        with pytest.raises(StorageError):
            await store.save_article(_article("x"))
        with pytest.raises(StorageError):
            await store.load_pack(_pack())


class TestSqliteKnowledgeStore(KnowledgeStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresKnowledgeStore(KnowledgeStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db


class IngestionRunStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> IngestionRunStore:
        return stores_for(db).ingestion_runs

    async def test_a_run_from_queued_to_done(self, store: IngestionRunStore) -> None:
        assert await store.runs() == [] and await store.run(1) is None
        first = await store.start("api", "queued", 10.0)
        second = await store.start("cli", "running", 11.0)
        assert second > first
        assert await store.run(first) == {"status": "queued", "detail": None}
        await store.set_running(first, json.dumps({"starts": 1}))
        assert await store.run(first) == {"status": "running", "detail": '{"starts": 1}'}
        await store.requeue(first)
        assert await store.run(first) == {"status": "queued", "detail": None}
        await store.finish(
            first, status="partial", files=2, skipped=1, chunks=9, error="x.pdf: bad", detail="[]", at=20.0
        )
        await store.quarantine(second, "stopped twice", 21.0)
        runs = await store.runs()
        assert [r["id"] for r in runs] == [second, first]  # newest first
        done = runs[1]
        assert (done["source"], done["status"], done["files"], done["skipped"], done["chunks"]) == (
            "api",
            "partial",
            2,
            1,
            9,
        )
        assert (done["error"], done["detail"], done["started_at"], done["finished_at"]) == (
            "x.pdf: bad",
            "[]",
            10.0,
            20.0,
        )
        assert (runs[0]["status"], runs[0]["error"], runs[0]["finished_at"]) == ("quarantined", "stopped twice", 21.0)
        assert [r["id"] for r in await store.runs(1)] == [second]

    async def test_uploads_are_the_upload_documents(self, store: IngestionRunStore, db: Any) -> None:
        assert await store.uploads() == {}
        seed_rows(db, "handbook_docs", [
            {"path": "upload:ab12.pdf", "source_name": "Prices.pdf", "content_hash": "h1", "updated_at": 1.0},
            {"path": "/srv/handbook/faq.md", "source_name": "faq.md", "content_hash": "h2", "updated_at": 1.0},
        ])  # fmt: skip
        assert await store.uploads() == {"ab12.pdf": "Prices.pdf"}

    async def test_racing_starts_get_distinct_ids(self, store: IngestionRunStore) -> None:
        ids = await asyncio.gather(*(store.start("api", "queued", float(n)) for n in range(8)))
        assert len(set(ids)) == 8
        assert len(await store.runs()) == 8

    async def test_closed_database_is_a_storage_error(self, store: IngestionRunStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.runs()
        with pytest.raises(StorageError):
            await store.start("api", "queued", 1.0)


class TestSqliteIngestionRunStore(IngestionRunStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresIngestionRunStore(IngestionRunStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db


_TABLES = {
    "articles": "id, category, title, body, examples, keywords",
    "topic_nodes": "id, parent_id, position, label, article_id, action",
    "rules": "id, position, patterns, response, match_mode, enabled",
    "canned_replies": "id, lang, title, text",
    "kb_meta": "key, value",
    "kb_fts": "text, kind, ref, field, lang",
    "kb_vectors": "kind, ref, field, lang, text, vector",
}


def _rows(db: Any) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table, columns in _TABLES.items():
        rows = [tuple(r.values()) for r in query_rows(db, f"SELECT {columns} FROM {table}")]  # noqa: S608 - test tables
        out[table] = sorted(
            (tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows if r[0] != "version"),
            key=repr,
        )
    return out


@pytest.mark.postgres
async def test_both_backends_write_the_same_rows(sqlite_db: Any, pg_db: Any) -> None:
    extra = _pack("extra", articles=[_article("roaming", "Roaming abroad")], topic_tree={
        "id": "root", "label": {"en": "x"}, "children": [{"id": "roam", "label": {"en": "Roaming"}, "article": "roaming"}],
    })  # fmt: skip
    for db in (sqlite_db, pg_db):
        store = knowledge_store(db, VectorIndex(stores_for(db).index))
        await store.load_pack(_pack())
        await store.load_pack(extra, merge=True)
        await store.save_article(_article("new-one", "A new one"))
        await store.delete_article("sim-lost")
    on_sqlite, on_pg = _rows(sqlite_db), _rows(pg_db)
    for table in _TABLES:
        assert on_sqlite[table] == on_pg[table], table
    assert on_sqlite["kb_fts"] and on_sqlite["kb_vectors"]
