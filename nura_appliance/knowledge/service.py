"""Knowledge feature services: install the embedder and ``ctx.retriever``, keep the
vector index in the active embedding space, and import packs atomically."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from nura_appliance.knowledge.embedding import BuiltinEmbedder, Embedder, EmbeddingError, make_embedder
from nura_appliance.knowledge.hybrid import HybridRetriever, passage_terms
from nura_appliance.knowledge.indexer import article_items, coarse_dim
from nura_appliance.knowledge.ingest import purge_hidden
from nura_appliance.knowledge.normalize import ANALYSIS_VERSION
from nura_appliance.knowledge.site import IndexSite, ReindexTask
from nura_appliance.storage.base import Transaction
from nura_appliance.storage.records import Item, chunk_fts_text

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def choose_embedder(settings: Any) -> Embedder:
    """The configured embedder; a broken provider falls back to the built-in one (logged), so
    the appliance still answers offline."""
    try:
        return make_embedder(settings)
    except EmbeddingError as exc:
        log.warning("embedding provider unavailable, using the built-in embedder: %s", exc.message)
        return BuiltinEmbedder()


async def needs_reindex(ctx: IndexSite) -> bool:
    """True when stored vectors belong to another embedding space or are missing, or the FTS
    rows and vectors were built by another text analysis (normaliser, stemmer, lexicon)."""
    state = await ctx.knowledge.index_state()
    space = ctx.knowledge.vectors.embedder.space
    if state["articles"] == 0 and state["chunks"] == 0:
        return False
    if state.get("text_analysis") != ANALYSIS_VERSION:
        return True
    if state["article_vectors"] < (1 if state["articles"] else 0) or state["chunk_vectors"] < state["chunks"]:
        return True
    if state.get("vector_dim") and state.get("vector_coarse") != str(coarse_dim(int(state["vector_dim"]))):
        return True  # the coarse code's format changed: rebuild it
    stored = state.get("vector_space")
    # An OpenAI space carries no dimension until the first call; compare the model part.
    return stored is not None and stored.split(":")[:2] != space.split(":")[:2]


async def reindex(ctx: IndexSite, progress: Progress | None = None) -> int:
    """Rebuild every article item's and handbook chunk's FTS row and vector with the active text
    analysis and embedding space.

    Analysis and embedding run outside the write transaction (a slow provider must not hold the
    single writer); the swap of old for new rows is one transaction.
    """

    articles, chunks = await ctx.knowledge.index_sources()
    items = [it for article in articles for it in article_items(article)]
    # A chunk is embedded as it was at ingestion: its heading path, then its text.
    items += [
        Item("chunk", str(r["id"]), "chunk", r["lang"] or "", chunk_fts_text(r["heading"], r["text"])) for r in chunks
    ]
    vectors_index = ctx.knowledge.vectors
    # A chunk's FTS row has the chunk's id as its rowid (the retriever reads terms by rowid).
    chunk_terms = await asyncio.to_thread(
        lambda: [(int(i.ref), " ".join(passage_terms(i.text)), i.ref) for i in items if i.kind == "chunk"]
    )

    def embed_all() -> np.ndarray:
        parts: list[np.ndarray] = []
        for start in range(0, len(items), 256):
            batch = [i.text for i in items[start : start + 256]]

            def embed(conn: Transaction, texts: list[str] = batch) -> np.ndarray:
                embedded: np.ndarray = vectors_index.embed(texts, conn)
                return embedded

            parts.append(ctx.db.read_sync(embed))
            if progress:
                progress(min(start + 256, len(items)), len(items))
        return np.vstack(parts) if parts else np.zeros((0, 1), dtype=np.float32)

    matrix = await asyncio.to_thread(embed_all)

    count: int = await ctx.knowledge.replace_index(items, matrix, chunk_terms, ANALYSIS_VERSION)
    return count


async def install_knowledge(ctx: IndexSite, *, background_reindex: bool = True) -> HybridRetriever:
    """Start-up hook body: pick the embedder, install the retriever, re-index when the provider
    changed (in the background when serving, so start-up stays fast)."""
    embedder = choose_embedder(ctx.settings)
    ctx.knowledge.vectors.embedder = embedder
    ctx.matcher.embedder = embedder  # the pipeline is (or will be) built with this matcher
    retriever = HybridRetriever(ctx.stores.search, embedder)
    ctx.retriever = retriever
    await ctx.knowledge.prepare_index()
    await purge_hidden(ctx)  # what an interrupted ingestion left staged
    if await needs_reindex(ctx):
        if background_reindex:
            task = asyncio.get_running_loop().create_task(reindex(ctx))
            task.add_done_callback(_log_failure)
            ctx.knowledge_reindex = ReindexTask(task)
        else:
            await reindex(ctx)
    return retriever


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("re-indexing failed: %s", task.exception())
