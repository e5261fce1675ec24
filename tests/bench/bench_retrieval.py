"""Hybrid retrieval latency and recall at 1k / 10k / 50k handbook chunks, side by side with
ChromaDB (the original NURA's store) on the same corpus and the same embeddings.

Measured per corpus size, for 200 customer questions: article cases of knowledge/eval's development
sets for the default pack (``common.dev_case_files("default")``, never a frozen test file):

* ``nura_hybrid`` — the full ``HybridRetriever.search_sync`` (FTS5 BM25 + binary-quantised
  sqlite-vec KNN re-scored in float32 + reciprocal rank fusion + fetching the hit rows);
* ``nura_vector`` — its vector stage alone (binary KNN + float re-score);
* ``sqlite_vec_float`` — the baseline: brute-force float32 KNN in sqlite-vec (what the
  pitfalls list measured at ~20 ms for 50k × 384);
* ``chromadb`` — ``collection.query`` on an HNSW collection with the same vectors.

``cpu_p50_ms`` is the hybrid search's CPU time per question (``time.thread_time``; on a shared
machine it moves less than the wall time). ``lexical_as_fts5`` is the share of questions whose
handbook BM25 candidates (``chunk_bm25_in``, scored in memory from FTS5's postings) are FTS5's own
``ORDER BY rank`` rows with the same scores in the same order (1.0 expected).

``recall@5`` is the share of the exact top-5 neighbours (brute-force float cosine in numpy) that a
vector search returns in its top 5. At 50k chunks the run repeats with 1536-dimensional vectors
(the same vectors through a fixed random projection) to show the cost does not follow the size.

Run: ``.venv/bin/python tests/bench/bench_retrieval.py`` (needs ``pip install chromadb`` — a
benchmark-only dependency; without it the Chroma column is skipped).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import REPO, dev_cases, save  # noqa: E402

from nura_appliance.knowledge.embedding import BuiltinEmbedder  # noqa: E402
from nura_appliance.knowledge.hybrid import HybridRetriever, QueryTerms, selective_terms  # noqa: E402
from nura_appliance.knowledge.indexer import coarse, coarse_dim, split_sentences, to_blob  # noqa: E402
from nura_appliance.knowledge.normalize import index_terms  # noqa: E402
from nura_appliance.knowledge.retrieval import knowledge_version  # noqa: E402
from nura_appliance.storage.sqlite import migrations  # noqa: E402
from nura_appliance.storage.sqlite.db import Database  # noqa: E402
from nura_appliance.storage.sqlite.search import fts_query  # noqa: E402
from nura_appliance.storage.stores import stores_for  # noqa: E402

SIZES = tuple(int(s) for s in os.environ.get("BENCH_RETRIEVAL_SIZES", "1000,10000,50000").split(","))
QUERIES = 200
K = 5


def corpus(n: int, seed: int = 7) -> list[str]:
    """``n`` chunk texts of ~300 characters mixed from the handbook and article bodies."""
    sentences: list[str] = []
    pack = json.loads((REPO / "knowledge" / "default-pack.json").read_text(encoding="utf-8"))
    for article in pack["articles"]:
        for body in article["body"].values():
            sentences.extend(s for s in split_sentences(body) if len(s) > 20)
    for path in sorted((REPO / "knowledge" / "handbook").glob("*")):
        sentences.extend(s for s in split_sentences(path.read_text(encoding="utf-8")) if len(s) > 20)
    rng = random.Random(seed)
    chunks = []
    for _ in range(n):
        parts: list[str] = []
        while sum(len(p) for p in parts) < 300:
            parts.append(rng.choice(sentences))
        chunks.append(" ".join(parts))
    return chunks


def questions() -> list[str]:
    texts = [case["text"] for case in dev_cases("default") if "article" in case["expect"]]
    return random.Random(3).sample(texts, QUERIES)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
    }


def build_db(folder: Path, texts: list[str], vectors: np.ndarray) -> Database:
    db = Database(folder / "nura.db")
    migrations.migrate(db)
    space = BuiltinEmbedder().space
    dim = vectors.shape[1]

    def write(conn: Any) -> None:
        conn.execute(
            "INSERT INTO handbook_docs (path, title, content_hash, chunks, updated_at, source_name)"
            " VALUES ('bench', 'bench', 'x', ?, 0, 'bench.md')",
            (len(texts),),
        )
        conn.execute(f"CREATE VIRTUAL TABLE kb_vec USING vec0 (kind text, embedding bit[{coarse_dim(dim)}])")
        conn.execute(f"CREATE VIRTUAL TABLE bench_float USING vec0 (embedding float[{dim}])")
        for i, (text, vector) in enumerate(zip(texts, vectors, strict=True), 1):
            blob = to_blob(vector)
            conn.execute(
                "INSERT INTO handbook_chunks (id, doc_id, position, heading, text, lang, content_hash)"
                " VALUES (?, 1, ?, '', ?, 'ar', '')",
                (i, i, text),
            )
            conn.execute(
                "INSERT INTO chunk_fts (rowid, text, ref) VALUES (?, ?, ?)", (i, " ".join(index_terms(text)), str(i))
            )
            conn.execute(
                "INSERT INTO kb_vectors (id, kind, ref, field, lang, text, vector) VALUES (?,?,?,?,?,?,?)",
                (i, "chunk", str(i), "chunk", "ar", "", blob),
            )
        codes = coarse(vectors)
        for i, code in enumerate(codes, 1):
            conn.execute(
                "INSERT INTO kb_vec (rowid, kind, embedding) VALUES (?, 'chunk', vec_quantize_binary(?))",
                (i, to_blob(code)),
            )
            conn.execute("INSERT INTO bench_float (rowid, embedding) VALUES (?, ?)", (i, to_blob(vectors[i - 1])))
        for key, value in (("vector_dim", str(dim)), ("vector_space", space)):
            conn.execute("INSERT OR REPLACE INTO kb_meta (key, value) VALUES (?, ?)", (key, value))

    db.write_sync(write)
    db.write_sync(stores_for(db).index.ensure_chunk_vocab_in)
    return db


def measure(
    label: str, texts: list[str], vectors: np.ndarray, query_texts: list[str], query_vectors: np.ndarray
) -> dict[str, Any]:
    exact = [set(np.argsort(-np.einsum("ij,j->i", vectors, q))[:K] + 1) for q in query_vectors]
    out: dict[str, Any] = {"chunks": len(texts), "dim": int(vectors.shape[1])}
    with tempfile.TemporaryDirectory() as tmp:
        db = build_db(Path(tmp), texts, vectors)
        retriever = HybridRetriever(stores_for(db).search)
        try:
            conn = db._reader()  # the benchmark runs in this thread; no pool hop in the timings
            for text, q in zip(query_texts[:5], query_vectors[:5], strict=True):  # warm caches
                retriever.search_sync(conn, text, q, K, ("chunk",))
            hybrid, hybrid_cpu, vector_only, baseline = [], [], [], []
            recall_vec, recall_base = [], []
            for text, q, truth in zip(query_texts, query_vectors, exact, strict=True):
                t, c = time.perf_counter(), time.thread_time()
                retriever.search_sync(conn, text, q, K, ("chunk",))
                hybrid.append(time.perf_counter() - t)
                hybrid_cpu.append(time.thread_time() - c)
                t = time.perf_counter()
                ranked = vector_stage(conn, retriever, q)
                vector_only.append(time.perf_counter() - t)
                recall_vec.append(len(truth & set(ranked[:K])) / K)
                t = time.perf_counter()
                rows = list(
                    conn.execute("SELECT rowid FROM bench_float WHERE embedding MATCH ? AND k = ?", (to_blob(q), K))
                )
                baseline.append(time.perf_counter() - t)
                recall_base.append(len(truth & {r["rowid"] for r in rows}) / K)
            out["nura_hybrid"] = {
                **percentiles(hybrid),
                "cpu_p50_ms": percentiles(hybrid_cpu)["p50_ms"],
                "lexical_as_fts5": lexical_as_fts5(conn, retriever, query_texts),
            }
            out["nura_vector"] = {**percentiles(vector_only), "recall@5": round(statistics.mean(recall_vec), 3)}
            out["sqlite_vec_float"] = {**percentiles(baseline), "recall@5": round(statistics.mean(recall_base), 3)}
        finally:
            db.close()
    out["chromadb"] = chroma(texts, vectors, query_vectors, exact)
    base = out["sqlite_vec_float"]["p50_ms"]
    out["speedup_vs_float_p50"] = (
        round(base / out["nura_vector"]["p50_ms"], 2) if out["nura_vector"]["p50_ms"] else None
    )
    print(
        f"{label}: hybrid p50 {out['nura_hybrid']['p50_ms']} ms p99 {out['nura_hybrid']['p99_ms']} ms"
        f" cpu p50 {out['nura_hybrid']['cpu_p50_ms']} ms lexical=FTS5 {out['nura_hybrid']['lexical_as_fts5']} |"
        f" vector {out['nura_vector']} | float baseline {out['sqlite_vec_float']} | chroma {out['chromadb']}",
        flush=True,
    )
    return out


def lexical_as_fts5(conn: Any, retriever: HybridRetriever, query_texts: list[str]) -> float:
    """Share of questions whose handbook BM25 candidates are FTS5's own ranking of the terms the
    retriever sends (rows, scores and order)."""
    version = knowledge_version(retriever.store, conn)
    same = asked = 0
    for text in query_texts:
        terms = QueryTerms.of(text, retriever.bridge(conn, version))
        looked = retriever._frequencies.lookup(conn, version, terms.lookup_terms())
        sent = selective_terms(*looked, terms.terms) if looked else []
        if not sent:
            continue
        asked += 1
        ours = retriever.store.chunk_bm25_in(conn, sent, 20)
        rows = conn.execute(
            "SELECT ref, -bm25(chunk_fts) AS score, text FROM chunk_fts WHERE chunk_fts MATCH ? ORDER BY rank LIMIT 20",
            (fts_query(sent),),
        ).fetchall()
        same += ours == [(str(r["ref"]), r["score"], r["text"]) for r in rows]
    return round(same / asked, 3) if asked else 1.0


def vector_stage(conn: Any, retriever: HybridRetriever, q: np.ndarray) -> list[int]:
    """The retriever's vector half alone: binary KNN, then float re-scoring of the candidates."""
    pool = max(K * 4, 20) * retriever.oversample
    best = retriever.vector_candidates(conn, "chunk", q, coarse(q), pool, knowledge_version(retriever.store, conn))
    return [int(ref) for ref, _ in sorted(best.items(), key=lambda item: -item[1])]


