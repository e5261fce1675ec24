-- Handbook chunks (issue 17).
--
-- `unit` says what a chunk is: 'text' (sentences, lists and tables of one section, packed to
-- about RAG_CHUNK_SIZE) or 'row' (one table row on its own, carrying its heading and the column
-- names, so "what does the Mars package cost" finds that row and answers with its values);
-- `label` is a row's label (its first cell). `handbook_docs.lang` is the language most of the
-- document is written in (the ingest report warns when the knowledge pack does not declare it).
ALTER TABLE handbook_chunks ADD COLUMN unit TEXT NOT NULL DEFAULT 'text';
ALTER TABLE handbook_chunks ADD COLUMN label TEXT;
ALTER TABLE handbook_docs ADD COLUMN lang TEXT;

-- A chunk's FTS row has the chunk's id as its rowid from now on, so the retriever reads the terms
-- of a chunk found by vector search with one rowid lookup (`ref` is UNINDEXED: a lookup by ref
-- scans the table). Rows written before get their chunk's id here.
CREATE TABLE chunk_fts_renumber AS SELECT CAST(ref AS INTEGER) AS id, text, ref FROM chunk_fts;
DELETE FROM chunk_fts;
INSERT INTO chunk_fts (rowid, text, ref) SELECT id, text, ref FROM chunk_fts_renumber WHERE id IS NOT NULL;
DROP TABLE chunk_fts_renumber;
