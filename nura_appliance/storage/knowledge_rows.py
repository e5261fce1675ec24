"""The rows of the knowledge base, shared by both backends' ``KnowledgeStore``
(``storage/sqlite/knowledge.py``, ``storage/postgres/knowledge.py``): an article, a topic node, a
canned reply as column values and back, the topic tree rebuilt from its rows, and the exported
pack. Only the SQL differs per backend; what a row holds is decided here once."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from nura_appliance.storage.base import Database, SearchIndex, Transaction

ARTICLE_COLUMNS = ("id", "category", "title", "body", "examples", "keywords", "updated_at")
NODE_COLUMNS = ("id", "parent_id", "position", "label", "article_id", "action")
# kb_meta keys the knowledge stats report
STATS_META = ("vector_space", "vector_dim", "pack_name")
# kb_meta keys that say which embedding space and text analysis the index was built with
INDEX_META = ("vector_space", "vector_dim", "vector_coarse", "text_analysis")
VECTOR_META = ("vector_dim", "vector_space", "vector_coarse")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


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


def article_values(article: dict[str, Any], now: float) -> tuple[Any, ...]:
    """The ``articles`` row of a validated article, in :data:`ARTICLE_COLUMNS` order."""
    return (
        article["id"],
        article.get("category") or "general",
        dumps(article["title"]),
        dumps(article["body"]),
        dumps(article.get("examples", {})),
        dumps(article.get("keywords", [])),
        now,
    )


def node_values(tree: dict[str, Any], parent: str | None = None, position: int = 0) -> list[tuple[Any, ...]]:
    """The ``topic_nodes`` rows of a tree (depth first, parents before their children), in
    :data:`NODE_COLUMNS` order."""
    rows: list[tuple[Any, ...]] = []

    def walk(node: dict[str, Any], parent_id: str | None, pos: int) -> None:
        rows.append((node["id"], parent_id, pos, dumps(node["label"]), node.get("article"), node.get("action")))
        for i, child in enumerate(node.get("children", [])):
            walk(child, node["id"], i)

    walk(tree, parent, position)
    return rows


def branch_values(tree: dict[str, Any], first_position: int) -> list[tuple[Any, ...]]:
    """The rows of a merged tree's branches, added under the existing ``root`` after its last child."""
    rows: list[tuple[Any, ...]] = []
    for i, child in enumerate(tree.get("children", [])):
        rows += node_values(child, "root", first_position + i)
    return rows


def tree_from_rows(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The nested tree from ``topic_nodes`` rows ordered by parent (the root's NULL first) and
    position; None when there are none."""
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


def meta_value(value: str | None) -> Any:
    """A ``kb_meta`` value: JSON when it is JSON, else the text."""
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def pack_meta_values(pack: dict[str, Any], version: str) -> list[tuple[str, str]]:
    """The ``kb_meta`` rows a pack import writes (scope message, out-of-scope examples, places, name, version)."""
    rows: list[tuple[str, str]] = []
    if pack.get("scope_message"):
        rows.append(("scope_message", dumps(pack["scope_message"])))
    if "out_of_scope_examples" in pack:
        rows.append(("out_of_scope_examples", dumps(pack["out_of_scope_examples"])))
    # Always written: a pack without its own places returns the desk to the shipped ones.
    rows.append(("places", dumps(pack.get("places"))))
    rows.append(("pack_name", pack.get("name", "")))
    rows.append(("version", version))
    return rows


def pack_counts(pack: dict[str, Any]) -> dict[str, int]:
    return {
        "articles": len(pack["articles"]),
        "rules": len(pack.get("rules", [])),
        "canned_replies": len(pack.get("canned_replies", [])),
    }


def stats_from(counts: dict[str, Any], meta: dict[str, str], runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        **counts,
        "pack": meta.get("pack_name", ""),
        "embedding_space": meta.get("vector_space", ""),
        "vector_dim": int(meta.get("vector_dim", 0) or 0),
        "ingestions": runs,
    }


def index_article(
    conn: Transaction,
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


def prepare_vectors(db: Database, vectors: SearchIndex, pack: dict[str, Any]) -> dict[str, np.ndarray]:
    """Embed a pack's article items before the write transaction (a slow provider must not hold
    the single writer); uses the embedding cache through a reader connection."""
    out: dict[str, np.ndarray] = {}
    texts: list[str] = []
    spans: list[tuple[str, int, int]] = []
    for article in pack["articles"]:
        items = vectors.article_items(article)
        spans.append((article["id"], len(texts), len(texts) + len(items)))
        texts.extend(i.text for i in items)
    matrix = db.read_sync(lambda c: vectors.embed(texts, c))
    for article_id, start, end in spans:
        out[article_id] = matrix[start:end]
    return out


async def export_pack(
    articles: list[dict[str, Any]],
    meta: Callable[[str], Awaitable[Any]],
    tree: dict[str, Any] | None,
    rules: list[dict[str, Any]],
    canned: list[dict[str, Any]],
) -> dict[str, Any]:
    """The knowledge base as a ``nura-knowledge/1`` pack."""
    for article in articles:
        article.pop("updated_at", None)
    extra = await meta("out_of_scope_examples")
    places = await meta("places")
    return {
        **({"out_of_scope_examples": extra} if extra else {}),
        **({"places": places} if places else {}),
        "format": "nura-knowledge/1",
        "name": await meta("pack_name") or "exported pack",
        "scope_message": await meta("scope_message") or {},
        "articles": articles,
        "topic_tree": tree,
        "rules": [{k: v for k, v in r.items() if k not in ("position", "updated_at")} for r in rules],
        "canned_replies": [{"id": r["id"], "lang": r["lang"], "title": r["title"], "text": r["text"]} for r in canned],
    }