def chroma(texts: list[str], vectors: np.ndarray, query_vectors: np.ndarray, exact: list[set[int]]) -> dict[str, Any]:
    try:
        import chromadb
    except ImportError:
        return {"skipped": "chromadb not installed (pip install chromadb)"}
    with tempfile.TemporaryDirectory() as tmp:
        client = chromadb.PersistentClient(path=tmp)
        collection = client.create_collection("bench", metadata={"hnsw:space": "cosine"})
        started = time.perf_counter()
        for start in range(0, len(texts), 5000):
            end = min(start + 5000, len(texts))
            collection.add(
                ids=[str(i + 1) for i in range(start, end)],
                embeddings=vectors[start:end].tolist(),
                documents=texts[start:end],
            )
        build = time.perf_counter() - started
        samples, recall = [], []
        collection.query(query_embeddings=[query_vectors[0].tolist()], n_results=K)
        for q, truth in zip(query_vectors, exact, strict=True):
            t = time.perf_counter()
            result = collection.query(query_embeddings=[q.tolist()], n_results=K)
            samples.append(time.perf_counter() - t)
            recall.append(len(truth & {int(i) for i in result["ids"][0]}) / K)
        return {**percentiles(samples), "recall@5": round(statistics.mean(recall), 3), "build_s": round(build, 1)}


