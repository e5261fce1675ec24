"""The retrieval index's rows on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.IndexStore`): ``kb_fts`` rows (their ``tsvector`` is a
generated column), ``kb_vectors`` written in one ``unnest`` INSERT per batch, ``= ANY`` for id
lists, ``ON CONFLICT`` for the cache and ``kb_meta``. There is no coarse code table: each worker
keeps the vectors in memory (``storage/postgres/search.py``), so codes are not stored."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nura_appliance.storage.base import Transaction, VectorRow
from nura_appliance.storage.postgres.db import own

_SET_META = "INSERT INTO kb_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"


class PgIndexStore:
    """Stateless: one instance serves every PostgreSQL connection."""

    def mark_analysis_if_new_in(self, conn: Transaction, version: str) -> None:
        conn = own(conn)
        # A read first: a write naming kb_meta counts as a knowledge change for Database.watch.
        row = conn.sql(
            "SELECT EXISTS (SELECT 1 FROM kb_meta WHERE key = 'text_analysis') OR EXISTS (SELECT 1 FROM kb_fts)"
            " OR EXISTS (SELECT 1 FROM chunk_fts) AS known"
        ).fetchone()
        if not (row and row["known"]):
            self.set_analysis_version_in(conn, version)

    def set_analysis_version_in(self, conn: Transaction, version: str) -> None:
        conn = own(conn)
        conn.sql(_SET_META, ("text_analysis", version))

    def write_article_fts_in(
        self, conn: Transaction, article_id: str, rows: Sequence[tuple[str, str, str]], *, fresh: bool = False
    ) -> None:
        conn = own(conn)
        insert = (
            "INSERT INTO kb_fts (text, kind, ref, field, lang)"
            " SELECT t, 'article', %s, f, l FROM unnest(%s::text[], %s::text[], %s::text[]) AS u(t, f, l)",
            (article_id, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
        )
        if fresh:
            conn.sql(*insert)
            return
        conn.sql_pipeline([("DELETE FROM kb_fts WHERE kind = 'article' AND ref = %s", (article_id,)), insert])

    def ensure_chunk_vocab_in(self, conn: Transaction) -> None:
        """Nothing to create: term statistics come from ``ts_stat`` (``storage/postgres/search.py``)."""

    def cached_vectors(self, conn: Transaction, keys: Sequence[str]) -> dict[str, bytes]:
        conn = own(conn)
        if not keys:
            return {}
        rows = conn.sql("SELECT key, vector FROM embedding_cache WHERE key = ANY(%s)", (list(keys),)).fetchall()
        return {row["key"]: row["vector"] for row in rows}

    def cache_vectors_in(self, conn: Transaction, rows: Sequence[tuple[str, str, bytes, float]]) -> None:
        conn = own(conn)
        if rows:
            conn.sql(
                "INSERT INTO embedding_cache (key, space, vector, created_at)"
                " SELECT * FROM unnest(%s::text[], %s::text[], %s::bytea[], %s::float8[]) ON CONFLICT (key) DO NOTHING",
                tuple(list(column) for column in zip(*rows, strict=True)),
            )

    def ensure_space_in(
        self, conn: Transaction, dim: int, space: str, coarse_bits: int, codes: Callable[[list[bytes]], list[bytes]]
    ) -> None:
        conn = own(conn)
        meta = {
            r["key"]: r["value"]
            for r in conn.sql(
                "SELECT key, value FROM kb_meta WHERE key IN ('vector_dim', 'vector_space', 'vector_coarse')"
            )
        }
        wanted = {"vector_dim": str(dim), "vector_space": space, "vector_coarse": str(coarse_bits)}
        if meta == wanted:
            return
        # (no coarse index table here: the coarse search is each worker's in-memory VectorIndex; the
        # bookkeeping table the translator once made of SQLite's kb_vec is dropped by migration 0019)
        statements: list[tuple[str, Any]] = []
        if meta.get("vector_space") not in (None, space):
            statements.append(("DELETE FROM kb_vectors", None))  # vectors of another space are meaningless now
        statements += [(_SET_META, (key, value)) for key, value in wanted.items()]
        conn.sql_pipeline(statements)

    def delete_vectors_in(self, conn: Transaction, kind: str, refs: Sequence[str] | None = None) -> None:
        conn = own(conn)
        if refs is None:
            conn.sql("DELETE FROM kb_vectors WHERE kind = %s", (kind,))
        elif refs:
            conn.sql("DELETE FROM kb_vectors WHERE kind = %s AND ref = ANY(%s)", (kind, list(refs)))

    def write_vectors_in(self, conn: Transaction, rows: Sequence[VectorRow]) -> None:
        conn = own(conn)
        if rows:
            conn.sql(
                "INSERT INTO kb_vectors (kind, ref, field, lang, text, vector)"
                " SELECT k, r, f, l, t, v FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
                " %s::bytea[]) WITH ORDINALITY AS u(k, r, f, l, t, v, n) ORDER BY n",
                (
                    [r.kind for r in rows],
                    [r.ref for r in rows],
                    [r.field for r in rows],
                    [r.lang for r in rows],
                    [r.text for r in rows],
                    [r.vector for r in rows],
                ),
            )
