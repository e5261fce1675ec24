-- PostgreSQL translation of the SQLite migration of the same name (types: REAL -> double
-- precision, INTEGER -> bigint, INTEGER PRIMARY KEY -> identity, BLOB -> bytea, NOCASE -> citext).
-- Operations: the Telegram channel's chat → session map, processed updates and poller state.

-- One row per Telegram chat: the session it continues (with that session's token, which the
-- channel presents like any other client) and how far agent replies have been delivered.
CREATE TABLE telegram_chats (
    chat_id TEXT PRIMARY KEY,
    session_id TEXT,
    session_token TEXT,
    lang TEXT,
    last_turn_id bigint NOT NULL DEFAULT 0,
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL
);
CREATE INDEX telegram_chats_session ON telegram_chats (session_id);

-- Update ids already handled, so a redelivered update (webhook retry, poller restart before
-- its offset was saved) is answered once.
CREATE TABLE telegram_updates (
    update_id bigint PRIMARY KEY,
    received_at double precision NOT NULL
);

CREATE TABLE telegram_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
