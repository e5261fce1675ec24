-- Switching from the original NURA (issue 24): topic-tree actions and the import ledger.

-- A topic-tree node may start an action instead of opening children or an article: 'agent'
-- (hand the chat to a person) or 'complaint' (the suggestion/complaint form). The original
-- NURA's topic_tree.json has such nodes; its widget shows them as buttons.
ALTER TABLE topic_nodes ADD COLUMN action TEXT;

-- One row per row of an original NURA database that `nura import-original` has dealt with, so a
-- second run skips it (nothing is imported twice) and the report can account for every row.
-- `target_table`/`target_key` name what it became; `outcome` is 'imported', 'merged' (folded
-- into another row, e.g. a hand-off marker into its session), 'archived' (no equivalent here:
-- the row is kept verbatim in `data`) or 'skipped' (with the reason in `data`).
CREATE TABLE original_import_rows (
    source_table TEXT NOT NULL,
    source_key TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('imported', 'merged', 'archived', 'skipped')),
    target_table TEXT,
    target_key TEXT,
    data TEXT,
    imported_at REAL NOT NULL,
    PRIMARY KEY (source_table, source_key)
);
CREATE INDEX original_import_rows_outcome ON original_import_rows (source_table, outcome);
