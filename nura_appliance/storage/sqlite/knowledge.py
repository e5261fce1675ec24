"""SQLite knowledge store: articles, topic tree, rules, scope message, canned replies, and the
FTS5 index over their normalised text."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import numpy as np

from nura_appliance.storage.base import rule_from_row, rule_row_values
from nura_appliance.storage.records import SearchIndex
from nura_appliance.storage.sqlite.db import Connection, Database


def article_from_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "category": row["category"],
        "title": json.loads(row["title"]),
        "body": json.loads(row["body"]),
        "examples": json.loads(row["examples"]),
        "keywords": json.loads(row["keywords"]),
        "updated_at": row["updated_at"],
    }


def index_article(
    conn: Connection,
    article: dict[str, Any],
    vectors: SearchIndex,
    prepared: dict[str, np.ndarray] | None = None,
    *,
    fresh: bool = False,
) -> None:
    """(Re)write the FTS rows and vectors of one article: every field, every language, normalised.

    ``fresh``: the article has no rows yet (a replacing import emptied the index first). Deleting
    by ``ref`` scans the whole FTS table, so skipping it keeps a 1,000-article import linear."""
    items = vectors.article_items(article)
    vectors.write_article_fts(conn, article["id"], items, fresh=fresh)
    if not fresh:
        vectors.delete(conn, "article", [article["id"]])
    vectors.write(conn, items, prepared.get(article["id"]) if prepared else None)


def _write_article(
    conn: Connection,
    article: dict[str, Any],
    now: float,
    vectors: SearchIndex,
    prepared: dict[str, np.ndarray] | None = None,
    *,
    fresh: bool = False,
) -> None:
    conn.execute(
        "INSERT INTO articles (id, category, title, body, examples, keywords, updated_at)"
        " VALUES (?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET category = excluded.category,"
        " title = excluded.title, body = excluded.body, examples = excluded.examples,"
        " keywords = excluded.keywords, updated_at = excluded.updated_at",
        (
            article["id"],
            article.get("category") or "general",
            json.dumps(article["title"], ensure_ascii=False),
            json.dumps(article["body"], ensure_ascii=False),
            json.dumps(article.get("examples", {}), ensure_ascii=False),
            json.dumps(article.get("keywords", []), ensure_ascii=False),
            now,
        ),
    )
    index_article(conn, article, vectors, prepared, fresh=fresh)


def _write_tree(conn: Connection, tree: dict[str, Any]) -> None:
    conn.execute("DELETE FROM topic_nodes")

    def walk(node: dict[str, Any], parent: str | None, position: int) -> None:
        conn.execute(
            "INSERT INTO topic_nodes (id, parent_id, position, label, article_id, action) VALUES (?,?,?,?,?,?)",
            (
                node["id"],
                parent,
                position,
                json.dumps(node["label"], ensure_ascii=False),
                node.get("article"),
                node.get("action"),
            ),
        )
        for i, child in enumerate(node.get("children", [])):
            walk(child, node["id"], i)

    walk(tree, None, 0)


class SqliteKnowledgeStore:
    """Articles, tree, rules and their indexes; ``vectors`` embeds with the active provider (the
    knowledge feature swaps its embedder at start-up when EMBEDDING_PROVIDER is not builtin)."""

    def __init__(self, db: Database, vectors: SearchIndex) -> None:
        self.db = db
        self.vectors = vectors

    def prepare_vectors(self, pack: dict[str, Any]) -> dict[str, np.ndarray]:
        """Embed a pack's article items before the write transaction (a slow provider must not
        hold the single writer); uses the embedding cache through a reader connection."""
        out: dict[str, np.ndarray] = {}
        texts: list[str] = []
        spans: list[tuple[str, int, int]] = []
        for article in pack["articles"]:
            items = self.vectors.article_items(article)
            spans.append((article["id"], len(texts), len(texts) + len(items)))
            texts.extend(i.text for i in items)
        matrix = self.db.read_sync(lambda c: self.vectors.embed(texts, c))
        for article_id, start, end in spans:
            out[article_id] = matrix[start:end]
        return out

    # -- writes -------------------------------------------------------------------------------------
    async def load_pack(self, pack: dict[str, Any], *, merge: bool = False) -> dict[str, int]:
        """Load a validated pack in one transaction: it all lands, or nothing changes."""
        prepared = await asyncio.to_thread(self.prepare_vectors, pack)
        return await self.db.write(lambda c: self.load_pack_in(c, pack, merge=merge, prepared=prepared))

    def load_pack_in(
        self,
        conn: Connection,
        pack: dict[str, Any],
        *,
        merge: bool = False,
        prepared: dict[str, np.ndarray] | None = None,
    ) -> dict[str, int]:
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
                existing = {r["id"] for r in conn.execute("SELECT id FROM topic_nodes")}
                if existing and "root" in existing:
                    _merge_tree(conn, pack["topic_tree"], existing)
                else:
                    _write_tree(conn, pack["topic_tree"])
            else:
                _write_tree(conn, pack["topic_tree"])
        for position, rule in enumerate(pack.get("rules", [])):
            write_rule(conn, rule, position, now)
        for reply in pack.get("canned_replies", []):
            conn.execute(
                "INSERT INTO canned_replies (id, lang, title, text, created_at, updated_at) VALUES (?,?,?,?,?,?)"
                " ON CONFLICT (id) DO UPDATE SET lang = excluded.lang, title = excluded.title,"
                " text = excluded.text, updated_at = excluded.updated_at",
                (reply["id"], reply["lang"], reply["title"], reply["text"], now, now),
            )
        if pack.get("scope_message"):
            conn.execute(
                "INSERT INTO kb_meta (key, value) VALUES ('scope_message', ?) ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value",
                (json.dumps(pack["scope_message"], ensure_ascii=False),),
            )
        if "out_of_scope_examples" in pack:
            conn.execute(
                "INSERT INTO kb_meta (key, value) VALUES ('out_of_scope_examples', ?) ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value",
                (json.dumps(pack["out_of_scope_examples"], ensure_ascii=False),),
            )
        conn.execute(
            "INSERT INTO kb_meta (key, value) VALUES ('pack_name', ?) ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value",
            (pack.get("name", ""),),
        )
        conn.execute(
            "INSERT INTO kb_meta (key, value) VALUES ('version', ?) ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value",
            (str(now),),
        )
        return {
            "articles": len(pack["articles"]),
            "rules": len(pack.get("rules", [])),
            "canned_replies": len(pack.get("canned_replies", [])),
        }

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
        rows = await self.db.fetchall("SELECT * FROM topic_nodes ORDER BY parent_id, position")
        if not rows:
            return None
        nodes = {
            r["id"]: {
                "id": r["id"],
                "label": json.loads(r["label"]),
                "article": r["article_id"],
                "action": r["action"],
                "parent": r["parent_id"],
            }
            for r in rows
        }
        children: dict[str | None, list[dict[str, Any]]] = {}
        for r in rows:
            children.setdefault(r["parent_id"], []).append(nodes[r["id"]])
        for node in nodes.values():
            kids = children.get(node["id"])
            if kids is not None or not (node["article"] or node["action"]):
                node["children"] = kids or []
            if not node["article"]:
                node.pop("article")
            if not node["action"] or "children" in node or "article" in node:
                node.pop("action")
            node.pop("parent")
        roots = children.get(None, [])
        return roots[0] if roots else None

    async def rules(self) -> list[dict[str, Any]]:
        """Every rule, switched-off ones included (the matcher skips those), in pack order."""
        rows = await self.db.fetchall("SELECT * FROM rules ORDER BY position, id")
        return [rule_from_row(r) for r in rows]

    async def meta(self, key: str) -> Any:
        row = await self.db.fetchone("SELECT value FROM kb_meta WHERE key = ?", (key,))
        if row is None:
            return None
        try:
            return json.loads(row["value"])
        except json.JSONDecodeError:
            return row["value"]

    async def version(self) -> str:
        row = await self.db.fetchone("SELECT value FROM kb_meta WHERE key = 'version'")
        return row["value"] if row else "0"

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
                for r in conn.execute(
                    "SELECT key, value FROM kb_meta WHERE key IN ('vector_space', 'vector_dim', 'pack_name')"
                )
            }
            runs = list(
                conn.execute(
                    "SELECT id, source, status, files, skipped, chunks, error, started_at, finished_at"
                    " FROM ingestion_logs ORDER BY id DESC LIMIT 5"
                )
            )
            return {
                **one,
                "pack": meta.get("pack_name", ""),
                "embedding_space": meta.get("vector_space", ""),
                "vector_dim": int(meta.get("vector_dim", 0) or 0),
                "ingestions": runs,
            }

        return await self.db.read(run)

    async def export_pack(self) -> dict[str, Any]:
        articles = await self.articles()
        for article in articles:
            article.pop("updated_at", None)
        extra = await self.meta("out_of_scope_examples")
        return {
            **({"out_of_scope_examples": extra} if extra else {}),
            "format": "nura-knowledge/1",
            "name": await self.meta("pack_name") or "exported pack",
            "scope_message": await self.meta("scope_message") or {},
            "articles": articles,
            "topic_tree": await self.tree(),
            "rules": [{k: v for k, v in r.items() if k not in ("position", "updated_at")} for r in await self.rules()],
            "canned_replies": [
                {"id": r["id"], "lang": r["lang"], "title": r["title"], "text": r["text"]}
                for r in await self.canned_replies()
            ],
        }


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
    conn.execute(
        "INSERT INTO kb_meta (key, value) VALUES ('version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(time.time()),),
    )


def _merge_tree(conn: Connection, tree: dict[str, Any], existing: set[str]) -> None:
    start = conn.execute("SELECT coalesce(max(position), -1) + 1 AS p FROM topic_nodes WHERE parent_id = 'root'")
    position = start.fetchall()[0]["p"]

    def walk(node: dict[str, Any], parent: str, pos: int) -> None:
        conn.execute(
            "INSERT INTO topic_nodes (id, parent_id, position, label, article_id, action) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT (id) DO UPDATE SET label = excluded.label, article_id = excluded.article_id,"
            " action = excluded.action",
            (
                node["id"],
                parent,
                pos,
                json.dumps(node["label"], ensure_ascii=False),
                node.get("article"),
                node.get("action"),
            ),
        )
        for i, child in enumerate(node.get("children", [])):
            walk(child, node["id"], i)

    for i, child in enumerate(tree.get("children", [])):
        walk(child, "root", position + i)
