-- Retrieval (issue 4): vectors for articles and handbook chunks, the embedding cache, a lexical
-- index for handbook chunks of its own, and per-file ingestion state.
--
-- kb_vectors holds every indexed text with its full-precision float32 vector (used to re-score).
-- The coarse search table is a sqlite-vec vec0 table `kb_vec` (binary-quantised, rowid =
-- kb_vectors.id) created by the indexer for the dimension of the active embedding space,
-- because a vec0 column has a fixed dimension and switching provider changes it.
CREATE TABLE kb_vectors (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('article', 'chunk')),
    ref TEXT NOT NULL,
    field TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX kb_vectors_ref ON kb_vectors (kind, ref);

-- Vectors by content hash of (embedding space, text): re-indexing unchanged text is free.
CREATE TABLE embedding_cache (
    key TEXT PRIMARY KEY,
    space TEXT NOT NULL,
    vector BLOB NOT NULL,
    created_at REAL NOT NULL
);

-- Handbook chunks get their own FTS table so article matching never scans 50k chunk postings.
CREATE VIRTUAL TABLE chunk_fts USING fts5 (
    text,
    ref UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);

ALTER TABLE handbook_docs ADD COLUMN source_name TEXT;
ALTER TABLE handbook_docs ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;

-- The vocabulary of the article index: lets the matcher tell how much of a message the
-- knowledge base knows at all (a strong out-of-scope signal).
CREATE VIRTUAL TABLE kb_fts_vocab USING fts5vocab (kb_fts, 'row');
