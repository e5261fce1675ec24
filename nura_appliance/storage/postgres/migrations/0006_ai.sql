-- PostgreSQL translation of the SQLite migration of the same name (types: REAL -> double
-- precision, INTEGER -> bigint, INTEGER PRIMARY KEY -> identity, BLOB -> bytea, NOCASE -> citext).
-- AI: the persisted AI switch and ledger indexes for cost per session / per message reports.

-- Small key/value state of the AI feature (the admin's AI switch survives restarts here).
CREATE TABLE ai_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_by TEXT,
    updated_at double precision NOT NULL
);

-- What became of a call's output: answered, rejected:<guard reason>, declined, failed.
ALTER TABLE llm_usage_logs ADD COLUMN outcome TEXT;
CREATE INDEX llm_usage_logs_session ON llm_usage_logs (session_id, created_at);
CREATE INDEX llm_usage_logs_message ON llm_usage_logs (message_id);