def main() -> dict[str, Any]:
    embedder = BuiltinEmbedder()
    query_texts = questions()
    query_vectors = embedder.embed(query_texts)
    largest = corpus(max(SIZES))
    started = time.perf_counter()
    all_vectors = embedder.embed(largest)
    embed_rate = len(largest) / (time.perf_counter() - started)
    print(f"embedded {len(largest)} chunks with the built-in embedder: {embed_rate:.0f} chunks/s", flush=True)
    results: dict[str, Any] = {"queries": QUERIES, "k": K, "builtin_embed_chunks_per_s": round(embed_rate)}
    for size in SIZES:
        results[f"{size}x384"] = measure(f"{size}x384", largest[:size], all_vectors[:size], query_texts, query_vectors)
    rng = np.random.default_rng(11)
    projection = rng.standard_normal((all_vectors.shape[1], 1536)).astype(np.float32)

    def widen(matrix: np.ndarray) -> np.ndarray:
        wide = matrix @ projection
        return (wide / np.linalg.norm(wide, axis=1, keepdims=True)).astype(np.float32)

    results[f"{max(SIZES)}x1536"] = measure(
        f"{max(SIZES)}x1536", largest, widen(all_vectors), query_texts, widen(query_vectors)
    )
    save("bench_retrieval", results)
    return results


if __name__ == "__main__":
    main()
