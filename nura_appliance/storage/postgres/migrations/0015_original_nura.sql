-- PostgreSQL translation of the SQLite migration of the same name (types: REAL -> double
-- precision).
-- Switching from the original NURA (issue 24): topic-tree actions and the import ledger.

-- A topic-tree node may start an action instead of opening children or an article: 'agent'
-- or 'complaint' (see the SQLite migration).
ALTER TABLE topic_nodes ADD COLUMN action TEXT;

-- One row per row of an original NURA database that `nura import-original` has dealt with.
CREATE TABLE original_import_rows (
    source_table TEXT NOT NULL,
    source_key TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('imported', 'merged', 'archived', 'skipped')),
    target_table TEXT,
    target_key TEXT,
    data TEXT,
    imported_at double precision NOT NULL,
    PRIMARY KEY (source_table, source_key)
);
CREATE INDEX original_import_rows_outcome ON original_import_rows (source_table, outcome);
