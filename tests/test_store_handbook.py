"""Contracts of :class:`~nura_appliance.storage.base.HandbookStore` (handbook documents, chunks,
FTS rows, vectors) and :class:`~nura_appliance.storage.base.IndexStore` (the
retrieval index's rows in the caller's transaction): one mixin each, run on SQLite and on a real
PostgreSQL (missing PostgreSQL skips locally and fails under CI=true). Ingestion itself (files,
reports, bad input) is in ``test_knowledge_ingest.py`` and ``test_handbook_ingest_bad_input.py``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest
from conftest import query_rows, seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.knowledge.indexer import VectorIndex, from_blob
from nura_appliance.knowledge.normalize import ANALYSIS_VERSION
from nura_appliance.storage.base import (
    HandbookDocument,
    HandbookStore,
    IndexStore,
    VectorRow,
    chunk_hash,
    chunk_index_text,
)
from nura_appliance.storage.records import Chunk
from nura_appliance.storage.stores import handbook_store_for, stores_for

DOC = HandbookDocument("/srv/guide.md", "guide.md", "Guide", "d1", 120, "en")


def _chunks(*texts: str, heading: str = "Roaming") -> list[Chunk]:
    return [Chunk(i, heading, text, "en") for i, text in enumerate(texts)]


def _batch(index: VectorIndex, chunks: list[Chunk]) -> tuple[np.ndarray, list[str]]:
    texts = [chunk_index_text(c) for c in chunks]
    return index.embed(texts), [t.lower() for t in texts]


def _is_pg(db: Any) -> bool:
    return getattr(db, "dialect", "sqlite") == "postgres"


def _meta(db: Any, key: str) -> str | None:
    rows = query_rows(db, "SELECT value FROM kb_meta WHERE key = ?", (key,))
    return rows[0]["value"] if rows else None


class HandbookStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def index(self, db: Any) -> VectorIndex:
        return VectorIndex(stores_for(db).index)

    @pytest.fixture
    def store(self, db: Any, index: VectorIndex) -> HandbookStore:
        return handbook_store_for(db, index)

    async def _stage(self, store: HandbookStore, index: VectorIndex, doc: HandbookDocument, key: str,
                     chunks: list[Chunk]) -> None:  # fmt: skip
        vectors, terms = _batch(index, chunks)
        await store.stage(doc, key, chunks, vectors, terms)

    async def test_an_empty_database(self, store: HandbookStore) -> None:
        assert await store.content_hash(DOC.path) is None
        assert await store.same_content("d1", DOC.path) is None
        assert await store.declared_languages() == set()
        assert await store.hidden_documents() == []
        assert await store.documents() == []
        assert await store.purge_batch(12345, 10) == 0

    async def test_a_staged_document_stays_invisible_until_published(
        self, store: HandbookStore, index: VectorIndex, db: Any
    ) -> None:
        seed_rows(db, "kb_meta", [{"key": "version", "value": "v0"}])
        chunks = _chunks("roaming costs five dollars a day", "data abroad is billed per megabyte", "call home free")
        await self._stage(store, index, DOC, "staging:a", chunks[:2])
        await self._stage(store, index, DOC, "staging:a", chunks[2:])  # a second batch: the same document row
        # Nothing customers see changed: no document at the path, no version bump, no twin.
        assert await store.content_hash(DOC.path) is None
        assert await store.same_content("d1", "/srv/other.md") is None
        assert _meta(db, "version") == "v0"
        docs = query_rows(db, "SELECT id, path, chunks FROM handbook_docs")
        assert [(d["path"], d["chunks"]) for d in docs] == [("staging:a", 0)]
        assert await store.hidden_documents() == [docs[0]["id"]]

        await store.publish(DOC, "staging:a", 3)
        assert await store.content_hash(DOC.path) == "d1"
        assert _meta(db, "version") != "v0"
        assert await store.hidden_documents() == []
        listed = await store.documents()
        assert [(d["name"], d["title"], d["chunks"], d["lang"], d["bytes"]) for d in listed] == [
            ("guide.md", "Guide", 3, "en", 120)
        ]
        # Chunks in order, each with its FTS row (rowid = chunk id) and its vector (ref = chunk id).
        rows = query_rows(db, "SELECT id, position, heading, text, lang, content_hash, unit, label"
                              " FROM handbook_chunks ORDER BY id")  # fmt: skip
        assert [r["position"] for r in rows] == [0, 1, 2] and [r["text"] for r in rows] == [c.text for c in chunks]
        assert [r["content_hash"] for r in rows] == [chunk_hash(c) for c in chunks]
        assert {(r["heading"], r["lang"], r["unit"], r["label"]) for r in rows} == {("Roaming", "en", "text", None)}
        fts = query_rows(db, "SELECT rowid AS id, text, ref FROM chunk_fts ORDER BY rowid")
        assert [(f["id"], f["ref"]) for f in fts] == [(r["id"], str(r["id"])) for r in rows]
        assert [f["text"] for f in fts] == [chunk_index_text(c).lower() for c in chunks]
        vectors = query_rows(db, "SELECT kind, ref, field, lang, text, vector FROM kb_vectors ORDER BY id")
        assert [(v["kind"], v["ref"], v["field"], v["text"]) for v in vectors] == [
            ("chunk", str(r["id"]), "chunk", chunk_index_text(c)) for r, c in zip(rows, chunks, strict=True)
        ]
        expected = index.embed([chunk_index_text(c) for c in chunks])
        assert np.allclose(np.vstack([from_blob(bytes(v["vector"])) for v in vectors]), expected)
        if not _is_pg(db):  # SQLite's coarse index has a code per vector
            assert query_rows(db, "SELECT count(*) AS n FROM kb_vec")[0]["n"] == 3

    async def test_republishing_retires_the_old_version_and_purges_it_in_batches(
        self, store: HandbookStore, index: VectorIndex, db: Any
    ) -> None:
        await self._stage(store, index, DOC, "staging:1", _chunks("first one", "first two", "first three"))
        await store.publish(DOC, "staging:1", 3)
        old = query_rows(db, "SELECT id FROM handbook_docs")[0]["id"]
        newer = HandbookDocument(DOC.path, "guide.md", "Guide 2", "d2", 99, "ar")
        await self._stage(store, index, newer, "staging:2", _chunks("second one"))
        await store.publish(newer, "staging:2", 1)
        assert await store.content_hash(DOC.path) == "d2"
        paths = sorted(r["path"] for r in query_rows(db, "SELECT path FROM handbook_docs"))
        assert paths == [DOC.path, f"retired:{old}"]
        assert await store.hidden_documents() == [old]
        assert await store.same_content("d1", "/srv/x.md") is None  # a retired document is no twin

        assert await store.purge_batch(old, 2) == 2
        assert await store.purge_batch(old, 2) == 1
        assert await store.purge_batch(old, 2) == 0  # no chunks left: the document goes
        assert await store.hidden_documents() == []
        kept = query_rows(db, "SELECT id FROM handbook_chunks")
        assert len(kept) == 1
        assert [r["ref"] for r in query_rows(db, "SELECT ref FROM chunk_fts")] == [str(kept[0]["id"])]
        assert [r["ref"] for r in query_rows(db, "SELECT ref FROM kb_vectors")] == [str(kept[0]["id"])]
        if not _is_pg(db):
            assert query_rows(db, "SELECT count(*) AS n FROM kb_vec")[0]["n"] == 1
        assert [d["title"] for d in await store.documents()] == ["Guide 2"]

    async def test_same_content_names_another_visible_document(self, store: HandbookStore, index: VectorIndex) -> None:
        await self._stage(store, index, DOC, "staging:1", _chunks("shared text"))
        await store.publish(DOC, "staging:1", 1)
        assert await store.same_content("d1", "/srv/copy.md") == "guide.md"
        assert await store.same_content("d1", DOC.path) is None  # not a twin of itself
        assert await store.same_content("other", "/srv/copy.md") is None
        # A document staged with the same content is not shown, so it is no twin either.
        await self._stage(store, index, HandbookDocument("/srv/b.md", "b.md", "B", "d9", 1, "en"), "staging:9",
                          _chunks("x"))  # fmt: skip
        assert await store.same_content("d9", "/srv/c.md") is None

    async def test_declared_languages_come_from_the_article_titles(self, store: HandbookStore, db: Any) -> None:
        seed_rows(db, "articles", [
            {"id": "a1", "title": json.dumps({"ar": "x", "en": "y"}), "updated_at": 1.0},
            {"id": "a2", "title": json.dumps({"ckb": "z"}), "updated_at": 1.0},
            {"id": "a3", "title": "not json", "updated_at": 1.0},
            {"id": "a4", "title": "[1, 2]", "updated_at": 1.0},
        ])  # fmt: skip
        assert await store.declared_languages() == {"ar", "en", "ckb"}

    async def test_a_batch_needs_one_indexed_text_per_chunk(self, store: HandbookStore, index: VectorIndex) -> None:
        chunks = _chunks("one", "two")
        vectors, terms = _batch(index, chunks)
        with pytest.raises(ValueError):
            await store.stage(DOC, "staging:x", chunks, vectors, terms[:1])
        assert await store.hidden_documents() == []

    async def test_concurrent_batches_of_one_document_share_its_row(
        self, store: HandbookStore, index: VectorIndex, db: Any
    ) -> None:
        batches = [_chunks(f"batch {b} line {i}") for b in range(6) for i in range(2)]
        await asyncio.gather(*(self._stage(store, index, DOC, "staging:r", chunks) for chunks in batches))
        docs = query_rows(db, "SELECT id FROM handbook_docs")
        assert len(docs) == 1
        counted = query_rows(db, "SELECT count(*) AS n, count(DISTINCT id) AS d FROM handbook_chunks WHERE doc_id = ?",
                             (docs[0]["id"],))[0]  # fmt: skip
        assert counted["n"] == counted["d"] == len(batches)
        assert query_rows(db, "SELECT count(*) AS n FROM chunk_fts")[0]["n"] == len(batches)
        assert query_rows(db, "SELECT count(*) AS n FROM kb_vectors")[0]["n"] == len(batches)

    async def test_closed_database_is_a_storage_error(self, store: HandbookStore, index: VectorIndex, db: Any) -> None:
        chunks = _chunks("one")
        vectors, terms = _batch(index, chunks)
        db.close()
        for call in (
            store.content_hash(DOC.path),
            store.same_content("d1", DOC.path),
            store.declared_languages(),
            store.stage(DOC, "staging:z", chunks, vectors, terms),
            store.publish(DOC, "staging:z", 1),
            store.hidden_documents(),
            store.purge_batch(1, 10),
            store.documents(),
        ):
            with pytest.raises(StorageError):
                await call


class TestSqliteHandbookStore(HandbookStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


class TestPostgresHandbookStore(HandbookStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db


def _code(vector: bytes, bits: int) -> bytes:
    """A coarse code of ``bits`` signs for a 4-float test vector (its values repeated)."""
    return np.tile(np.frombuffer(vector, dtype=np.float32), bits // 4).tobytes()


def _row(kind: str, ref: str, vector: list[float], text: str = "t") -> VectorRow:
    blob = np.asarray(vector, dtype=np.float32).tobytes()
    return VectorRow(kind, ref, "body", "en", text, blob, _code(blob, 128))


def _codes(blobs: list[bytes]) -> list[bytes]:
    return [_code(blob, 128) for blob in blobs]


class IndexStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _in(self, db: Any, fn: Any) -> Any:
        store = stores_for(db).index
        return db.write_sync(lambda c: fn(store, c))

    def test_the_analysis_version_is_recorded_on_a_fresh_index_only(self, db: Any) -> None:
        self._in(db, lambda s, c: s.mark_analysis_if_new_in(c, "v1"))
        assert _meta(db, "text_analysis") == "v1"
        self._in(db, lambda s, c: s.mark_analysis_if_new_in(c, "v2"))  # recorded already: kept
        assert _meta(db, "text_analysis") == "v1"
        self._in(db, lambda s, c: s.set_analysis_version_in(c, ANALYSIS_VERSION))
        assert _meta(db, "text_analysis") == ANALYSIS_VERSION

    def test_an_index_with_rows_and_no_record_predates_the_record(self, db: Any) -> None:
        self._in(db, lambda s, c: s.write_article_fts_in(c, "a1", [("roam", "title", "en")], fresh=True))
        self._in(db, lambda s, c: s.mark_analysis_if_new_in(c, "v1"))
        assert _meta(db, "text_analysis") is None

    def test_article_fts_rows_are_replaced(self, db: Any) -> None:
        self._in(db, lambda s, c: s.write_article_fts_in(c, "a1", [("roam", "title", "en"), ("x y", "all", "")],
                                                         fresh=True))  # fmt: skip
        self._in(db, lambda s, c: s.write_article_fts_in(c, "a2", [("other", "title", "ar")], fresh=True))
        self._in(db, lambda s, c: s.write_article_fts_in(c, "a1", [("new", "body", "ckb")]))
        rows = query_rows(db, "SELECT text, kind, ref, field, lang FROM kb_fts ORDER BY ref, text")
        assert [tuple(r.values()) for r in rows] == [
            ("new", "article", "a1", "body", "ckb"),
            ("other", "article", "a2", "title", "ar"),
        ]

    def test_the_chunk_vocabulary_can_be_ensured_twice(self, db: Any) -> None:
        self._in(db, lambda s, c: s.ensure_chunk_vocab_in(c))
        self._in(db, lambda s, c: s.ensure_chunk_vocab_in(c))

    def test_the_embedding_cache_keeps_the_first_vector(self, db: Any) -> None:
        self._in(db, lambda s, c: s.cache_vectors_in(c, [("k1", "sp", b"\x01\x02", 1.0), ("k2", "sp", b"\x03", 2.0)]))
        self._in(db, lambda s, c: s.cache_vectors_in(c, [("k1", "sp", b"\x09", 3.0)]))
        self._in(db, lambda s, c: s.cache_vectors_in(c, []))
        many = [f"k{i}" for i in range(1200)]  # more keys than one lookup holds on SQLite
        found = db.read_sync(lambda c: stores_for(db).index.cached_vectors(c, many))
        assert found == {"k1": b"\x01\x02", "k2": b"\x03"}
        assert db.read_sync(lambda c: stores_for(db).index.cached_vectors(c, [])) == {}

    def test_vectors_are_written_deleted_and_follow_the_space(self, db: Any) -> None:
        self._in(db, lambda s, c: s.ensure_space_in(c, 4, "space-a", 128, _codes))
        assert [_meta(db, k) for k in ("vector_dim", "vector_space", "vector_coarse")] == ["4", "space-a", "128"]
        rows = [_row("article", "a1", [1, 0, 0, 0]), _row("article", "a1", [0, 1, 0, 0]),
                _row("chunk", "7", [0, 0, 1, 0]), _row("chunk", "8", [0, 0, 0, 1])]  # fmt: skip
        self._in(db, lambda s, c: s.write_vectors_in(c, rows))
        self._in(db, lambda s, c: s.write_vectors_in(c, []))
        stored = query_rows(db, "SELECT kind, ref, field, lang, text, vector FROM kb_vectors ORDER BY id")
        assert [(r["kind"], r["ref"], bytes(r["vector"])) for r in stored] == [(r.kind, r.ref, r.vector) for r in rows]
        self._in(db, lambda s, c: s.delete_vectors_in(c, "article", ["a1", "missing"]))
        self._in(db, lambda s, c: s.delete_vectors_in(c, "chunk", []))
        assert [r["ref"] for r in query_rows(db, "SELECT ref FROM kb_vectors ORDER BY id")] == ["7", "8"]
        if not _is_pg(db):
            assert query_rows(db, "SELECT count(*) AS n FROM kb_vec")[0]["n"] == 2
        # The same space again: nothing changes; another space: its vectors go.
        self._in(db, lambda s, c: s.ensure_space_in(c, 4, "space-a", 128, _codes))
        assert len(query_rows(db, "SELECT id FROM kb_vectors")) == 2
        self._in(db, lambda s, c: s.ensure_space_in(c, 4, "space-b", 128, _codes))
        assert query_rows(db, "SELECT id FROM kb_vectors") == []
        assert _meta(db, "vector_space") == "space-b"
        self._in(db, lambda s, c: s.write_vectors_in(c, rows[2:]))
        self._in(db, lambda s, c: s.delete_vectors_in(c, "chunk"))
        assert query_rows(db, "SELECT id FROM kb_vectors") == []

    def test_a_new_dimension_rebuilds_the_coarse_index_from_the_vectors(self, db: Any) -> None:
        self._in(db, lambda s, c: s.ensure_space_in(c, 4, "sp", 128, _codes))
        self._in(db, lambda s, c: s.write_vectors_in(c, [_row("chunk", "1", [1, 2, 3, 4])]))
        self._in(db, lambda s, c: s.ensure_space_in(c, 4, "sp", 256, lambda blobs: [_code(b, 256) for b in blobs]))
        assert _meta(db, "vector_coarse") == "256"
        assert len(query_rows(db, "SELECT id FROM kb_vectors")) == 1  # same space: vectors stay
        if not _is_pg(db):
            assert query_rows(db, "SELECT count(*) AS n FROM kb_vec")[0]["n"] == 1

    def test_closed_database_is_a_storage_error(self, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            self._in(db, lambda s, c: s.mark_analysis_if_new_in(c, "v1"))
        with pytest.raises(StorageError):
            db.read_sync(lambda c: stores_for(db).index.cached_vectors(c, ["k"]))


class TestSqliteIndexStore(IndexStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


class TestPostgresIndexStore(IndexStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db


def test_the_index_store_is_chosen_once_with_the_other_stores(sqlite_db: Any, pg_db: Any) -> None:
    picked: IndexStore = stores_for(sqlite_db).index
    assert type(picked).__name__ == "SqliteIndexStore"
    assert type(stores_for(pg_db).index).__name__ == "PgIndexStore"
