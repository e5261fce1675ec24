"""Contract of :class:`~nura_appliance.storage.base.SearchStore` (the article tier's index reads and
the hybrid handbook search's reads): one mixin, run on SQLite (FTS5, fts5vocab, sqlite-vec) and on
a real PostgreSQL (tsvector, ts_stat, the in-memory vector index; missing PostgreSQL skips locally
and fails under CI=true). The features' use of it is in ``test_retrieval.py``,
``test_store_contract.py`` (both backends decide the same) and the handbook tests."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from typing import Any

import numpy as np
import pytest
from conftest import seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import SearchStore
from nura_appliance.storage.sqlite.search import fts_query, hamming, varints
from nura_appliance.storage.stores import stores_for

DIM = 8
ARTICLE_ROWS = [  # (ref, field, text): what the indexer writes for two articles
    ("roaming", "title", "roaming abroad"),
    ("roaming", "example", "roaming price abroad"),
    ("roaming", "all", "roaming abroad roaming price abroad daily bundle"),
    ("Bills", "title", "pay bill"),
    ("Bills", "body", "pay your bill online price"),
    ("Bills", "all", "pay bill pay your bill online price"),
]
CHUNKS = [  # (id, doc, heading, text, indexed text)
    (1, 1, "Roaming", "Roaming costs 5,000 IQD a day.", "roaming cost day"),
    (2, 1, "Loyalty", "Points never expire.", "loyalty point point never expire"),
    (3, 1, "Router", "Restart the router.", "router restart router router"),
    (4, 2, "Hidden", "Being staged.", "roaming staged"),
]


def unit(*values: float) -> bytes:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(values)] = values
    return (vector / np.linalg.norm(vector)).astype(np.float32).tobytes()


VECTORS = [  # (id, kind, ref, field, vector)
    (1, "article", "roaming", "title", unit(1, 0)),
    (2, "article", "roaming", "example", unit(1, 1)),
    (3, "article", "Bills", "title", unit(0, 1)),
    (4, "chunk", "1", "chunk", unit(1, 0, 0)),
    (5, "chunk", "2", "chunk", unit(0, 1, 0)),
    (6, "chunk", "3", "chunk", unit(0, 0, 1)),
]


def query(*values: float) -> np.ndarray:
    return np.frombuffer(unit(*values), dtype=np.float32)


def fts5_bm25(texts: list[str], row: str, terms: list[str]) -> float:
    """FTS5's bm25() of one row (k1 1.2, b 0.75, idf floored at 1e-6), positive."""
    docs = [t.split() for t in texts]
    average = sum(len(d) for d in docs) / len(docs)
    tokens = row.split()
    counts = Counter(tokens)
    score = 0.0
    for term in dict.fromkeys(terms):
        hits = sum(1 for d in docs if term in d)
        idf = max(math.log((len(docs) - hits + 0.5) / (hits + 0.5)), 1e-6)
        tf = counts.get(term, 0)
        score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(tokens) / average))
    return score


class SearchStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def index_vectors(self, db: Any, only: list[int] | None = None) -> None:
        """Make the backend's vector index searchable (SQLite: the coarse sqlite-vec table), for
        the ``kb_vectors`` rows ``only`` (all when None)."""

    def index_chunk_terms(self, db: Any) -> None:
        """Make the chunk term vocabulary readable (SQLite: the fts5vocab table)."""

    @pytest.fixture
    def store(self, db: Any) -> SearchStore:
        seed_rows(db, "kb_meta", [{"key": "version", "value": "1"}, {"key": "vector_space", "value": "builtin:8"}])
        seed_rows(db, "articles", [{"id": ref, "category": "c", "title": json.dumps({"en": f"{ref} title"}),
                                    "body": json.dumps({"en": f"{ref} body", "ar": "نص"}),
                                    "examples": json.dumps({"en": [f"{ref}?"]}), "keywords": "[]",
                                    "updated_at": 1.0} for ref in ("roaming", "Bills")])  # fmt: skip
        seed_rows(db, "kb_fts", [{"text": text, "kind": "article", "ref": ref, "field": field, "lang": "en"}
                                 for ref, field, text in ARTICLE_ROWS])  # fmt: skip
        # A chunk row of the article index (the grounded tier's lexical search): never an article.
        seed_rows(db, "kb_fts", [{"text": "roaming price chunk", "kind": "chunk", "ref": "1", "field": "chunk",
                                  "lang": "en"}])  # fmt: skip
        seed_rows(db, "handbook_docs", [{"id": 1, "path": "guide.md", "title": "Guide", "content_hash": "h1",
                                         "chunks": 3, "updated_at": 1.0, "source_name": "Guide.md"},
                                        {"id": 2, "path": "staging:new.md", "title": "New", "content_hash": "h2",
                                         "chunks": 1, "updated_at": 1.0}])  # fmt: skip
        seed_rows(db, "handbook_chunks", [{"id": cid, "doc_id": doc, "position": cid, "heading": heading,
                                           "text": text, "lang": "en", "content_hash": f"c{cid}"}
                                          for cid, doc, heading, text, _ in CHUNKS])  # fmt: skip
        seed_rows(db, "chunk_fts", [{"rowid": cid, "text": indexed, "ref": str(cid)}
                                    for cid, _, _, _, indexed in CHUNKS])  # fmt: skip
        seed_rows(db, "kb_vectors", [{"id": i, "kind": kind, "ref": ref, "field": field, "lang": "en", "text": "",
                                      "vector": vector} for i, kind, ref, field, vector in VECTORS])  # fmt: skip
        self.index_chunk_terms(db)
        self.index_vectors(db)
        return stores_for(db).search

    async def test_read_and_meta(self, store: SearchStore) -> None:
        assert await store.read(lambda c: store.meta_in(c, "version")) == "1"
        assert await store.read(lambda c: store.meta_in(c, "vector_space")) == "builtin:8"
        assert await store.read(lambda c: store.meta_in(c, "out_of_scope_examples")) is None

    async def test_article_items_and_fields(self, store: SearchStore) -> None:
        items = await store.read(store.article_items_in)
        # by article in code-point order ("B" before "r"), then by insertion
        assert [(ref, field) for ref, field, _ in items] == [("Bills", "title"), ("roaming", "title"),
                                                            ("roaming", "example")]  # fmt: skip
        assert items[2][2] == VECTORS[1][4] and isinstance(items[0][2], bytes)
        fields = await store.read(store.article_fields_in)
        assert sorted(fields) == sorted((r, f, t) for r, f, t in ARTICLE_ROWS if f != "all")

    async def test_article_bm25_is_fts5s(self, store: SearchStore) -> None:
        texts = [t for _, _, t in ARTICLE_ROWS] + ["roaming price chunk"]  # idf over every index row
        found = await store.read(lambda c: store.article_bm25_in(c, ["roaming", "price", "zzz"]))
        expected = {(r, f): fts5_bm25(texts, t, ["roaming", "price", "zzz"]) for r, f, t in ARTICLE_ROWS}
        expected = {key: score for key, score in expected.items() if score > 0}
        assert {(r, f): pytest.approx(s, rel=1e-6) for r, f, s in found} == expected
        assert ("1", "chunk") not in {(r, f) for r, f, _ in found}
        assert await store.read(lambda c: store.article_bm25_in(c, [])) == []
        # Quotes, operators and query syntax are plain text, never a query error.
        odd = ['"', "'", "OR", "NEAR(", "zz*", "\\", "-x", "a & b", "!", ":*"]
        assert await store.read(lambda c: store.article_bm25_in(c, odd)) == []

    async def test_article_postings_match_the_index(self, store: SearchStore) -> None:
        postings = await store.read(store.article_postings_in)
        assert postings is not None  # both backends: the article tier scores in memory (issue 22)
        rowids = {row[0]: (row[1], row[2], row[3]) for row in postings.rows}
        assert sorted(rowids.values()) == sorted(
            [("article", r, f) for r, f, _ in ARTICLE_ROWS] + [("chunk", "1", "chunk")]
        )
        texts = {("article", r, f): t for r, f, t in ARTICLE_ROWS} | {("chunk", "1", "chunk"): "roaming price chunk"}
        counted: dict[Any, Counter[str]] = {}
        for term, rowid, count in postings.counts:
            counted.setdefault(rowids[rowid], Counter())[term] = count
        assert counted == {key: Counter(text.split()) for key, text in texts.items()}

    async def test_indexed_terms(self, store: SearchStore) -> None:
        found = await store.read(lambda c: store.indexed_terms_in(c, ["roaming", "bundle", "chunk", "zzz", "'"]))
        assert found == {"roaming", "bundle", "chunk"}
        assert await store.read(lambda c: store.indexed_terms_in(c, [])) == set()

    async def test_chunk_statistics(self, store: SearchStore) -> None:
        chunks, average, frequencies = await store.read(store.chunk_stats_in)
        assert chunks == 4 and frequencies
        assert average == pytest.approx(sum(len(c[4].split()) for c in CHUNKS) / 4)
        assert await store.read(store.chunk_count_in) == 4
        counts = await store.read(lambda c: store.chunk_frequencies_in(c, ["roaming", "router", "absent"]))
        assert counts == {"roaming": 2, "router": 1, "absent": 0}
        assert await store.read(lambda c: store.chunk_frequencies_in(c, [])) == {}

    async def test_chunk_bm25_best_first(self, store: SearchStore) -> None:
        texts = [c[4] for c in CHUNKS]
        found = await store.read(lambda c: store.chunk_bm25_in(c, ["router", "roaming"], 10))
        assert [ref for ref, _, _ in found] == ["3", "4", "1"]  # three "router" first, then the shorter row
        assert found[0][2] == CHUNKS[2][4]
        assert found[0][1] == pytest.approx(fts5_bm25(texts, CHUNKS[2][4], ["router", "roaming"]), rel=1e-6)
        assert len(await store.read(lambda c: store.chunk_bm25_in(c, ["router", "roaming"], 1))) == 1
        assert await store.read(lambda c: store.chunk_bm25_in(c, ["router"], 0)) == []
        assert await store.read(lambda c: store.chunk_bm25_in(c, ['"', "'", "OR", "zz*"], 5)) == []

    async def test_chunk_reads(self, store: SearchStore) -> None:
        assert await store.read(lambda c: store.chunk_terms_in(c, ["1", "3", "99", "x"])) == {
            "1": CHUNKS[0][4],
            "3": CHUNKS[2][4],
        }
        assert await store.read(lambda c: store.chunk_texts_in(c, ["2", "x"])) == {"2": CHUNKS[1][3]}
        assert await store.read(lambda c: store.chunk_terms_in(c, [])) == {}
        assert await store.read(lambda c: store.chunk_texts_in(c, [])) == {}
        row = await store.read(lambda c: store.chunk_row_in(c, "1"))
        assert row is not None
        assert {k: row[k] for k in ("text", "heading", "lang", "title", "doc")} == {
            "text": CHUNKS[0][3], "heading": "Roaming", "lang": "en", "title": "Guide", "doc": "Guide.md"
        }  # fmt: skip
        assert row["unit"] in (None, "text")
        assert await store.read(lambda c: store.chunk_row_in(c, "4")) is None  # its document is being staged
        assert await store.read(lambda c: store.chunk_row_in(c, "99")) is None
        assert await store.read(lambda c: store.chunk_row_in(c, "a1")) is None
        vocabulary = await store.read(store.handbook_vocabulary_in)
        assert sorted(vocabulary) == sorted({t for c in CHUNKS for t in c[4].split()})

    async def test_article_reads(self, store: SearchStore) -> None:
        found = await store.read(lambda c: store.article_matches_in(c, ["roaming", "pay"], 10))
        assert [ref for ref, _, _ in found] == ["roaming", "Bills"] or [ref for ref, _, _ in found] == [
            "Bills",
            "roaming",
        ]
        assert all(score > 0 for _, score, _ in found)
        assert dict((r, t) for r, _, t in found)["roaming"] == ARTICLE_ROWS[2][2]
        assert len(await store.read(lambda c: store.article_matches_in(c, ["roaming", "pay"], 1))) == 1
        assert await store.read(lambda c: store.article_matches_in(c, ["abroad"], 0)) == []
        only = await store.read(lambda c: store.article_matches_in(c, ["daily"], 5))
        assert [ref for ref, _, _ in only] == ["roaming"]
        documents = await store.read(lambda c: store.article_documents_in(c, ["Bills", "nope"]))
        assert documents == {"Bills": ARTICLE_ROWS[5][2]}
        assert await store.read(lambda c: store.article_documents_in(c, [])) == {}
        row = await store.read(lambda c: store.article_row_in(c, "Bills"))
        assert row is not None and json.loads(row[0]) == {"en": "Bills title"} and json.loads(row[1])["ar"] == "نص"
        assert await store.read(lambda c: store.article_row_in(c, "nope")) is None
        sources = await store.read(store.article_sources_in)
        assert sorted(json.loads(s["examples"])["en"][0] for s in sources) == ["Bills?", "roaming?"]
        assert all(set(s) >= {"id", "title", "body", "examples"} for s in sources)
        assert [s["id"] for s in sources] == sorted(s["id"] for s in sources)

    async def test_vectors(self, store: SearchStore, db: Any) -> None:
        assert await store.read(store.has_vectors_in)
        q = query(1, 0.2, 0)
        near = await store.read(lambda c: store.nearest_in(c, "chunk", q, q, 3, "1"))
        assert list(sorted(near, key=lambda r: -near[r]))[0] == "1"
        assert near["1"] == pytest.approx(float(q @ np.frombuffer(VECTORS[3][4], dtype=np.float32)), rel=1e-5)
        articles = await store.read(lambda c: store.nearest_in(c, "article", q, q, 4, "1"))
        assert set(articles) == {"roaming", "Bills"}
        best_roaming = max(float(q @ np.frombuffer(v[4], dtype=np.float32)) for v in VECTORS[:2])
        assert articles["roaming"] == pytest.approx(best_roaming, rel=1e-5)  # its best item
        cosines = await store.read(lambda c: store.cosines_in(c, "article", ["roaming", "nope"], q))
        assert cosines == {"roaming": pytest.approx(best_roaming, rel=1e-5)}
        chunk = await store.read(lambda c: store.cosines_in(c, "chunk", ["2", "3"], q))
        assert set(chunk) == {"2", "3"}
        assert await store.read(lambda c: store.cosines_in(c, "chunk", [], q)) == {}
        other = np.ones(DIM * 2, dtype=np.float32) / 4  # another provider's dimension
        assert await store.read(lambda c: store.cosines_in(c, "chunk", ["1"], other)) == {}

    async def test_a_new_knowledge_version_is_seen(self, store: SearchStore, db: Any) -> None:
        q = query(0, 0, 0, 1)
        before = await store.read(lambda c: store.nearest_in(c, "chunk", q, q, 3, "1"))
        seed_rows(db, "kb_vectors", [{"id": 7, "kind": "chunk", "ref": "9", "field": "chunk", "lang": "en",
                                      "text": "", "vector": unit(0, 0, 0, 1)}])  # fmt: skip
        self.index_vectors(db, only=[7])
        seed_rows(db, "chunk_fts", [{"rowid": 9, "text": "router", "ref": "9"}])
        after = await store.read(lambda c: store.nearest_in(c, "chunk", q, q, 3, "2"))
        assert "9" not in before and after["9"] == pytest.approx(1.0, rel=1e-5)
        assert await store.read(store.chunk_count_in) == 5

    async def test_closed_database_is_a_storage_error(self, store: SearchStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.read(store.chunk_count_in)
        with pytest.raises(StorageError):
            await store.read(lambda c: store.meta_in(c, "version"))


class TestSqliteSearchStore(SearchStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db

    def index_chunk_terms(self, db: Any) -> None:
        db.write_sync(
            lambda c: c.execute("CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts_vocab USING fts5vocab (chunk_fts, 'row')")
        )

    def index_vectors(self, db: Any, only: list[int] | None = None) -> None:
        def write(conn: Any) -> None:
            conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS kb_vec USING vec0 (kind text, embedding bit[{DIM}])")
            for row in conn.execute("SELECT id, kind, vector FROM kb_vectors").fetchall():
                if only is None or row["id"] in only:
                    conn.execute(
                        "INSERT INTO kb_vec (rowid, kind, embedding) VALUES (?, ?, vec_quantize_binary(?))",
                        (row["id"], row["kind"], row["vector"]),
                    )

        db.write_sync(write)

    @staticmethod
    def fts5_rank(db: Any, terms: list[str], limit: int) -> list[tuple[str, float, str]]:
        """FTS5's own answer: every matching row scored by bm25() and sorted (``ORDER BY rank``)."""
        rows = db.read_sync(
            lambda c: c.execute(
                "SELECT ref, -bm25(chunk_fts) AS score, text FROM chunk_fts WHERE chunk_fts MATCH ?"
                " ORDER BY rank LIMIT ?",
                (fts_query(terms), limit),
            ).fetchall()
        )
        return [(str(r["ref"]), r["score"], r["text"]) for r in rows]

    async def test_chunk_bm25_is_fts5s_ranking(self, store: SearchStore, db: Any) -> None:
        # Many rows of equal length and term counts (ties), and rows of 128 tokens or more (their
        # size takes two varint bytes): the in-memory scores are FTS5's doubles, in FTS5's order.
        rng = random.Random(5)
        words = [f"w{i}" for i in range(40)]
        texts = [" ".join(rng.choice(words) for _ in range(rng.choice((3, 3, 4, 9, 130)))) for _ in range(300)]
        seed_rows(db, "chunk_fts", [{"rowid": 100 + i, "text": t, "ref": str(100 + i)} for i, t in enumerate(texts)])
        for terms, limit in ((["w1"], 20), (["w2", "w3", "w2"], 40), (["w5", "router", "w7"], 300), (["w9"], 3)):
            found = await store.read(lambda c, t=terms, n=limit: store.chunk_bm25_in(c, t, n))
            assert found == self.fts5_rank(db, terms, limit)
        # Terms that are not the index's tokens as they stand are FTS5's to fold: the same answer.
        for terms in (["W1", "w4"], ["nowhere", "w6"], ["w1 w2"]):
            found = await store.read(lambda c, t=terms: store.chunk_bm25_in(c, t, 10))
            assert found == self.fts5_rank(db, terms, 10)

    async def test_chunk_bm25_follows_index_changes(self, store: SearchStore, db: Any) -> None:
        # Rows staged or purged without a new knowledge version change FTS5's row count and
        # average length: the next search scores with them.
        assert await store.read(lambda c: store.chunk_bm25_in(c, ["router"], 5)) == self.fts5_rank(db, ["router"], 5)
        seed_rows(db, "chunk_fts", [{"rowid": 50 + i, "text": "router x y", "ref": str(50 + i)} for i in range(3)])
        added = await store.read(lambda c: store.chunk_bm25_in(c, ["router", "x"], 10))
        assert len(added) == 4 and added == self.fts5_rank(db, ["router", "x"], 10)
        db.write_sync(lambda c: c.execute("DELETE FROM chunk_fts WHERE rowid IN (3, 50)"))
        gone = await store.read(lambda c: store.chunk_bm25_in(c, ["router", "x"], 10))
        assert [r for r, _, _ in gone] == ["51", "52"] and gone == self.fts5_rank(db, ["router", "x"], 10)

    def test_varints_and_hamming(self) -> None:
        assert varints(bytes([0x33, 0x00, 0x81, 0x00, 0x82, 0x80, 0x01])) == [51, 0, 128, 2 * 16384 + 1]
        rng = np.random.default_rng(3)
        codes = rng.integers(0, 2**63, size=(20_000, 16), dtype=np.uint64)  # more than two blocks
        q = codes[7].copy()
        q[0] ^= np.uint64(0b1011)
        expected = np.unpackbits((codes ^ q).view(np.uint8), axis=1).sum(axis=1)
        found = hamming(np.ascontiguousarray(codes.T), q)
        assert found.dtype == np.int16 and (found == expected).all() and found[7] == 3

    async def test_without_the_vocabulary_or_the_vector_table(self, tmp_path: Any) -> None:
        from conftest import make_settings

        from nura_appliance.storage.stores import open_database

        _, bare = open_database(make_settings(tmp_path / "bare"))
        try:
            store = stores_for(bare).search
            assert await store.read(store.chunk_stats_in) == (0, 1.0, False)
            assert await store.read(store.handbook_vocabulary_in) == []
            assert not await store.read(store.has_vectors_in)
        finally:
            bare.close()


@pytest.mark.postgres
class TestPostgresSearchStore(SearchStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db

    def index_vectors(self, db: Any, only: list[int] | None = None) -> None:
        """Nothing to build: each worker scores the vectors in memory."""
