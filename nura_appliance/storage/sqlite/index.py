"""The retrieval index's rows on SQLite (see :class:`~nura_appliance.storage.base.IndexStore`):
FTS5 rows of articles, ``kb_vectors`` with the sqlite-vec ``vec0`` table ``kb_vec`` of their
binary-quantised codes (rowid = ``kb_vectors.id``), the embedding cache, the text-analysis
version in ``kb_meta``. Every method runs on the connection it is handed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nura_appliance.storage.base import Transaction, VectorRow
from nura_appliance.storage.sqlite.db import Connection, own

_SET_META = "INSERT INTO kb_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
_ADD_CODE = "INSERT INTO kb_vec (rowid, kind, embedding) VALUES (?, ?, vec_quantize_binary(?))"
_CACHE_LOOKUP = 500  # keys per lookup (SQLite's parameter limit is far above; the statement stays small)


def _has_coarse_table(conn: Connection) -> bool:
    return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'kb_vec'").fetchall())


class SqliteIndexStore:
    """Stateless: one instance serves every SQLite connection."""

    def mark_analysis_if_new_in(self, conn: Transaction, version: str) -> None:
        conn = own(conn)
        if conn.execute("SELECT 1 FROM kb_meta WHERE key = 'text_analysis'").fetchall():
            return
        if (
            conn.execute("SELECT 1 FROM kb_fts LIMIT 1").fetchall()
            or conn.execute("SELECT 1 FROM chunk_fts LIMIT 1").fetchall()
        ):
            return
        self.set_analysis_version_in(conn, version)

    def set_analysis_version_in(self, conn: Transaction, version: str) -> None:
        conn = own(conn)
        conn.execute(_SET_META, ("text_analysis", version))

    def write_article_fts_in(
        self, conn: Transaction, article_id: str, rows: Sequence[tuple[str, str, str]], *, fresh: bool = False
    ) -> None:
        conn = own(conn)
        if not fresh:
            conn.execute("DELETE FROM kb_fts WHERE kind = 'article' AND ref = ?", (article_id,))
        conn.executemany(
            "INSERT INTO kb_fts (text, kind, ref, field, lang) VALUES (?, 'article', ?, ?, ?)",
            [(text, article_id, field, lang) for text, field, lang in rows],
        )

    def ensure_chunk_vocab_in(self, conn: Transaction) -> None:
        conn = own(conn)
        # Created here rather than in a migration so that databases migrated before it get it too.
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts_vocab USING fts5vocab (chunk_fts, 'row')")

    def cached_vectors(self, conn: Transaction, keys: Sequence[str]) -> dict[str, bytes]:
        conn = own(conn)
        found: dict[str, bytes] = {}
        for start in range(0, len(keys), _CACHE_LOOKUP):
            part = list(keys[start : start + _CACHE_LOOKUP])
            marks = ",".join("?" * len(part))
            for row in conn.execute(f"SELECT key, vector FROM embedding_cache WHERE key IN ({marks})", part):
                found[row["key"]] = row["vector"]
        return found

    def cache_vectors_in(self, conn: Transaction, rows: Sequence[tuple[str, str, bytes, float]]) -> None:
        conn = own(conn)
        if rows:
            conn.executemany(
                "INSERT OR IGNORE INTO embedding_cache (key, space, vector, created_at) VALUES (?,?,?,?)", rows
            )

    def ensure_space_in(
        self, conn: Transaction, dim: int, space: str, coarse_bits: int, codes: Callable[[list[bytes]], list[bytes]]
    ) -> None:
        conn = own(conn)
        meta = {
            r["key"]: r["value"]
            for r in conn.execute(
                "SELECT key, value FROM kb_meta WHERE key IN ('vector_dim', 'vector_space', 'vector_coarse')"
            )
        }
        exists = _has_coarse_table(conn)
        if (
            exists
            and meta.get("vector_dim") == str(dim)
            and meta.get("vector_space") == space
            and meta.get("vector_coarse") == str(coarse_bits)
        ):
            return
        if exists:
            conn.execute("DROP TABLE kb_vec")
        if meta.get("vector_space") not in (None, space):
            conn.execute("DELETE FROM kb_vectors")  # vectors of another space are meaningless now
        # Binary quantisation (SimHash): one bit per coarse dimension, Hamming distance. 50k × 1024
        # bits is 6.4 MB, scanned in a few milliseconds; the candidates are re-scored in float32.
        conn.execute(f"CREATE VIRTUAL TABLE kb_vec USING vec0 (kind text, embedding bit[{int(coarse_bits)}])")
        rows = list(conn.execute("SELECT id, kind, vector FROM kb_vectors WHERE length(vector) = ?", (dim * 4,)))
        if rows:
            conn.executemany(
                _ADD_CODE,
                [
                    (row["id"], row["kind"], code)
                    for row, code in zip(rows, codes([row["vector"] for row in rows]), strict=True)
                ],
            )
        for key, value in (("vector_dim", str(dim)), ("vector_space", space), ("vector_coarse", str(coarse_bits))):
            conn.execute(_SET_META, (key, value))

    def delete_vectors_in(self, conn: Transaction, kind: str, refs: Sequence[str] | None = None) -> None:
        conn = own(conn)
        has_vec = _has_coarse_table(conn)
        if refs is None:
            if has_vec:
                conn.execute("DELETE FROM kb_vec WHERE rowid IN (SELECT id FROM kb_vectors WHERE kind = ?)", (kind,))
            conn.execute("DELETE FROM kb_vectors WHERE kind = ?", (kind,))
            return
        for ref in refs:
            if has_vec:
                conn.execute(
                    "DELETE FROM kb_vec WHERE rowid IN (SELECT id FROM kb_vectors WHERE kind = ? AND ref = ?)",
                    (kind, ref),
                )
            conn.execute("DELETE FROM kb_vectors WHERE kind = ? AND ref = ?", (kind, ref))

    def write_vectors_in(self, conn: Transaction, rows: Sequence[VectorRow]) -> None:
        conn = own(conn)
        for row in rows:
            conn.execute(
                "INSERT INTO kb_vectors (kind, ref, field, lang, text, vector) VALUES (?,?,?,?,?,?)",
                (row.kind, row.ref, row.field, row.lang, row.text, row.vector),
            )
            conn.execute(_ADD_CODE, (conn.last_insert_rowid(), row.kind, row.code))
