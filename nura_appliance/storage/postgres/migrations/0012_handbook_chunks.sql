-- Handbook chunks (issue 17): the unit a chunk is ('text' or a table 'row'), a row's label, the
-- document's language. Same meaning as the SQLite migration of the same number.
ALTER TABLE handbook_chunks ADD COLUMN unit TEXT NOT NULL DEFAULT 'text';
ALTER TABLE handbook_chunks ADD COLUMN label TEXT;
ALTER TABLE handbook_docs ADD COLUMN lang TEXT;

-- A chunk's FTS row has the chunk's id as its rowid from now on (new rows are written with it);
-- rows written before are renumbered (negated first, so no two rows share an id on the way).
UPDATE chunk_fts SET rowid = -rowid;
UPDATE chunk_fts SET rowid = CAST(ref AS bigint) WHERE ref ~ '^[0-9]+$';
