"""Hybrid retrieval and embedding providers on real SQLite files: fusion tiers, binary KNN with
float re-scoring, the embedding cache, and re-indexing when the provider changes (the `openai`
provider runs through the real openai client against an OpenAI-compatible server on loopback)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import initialised_copy, make_settings
from hypothesis import given
from hypothesis import strategies as st

from nura_appliance.context import build_context, load_default_knowledge
from nura_appliance.knowledge.embedding import BuiltinEmbedder, EmbeddingError, OpenAIEmbedder
from nura_appliance.knowledge.hybrid import ChunkFrequencies
from nura_appliance.knowledge.retrieval import knowledge_version
from nura_appliance.knowledge.service import install_knowledge, needs_reindex
from nura_appliance.storage.sqlite import migrations
from nura_appliance.storage.sqlite.db import Database
from nura_appliance.storage.sqlite.search import nearest_rows
from nura_appliance.storage.stores import stores_for

DIM = 16


class EmbeddingServer:
    """A tiny OpenAI-compatible ``POST /v1/embeddings``: deterministic vectors from word hashes."""

    def __init__(self) -> None:
        self.requests: list[list[str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                outer.requests.append(texts)
                data = [{"object": "embedding", "index": i, "embedding": outer.vector(t)} for i, t in enumerate(texts)]
                payload = json.dumps(
                    {
                        "object": "list",
                        "data": data,
                        "model": body["model"],
                        "usage": {"prompt_tokens": 1, "total_tokens": 1},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    @staticmethod
    def vector(text: str) -> list[float]:
        vec = np.zeros(DIM)
        for word in text.lower().split():
            digest = hashlib.sha256(word.encode()).digest()
            vec[digest[0] % DIM] += 1.0
        return vec.tolist()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def embedding_server() -> Iterator[EmbeddingServer]:
    server = EmbeddingServer()
    yield server
    server.stop()


async def test_hybrid_search_fuses_fts_and_vectors(data_dir: Path) -> None:
    ctx = build_context(make_settings(initialised_copy(data_dir)))
    try:
        await load_default_knowledge(ctx)
        retriever = await install_knowledge(ctx, background_reindex=False)
        assert ctx.retriever is retriever
        hits = await retriever.search("النت عندي بطيء", "ar", k=5)
        assert hits[0].kind == "article" and hits[0].ref == "internet-slow" and hits[0].tier == "hybrid"
        assert all(0 < h.score <= 1 for h in hits) and hits == sorted(hits, key=lambda h: -h.score)
        english = await retriever.search("my internet is slow", "en", k=1)
        assert english[0].title == "Slow mobile internet"  # titles in the asked language
        typo_only = await retriever.search("انترنيتتت بطيئئ", "ar", k=3)  # no exact word in the index
        assert "internet-slow" in [h.ref for h in typo_only]
        assert await retriever.search('"; DROP TABLE articles; --', "en", k=3) is not None
        assert await retriever.search("", "ar") == []
    finally:
        ctx.close()


async def test_openai_provider_caches_and_switching_reindexes(
    data_dir: Path, embedding_server: EmbeddingServer
) -> None:
    ctx = build_context(make_settings(initialised_copy(data_dir)))
    try:
        await load_default_knowledge(ctx)
        await install_knowledge(ctx, background_reindex=False)
        builtin_count = (await ctx.knowledge.stats())["vectors"]
        assert (await ctx.knowledge.stats())["embedding_space"] == BuiltinEmbedder().space
    finally:
        ctx.close()

    settings = make_settings(
        data_dir,
        EMBEDDING_PROVIDER="openai",
        OPENAI_BASE_URL=embedding_server.url,
        OPENAI_API_KEY="test-key",
        OPENAI_EMBEDDING_MODEL="tiny-embed",
    )
    ctx = build_context(settings)
    try:
        assert await needs_reindex(ctx) is False  # builtin embedder installed by default
        ctx.knowledge.vectors.embedder = OpenAIEmbedder(api_key="k", base_url=embedding_server.url, model="tiny-embed")
        assert await needs_reindex(ctx) is True
        await install_knowledge(ctx, background_reindex=False)
        stats = await ctx.knowledge.stats()
        assert stats["embedding_space"] == "openai:tiny-embed" and stats["vector_dim"] == DIM
        assert stats["vectors"] == builtin_count and stats["cached_embeddings"] > 0
        sent = sum(len(r) for r in embedding_server.requests)
        hits = await ctx.retriever.search("roaming abroad", "en", k=3)
        assert hits and all(h.tier in ("fts", "vector", "hybrid") for h in hits)
        decision = await ctx.pipeline.matcher.decide("my internet is slow", "en")
        assert decision.kind in ("article", "ambiguous", "none")

        # re-indexing the same texts in the same space is served from the cache
        from nura_appliance.knowledge.service import reindex

        before = sum(len(r) for r in embedding_server.requests)
        await reindex(ctx)
        assert sum(len(r) for r in embedding_server.requests) == before
        assert sent > 0
    finally:
        ctx.close()


def test_misconfigured_providers_fail_clearly() -> None:
    from nura_appliance.knowledge.embedding import LocalEmbedder, make_embedder

    with pytest.raises(EmbeddingError, match="OPENAI_API_KEY or OPENAI_BASE_URL"):
        OpenAIEmbedder(api_key="", base_url=None, model="m")
    with pytest.raises(EmbeddingError, match="is not a file"):
        LocalEmbedder("/nonexistent/model.gguf")

    class Fake:
        embedding_provider = "quantum"

    with pytest.raises(EmbeddingError, match="unknown EMBEDDING_PROVIDER"):
        make_embedder(Fake())


async def test_unreachable_provider_falls_back_to_builtin_search(data_dir: Path) -> None:
    settings = make_settings(
        data_dir, EMBEDDING_PROVIDER="openai", OPENAI_API_KEY="k", OPENAI_BASE_URL="http://127.0.0.1:9/v1"
    )
    ctx = build_context(settings)
    try:
        await load_default_knowledge(ctx)
        retriever = await install_knowledge(ctx, background_reindex=True)
        hits = await retriever.search("roaming", "en", k=3)  # vector half unavailable: FTS still answers
        assert hits and all(h.tier == "fts" for h in hits)
        holder = ctx.knowledge_reindex
        if holder is not None:
            holder.close()
    finally:
        ctx.close()


async def test_in_memory_bm25_scores_exactly_as_fts5(data_dir: Path) -> None:
    """The article tier scores BM25 from an in-memory copy of the FTS5 index; on every evaluation
    question (and a few odd inputs) it gives FTS5's own bm25() per article, and it follows an
    article edit (a new knowledge version rebuilds it)."""
    from nura_appliance.knowledge.normalize import index_terms

    cases_file = Path(__file__).resolve().parents[1] / "knowledge" / "eval" / "cases.jsonl"
    texts = [json.loads(line)["text"] for line in cases_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += ["hello there", "zzqx", "النت", "Internet hêdî ye", '"; DROP TABLE articles; --']
    ctx = build_context(make_settings(initialised_copy(data_dir)))
    try:
        await load_default_knowledge(ctx)
        matcher = ctx.pipeline.matcher

        def compare(conn: Any) -> tuple[int, float, int]:
            snap = matcher._snapshot_in(conn)
            assert snap.lexicon is not None
            worst, scored = 0.0, 0
            for text in texts:
                terms = index_terms(text)
                mine = matcher._lexical(conn, snap, terms)
                fts5 = matcher._lexical(conn, snap, terms, use_lexicon=False)
                assert mine[2] == pytest.approx(fts5[2])
                for a, b in zip(mine[:2], fts5[:2], strict=True):
                    worst = max(worst, float(np.max(np.abs(a - b))))
                    scored += int(np.count_nonzero(b))
            return len(texts), worst, scored

        count, worst, scored = await ctx.db.read(compare)
        assert count > 300 and scored > 1000  # the comparison covered real matches
        assert worst < 1e-9

        article = await ctx.knowledge.article("internet-slow")
        assert article is not None
        article["keywords"] = [*article.get("keywords", []), "zzqx"]
        await ctx.knowledge.save_article(article)
        count, worst, scored = await ctx.db.read(compare)
        assert worst < 1e-9
        decision = await matcher.decide("zzqx", "en")
        assert decision.candidates[0].article_id == "internet-slow"
    finally:
        ctx.close()


@given(st.lists(st.integers(0, 1024), max_size=300), st.integers(1, 320))
def test_nearest_rows_are_the_smallest_distances_ties_to_the_lower_index(values: list[int], count: int) -> None:
    distances = np.array(values, dtype=np.int16)
    picked = nearest_rows(distances, count)
    # A stable sort gives the same rows: smallest distance first, equal distances by index.
    expected = np.argsort(distances, kind="stable")[:count]
    assert sorted(picked.tolist()) == sorted(expected.tolist())


def test_chunk_frequencies_are_remembered_until_the_knowledge_version_changes(tmp_path: Path) -> None:
    db = Database(tmp_path / "nura.db")
    try:
        migrations.migrate(db)

        def add(*texts: str, version: str | None = None) -> None:
            def write(conn: Any) -> None:
                for text in texts:
                    conn.execute("INSERT INTO chunk_fts (text, ref) VALUES (?, 'x')", (text,))
                if version is not None:
                    conn.execute(
                        "INSERT INTO kb_meta (key, value) VALUES ('version', ?) ON CONFLICT (key)"
                        " DO UPDATE SET value = excluded.value",
                        (version,),
                    )

            db.write_sync(write)

        store = stores_for(db).search
        frequencies = ChunkFrequencies(store)
        conn = db._reader()
        add("roaming bundle", "roaming", version="1")
        assert (
            frequencies.lookup(conn, knowledge_version(store, conn), ["roaming"]) is None
        )  # no vocabulary table yet: no pruning
        db.write_sync(stores_for(db).index.ensure_chunk_vocab_in)
        add(version="2")
        assert frequencies.lookup(conn, knowledge_version(store, conn), ["roaming", "bundle", "absent"]) == (
            {"roaming": 2, "bundle": 1, "absent": 0},
            2,
        )
        add("roaming again")  # chunks change within an ingestion; the version moves at its end
        assert frequencies.lookup(conn, knowledge_version(store, conn), ["roaming"]) == ({"roaming": 2}, 2)
        add(version="3")
        assert frequencies.lookup(conn, knowledge_version(store, conn), ["roaming", "absent"]) == (
            {"roaming": 3, "absent": 0},
            3,
        )
    finally:
        db.close()


def test_a_word_asking_for_a_value_is_held_by_a_passage_holding_one() -> None:
    """ "سعر" is held by a row that gives a price in dinars without the word (coverage), but that
    is no evidence of the topic: the rarest word held and the words held do not change."""
    from nura_appliance.knowledge.hybrid import QueryTerms, Weights, evidence, passage_terms
    from nura_appliance.knowledge.values import value_kinds

    query = QueryTerms.of("ما سعر باقة المريخ")
    assert query.kinds == {"price"} and len(query.asks) == 1
    row = "الباقة: المريخ، الإنترنت: 40 GB، 27,000 دينار"
    found = frozenset(passage_terms(row))
    weights = Weights.of(query, {t: 1 for t in found}, 10)
    plain = evidence(query, found, weights)
    held = evidence(query, found, weights, value_kinds(row, query.kinds))
    assert value_kinds(row, query.kinds) == {"price"}
    assert held.coverage > plain.coverage and held.by_value == pytest.approx(held.coverage - plain.coverage)
    assert (held.rare, held.words) == (plain.rare, plain.words)
    # a question that asks for no value gains nothing
    assert QueryTerms.of("ما هي باقة المريخ").asks == {}
