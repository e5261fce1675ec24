-- PostgreSQL translation of the SQLite migration of the same name (types: REAL -> double
-- precision, INTEGER -> bigint).
-- Issue 20: files in conversations (attachments) and who the customer is (session_identities).
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    turn_id bigint REFERENCES chat_turns (id) ON DELETE SET NULL,
    uploader_role TEXT NOT NULL CHECK (uploader_role IN ('customer', 'agent')),
    uploader TEXT,
    channel TEXT NOT NULL DEFAULT 'web',
    kind TEXT NOT NULL CHECK (kind IN ('jpeg', 'png', 'webp', 'pdf')),
    content_type TEXT NOT NULL,
    stored_name TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    size bigint NOT NULL,
    width bigint,
    height bigint,
    sha256 TEXT NOT NULL,
    created_at double precision NOT NULL
);
CREATE INDEX attachments_session ON attachments (session_id, created_at);
CREATE INDEX attachments_created ON attachments (created_at);

CREATE TABLE session_identities (
    session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    customer_id TEXT,
    verified bigint NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
    name TEXT,
    phone TEXT,
    email TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    updated_at double precision NOT NULL
);
CREATE INDEX session_identities_customer ON session_identities (customer_id, verified);
