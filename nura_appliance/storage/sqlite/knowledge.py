"""SQLite knowledge store (:class:`~nura_appliance.storage.base.KnowledgeStore`): articles, topic
tree, rules, scope message, canned replies, and the FTS5 index over their normalised text (written
through the feature's ``SearchIndex``). ``storage/postgres/knowledge.py`` is the PostgreSQL twin;
the rows both write are in ``storage/knowledge_rows.py``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from nura_appliance.storage.base import SearchIndex, Transaction, rule_from_row, rule_row_values
from nura_appliance.storage.knowledge_rows import (
    INDEX_META,
    STATS_META,
    VECTOR_META,
    article_from_row,
    article_values,
    branch_values,
    export_pack,
    index_article,
    meta_value,
    node_values,
    pack_counts,
    pack_meta_values,
    prepare_vectors,
    stats_from,
    tree_from_rows,
)
from nura_appliance.storage.records import Item
from nura_appliance.storage.sqlite.db import Connection, Database, own

_UPSERT_ARTICLE = (
    "INSERT INTO articles (id, category, title, body, examples, keywords, updated_at)"
    " VALUES (?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET category = excluded.category,"
    " title = excluded.title, body = excluded.body, examples = excluded.examples,"
    " keywords = excluded.keywords, updated_at = excluded.updated_at"
)
_INSERT_NODE = "INSERT INTO topic_nodes (id, parent_id, position, label, article_id, action) VALUES (?,?,?,?,?,?)"
_MERGE_NODE = _INSERT_NODE + (
    " ON CONFLICT (id) DO UPDATE SET label = excluded.label, article_id = excluded.article_id, action = excluded.action"
)
_UPSERT_CANNED = (
    "INSERT INTO canned_replies (id, lang, title, text, created_at, updated_at) VALUES (?,?,?,?,?,?)"
    " ON CONFLICT (id) DO UPDATE SET lang = excluded.lang, title = excluded.title,"
    " text = excluded.text, updated_at = excluded.updated_at"
)
_SET_META = "INSERT INTO kb_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"


def _write_article(
    conn: Connection,
    article: dict[str, Any],
    now: float,
    vectors: SearchIndex,
    prepared: dict[str, np.ndarray] | None = None,
    *,
    fresh: bool = False,
) -> None:
    conn.execute(_UPSERT_ARTICLE, article_values(article, now))
    index_article(conn, article, vectors, prepared, fresh=fresh)


def _write_tree(conn: Connection, tree: dict[str, Any]) -> None:
    conn.execute("DELETE FROM topic_nodes")
    conn.executemany(_INSERT_NODE, node_values(tree))


class SqliteKnowledgeStore:
    """Articles, tree, rules and their indexes; ``vectors`` embeds with the active provider (the
    knowledge feature swaps its embedder at start-up when EMBEDDING_PROVIDER is not builtin)."""

    def __init__(self, db: Database, vectors: SearchIndex) -> None:
        self.db = db
        self.vectors = vectors

    def prepare_vectors(self, pack: dict[str, Any]) -> dict[str, np.ndarray]:
        return prepare_vectors(self.db, self.vectors, pack)

    # -- writes -------------------------------------------------------------------------------------
    async def load_pack(self, pack: dict[str, Any], *, merge: bool = False) -> dict[str, int]:
        """Load a validated pack in one transaction: it all lands, or nothing changes."""
        prepared = await asyncio.to_thread(self.prepare_vectors, pack)
        return await self.db.write(lambda c: self.load_pack_in(c, pack, merge=merge, prepared=prepared))

    def load_pack_in(
        self,
        conn: Transaction,
        pack: dict[str, Any],
        *,
        merge: bool = False,
        prepared: dict[str, np.ndarray] | None = None,
    ) -> dict[str, int]:
        conn = own(conn)
        now = time.time()
        if not merge:
            conn.execute("DELETE FROM articles")
            conn.execute("DELETE FROM kb_fts WHERE kind = 'article'")
            self.vectors.delete(conn, "article")
            conn.execute("DELETE FROM rules")
            conn.execute("DELETE FROM topic_nodes")
        existing = set() if not merge else {r["id"] for r in conn.execute("SELECT id FROM articles")}
        for article in pack["articles"]:
            _write_article(conn, article, now, self.vectors, prepared, fresh=article["id"] not in existing)
        if pack.get("topic_tree"):
            if merge:
                # Merging keeps one tree: the incoming tree's branches are added under the root.
                nodes = {r["id"] for r in conn.execute("SELECT id FROM topic_nodes")}
                if nodes and "root" in nodes:
                    start = conn.execute(
                        "SELECT coalesce(max(position), -1) + 1 AS p FROM topic_nodes WHERE parent_id = 'root'"
                    ).fetchall()[0]["p"]
                    conn.executemany(_MERGE_NODE, branch_values(pack["topic_tree"], start))
                else:
                    _write_tree(conn, pack["topic_tree"])
            else:
                _write_tree(conn, pack["topic_tree"])
        for position, rule in enumerate(pack.get("rules", [])):
            write_rule(conn, rule, position, now)
        conn.executemany(
            _UPSERT_CANNED,
            [(r["id"], r["lang"], r["title"], r["text"], now, now) for r in pack.get("canned_replies", [])],
        )
        conn.executemany(_SET_META, pack_meta_values(pack, str(now)))
        return pack_counts(pack)

    async def save_article(self, article: dict[str, Any]) -> None:
        def run(conn: Connection) -> None:
            _write_article(conn, article, time.time(), self.vectors)
            _bump_version(conn)

        await self.db.write(run)

    async def delete_article(self, article_id: str) -> bool:
        def run(conn: Connection) -> bool:
            conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
            gone = conn.changes() > 0
            conn.execute("DELETE FROM kb_fts WHERE kind = 'article' AND ref = ?", (article_id,))
            self.vectors.delete(conn, "article", [article_id])
            conn.execute("UPDATE topic_nodes SET article_id = NULL WHERE article_id = ?", (article_id,))
            _bump_version(conn)
            return gone

        return await self.db.write(run)

    async def save_tree(self, tree: dict[str, Any]) -> None:
        def run(conn: Connection) -> None:
            _write_tree(conn, tree)
            _bump_version(conn)

        await self.db.write(run)

    # -- reads --------------------------------------------------------------------------------------
    async def article(self, article_id: str) -> dict[str, Any] | None:
        row = await self.db.fetchone("SELECT * FROM articles WHERE id = ?", (article_id,))
        return article_from_row(row) if row else None

    async def articles(self) -> list[dict[str, Any]]:
        return [article_from_row(r) for r in await self.db.fetchall("SELECT * FROM articles ORDER BY id")]

    async def articles_stamp(self) -> tuple[int, float]:
        """How many articles there are and when the last was saved: changes with every article
        write, not with rule, tree or handbook changes (what is derived from the articles alone is
        rebuilt only when this changes)."""
        row = await self.db.fetchone("SELECT count(*) AS n, max(updated_at) AS last FROM articles")
        return (int(row["n"]), float(row["last"] or 0.0)) if row else (0, 0.0)

    async def tree(self) -> dict[str, Any] | None:
        return tree_from_rows(await self.db.fetchall("SELECT * FROM topic_nodes ORDER BY parent_id, position"))

    async def rules(self) -> list[dict[str, Any]]:
        """Every rule, switched-off ones included (the matcher skips those), in pack order."""
        rows = await self.db.fetchall("SELECT * FROM rules ORDER BY position, id")
        return [rule_from_row(r) for r in rows]

    async def meta(self, key: str) -> Any:
        row = await self.db.fetchone("SELECT value FROM kb_meta WHERE key = ?", (key,))
        return meta_value(row["value"]) if row else None

    async def version(self) -> str:
        row = await self.db.fetchone("SELECT value FROM kb_meta WHERE key = 'version'")
        return str(row["value"]) if row else "0"

    async def canned_replies(self, lang: str | None = None) -> list[dict[str, Any]]:
        if lang:
            return await self.db.fetchall("SELECT * FROM canned_replies WHERE lang = ? ORDER BY id", (lang,))
        return await self.db.fetchall("SELECT * FROM canned_replies ORDER BY lang, id")

    async def is_empty(self) -> bool:
        row = await self.db.fetchone("SELECT count(*) AS n FROM articles")
        return not row or row["n"] == 0

    async def stats(self) -> dict[str, Any]:
        """Counts and the embedding space, plus the last ingestion runs."""

        def run(conn: Connection) -> dict[str, Any]:
            one = conn.execute(
                "SELECT (SELECT count(*) FROM articles) AS articles, (SELECT count(*) FROM topic_nodes) AS topic_nodes,"
                " (SELECT count(*) FROM rules) AS rules, (SELECT count(*) FROM handbook_docs) AS documents,"
                " (SELECT count(*) FROM handbook_chunks) AS chunks, (SELECT count(*) FROM kb_vectors) AS vectors,"
                " (SELECT count(*) FROM embedding_cache) AS cached_embeddings"
            ).fetchall()[0]
            meta = {
                r["key"]: r["value"]
                for r in conn.execute("SELECT key, value FROM kb_meta WHERE key IN (?, ?, ?)", STATS_META)
            }
            runs = list(
                conn.execute(
                    "SELECT id, source, status, files, skipped, chunks, error, started_at, finished_at"
                    " FROM ingestion_logs ORDER BY id DESC LIMIT 5"
                )
            )
            return stats_from(one, meta, runs)

        return await self.db.read(run)

    async def export_pack(self) -> dict[str, Any]:
        return await export_pack(
            await self.articles(), self.meta, await self.tree(), await self.rules(), await self.canned_replies()
        )

    # -- the index as a whole -------------------------------------------------------------------------
    async def prepare_index(self) -> None:
        # The document-frequency view of chunk_fts used to prune common query terms (created here
        # rather than in a migration so that databases migrated before it get it too).
        await self.db.write(
            lambda c: c.execute("CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts_vocab USING fts5vocab (chunk_fts, 'row')")
        )

    async def index_state(self) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            meta = {
                r["key"]: r["value"]
                for r in conn.execute("SELECT key, value FROM kb_meta WHERE key IN (?, ?, ?, ?)", INDEX_META)
            }
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM articles) AS articles,"
                " (SELECT count(*) FROM kb_vectors WHERE kind = 'article') AS article_vectors,"
                " (SELECT count(*) FROM handbook_chunks) AS chunks,"
                " (SELECT count(*) FROM kb_vectors WHERE kind = 'chunk') AS chunk_vectors"
            ).fetchall()[0]
            return {**meta, **counts}

        return await self.db.read(run)

    async def index_sources(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        def run(conn: Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            articles = [article_from_row(r) for r in conn.execute("SELECT * FROM articles ORDER BY id")]
            chunks = list(conn.execute("SELECT id, lang, heading, text FROM handbook_chunks ORDER BY id"))
            return articles, chunks

        return await self.db.read(run)

    async def replace_index(
        self,
        items: list[Item],
        matrix: np.ndarray,
        chunk_terms: list[tuple[int, str, str]],
        analysis_version: str,
    ) -> int:
        articles: dict[str, list[Item]] = {}
        for item in items:
            if item.kind == "article":
                articles.setdefault(item.ref, []).append(item)

        def swap(conn: Connection) -> int:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'kb_vec'").fetchall():
                conn.execute("DROP TABLE kb_vec")
            conn.execute("DELETE FROM kb_vectors")
            conn.execute("DELETE FROM kb_meta WHERE key IN (?, ?, ?)", VECTOR_META)
            written = self.vectors.write(conn, items, matrix) if items else 0
            conn.execute("DELETE FROM kb_fts WHERE kind = 'article'")
            for article_id, article_rows in articles.items():
                self.vectors.write_article_fts(conn, article_id, article_rows, fresh=True)
            conn.execute("DELETE FROM chunk_fts")
            conn.executemany("INSERT INTO chunk_fts (rowid, text, ref) VALUES (?, ?, ?)", chunk_terms)
            conn.execute(_SET_META, ("text_analysis", analysis_version))
            _bump_version(conn)
            return written

        count: int = await self.db.write(swap)
        return count


def write_rule(conn: Connection, rule: dict[str, Any], position: int, now: float) -> None:
    """Insert or replace one rule (a validated pack rule) at ``position``."""
    conn.execute(
        "INSERT INTO rules (id, position, patterns, response, match_mode, enabled, updated_at) VALUES (?,?,?,?,?,?,?)"
        " ON CONFLICT (id) DO UPDATE SET position = excluded.position, patterns = excluded.patterns,"
        " response = excluded.response, match_mode = excluded.match_mode, enabled = excluded.enabled,"
        " updated_at = excluded.updated_at",
        rule_row_values(rule, position, now),
    )


def bump_version(conn: Connection) -> None:
    """Mark the knowledge base changed (the pipeline reloads rules, decisions and caches)."""
    _bump_version(conn)


def _bump_version(conn: Connection) -> None:
    conn.execute(_SET_META, ("version", str(time.time())))
