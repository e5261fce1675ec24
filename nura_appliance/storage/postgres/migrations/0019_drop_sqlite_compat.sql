-- PostgreSQL only (no SQLite migration of this name: nothing to drop there).
-- Issue 22: every store speaks native PostgreSQL and the SQLite-to-PostgreSQL translator is gone,
-- so the SQLite look-alikes that 0001_core and 0003_retrieval created for translated statements
-- have no caller left. Dropped here rather than removed from those files, so that an existing
-- database and a fresh one end with the same schema. Nothing in storage/postgres/ uses any of them
-- (the native stores use jsonb, to_char, strpos, string_agg, FILTER, information_schema and
-- ts_stat directly); the citext extension stays (column types use it).

DROP AGGREGATE IF EXISTS sum(boolean);
DROP AGGREGATE IF EXISTS group_concat(text);
DROP AGGREGATE IF EXISTS group_concat(text, text);
DROP FUNCTION IF EXISTS _nura_bool_sum(bigint, boolean);
DROP FUNCTION IF EXISTS _nura_concat1(text, text);
DROP FUNCTION IF EXISTS _nura_concat(text, text, text);

DROP FUNCTION IF EXISTS json_extract(text, text);
DROP FUNCTION IF EXISTS json_each(text);
DROP FUNCTION IF EXISTS ifnull(anyelement, anyelement);
DROP FUNCTION IF EXISTS instr(text, text);
DROP FUNCTION IF EXISTS strftime(text, text);
DROP FUNCTION IF EXISTS strftime(text, double precision, text);
DROP FUNCTION IF EXISTS date(double precision, text);
DROP FUNCTION IF EXISTS datetime(double precision, text);
DROP FUNCTION IF EXISTS nura_blank(boolean);
DROP FUNCTION IF EXISTS nura_blank(text);
DROP FUNCTION IF EXISTS nura_blank(bigint);
DROP FUNCTION IF EXISTS nura_blank(double precision);

DROP VIEW IF EXISTS sqlite_master;
DROP VIEW IF EXISTS kb_fts_vocab;

-- sqlite-vec's quantiser as the identity, and the plain bookkeeping table the translator made of
-- sqlite-vec's coarse index (CREATE VIRTUAL TABLE kb_vec USING vec0): the coarse vector search
-- runs on each worker's in-memory index (storage/postgres/search.py), nothing reads either.
DROP FUNCTION IF EXISTS vec_quantize_binary(bytea);
DROP TABLE IF EXISTS kb_vec;
