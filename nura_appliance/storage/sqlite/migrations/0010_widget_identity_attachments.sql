-- Issue 20: files in conversations and who the customer is.
--
-- attachments: photos and PDFs that customers (widget, Telegram) and agents attach to a
-- conversation. The file lives under DATA_DIR/uploads/attachments/<stored_name> (a random name);
-- the row is written in the same transaction as the transcript turn that shows it (turn_id), and
-- goes with its session (ON DELETE CASCADE; the retention sweep removes the file).
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    turn_id INTEGER REFERENCES chat_turns (id) ON DELETE SET NULL,
    uploader_role TEXT NOT NULL CHECK (uploader_role IN ('customer', 'agent')),
    uploader TEXT,
    channel TEXT NOT NULL DEFAULT 'web',
    kind TEXT NOT NULL CHECK (kind IN ('jpeg', 'png', 'webp', 'pdf')),
    content_type TEXT NOT NULL,
    stored_name TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    sha256 TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX attachments_session ON attachments (session_id, created_at);
CREATE INDEX attachments_created ON attachments (created_at);

-- session_identities: the customer identity the host site gave the widget for a session
-- (data-customer-* attributes or NuraWidget.setUser). `verified` = the customer id carried a valid
-- HMAC signature (CUSTOMER_HMAC_SECRET); only verified ids link sessions across devices.
CREATE TABLE session_identities (
    session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    customer_id TEXT,
    verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
    name TEXT,
    phone TEXT,
    email TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    updated_at REAL NOT NULL
);
CREATE INDEX session_identities_customer ON session_identities (customer_id, verified);
