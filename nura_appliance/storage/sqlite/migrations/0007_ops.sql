-- Operations: the Telegram channel's chat → session map, processed updates and poller state.

-- One row per Telegram chat: the session it continues (with that session's token, which the
-- channel presents like any other client) and how far agent replies have been delivered.
CREATE TABLE telegram_chats (
    chat_id TEXT PRIMARY KEY,
    session_id TEXT,
    session_token TEXT,
    lang TEXT,
    last_turn_id INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX telegram_chats_session ON telegram_chats (session_id);

-- Update ids already handled, so a redelivered update (webhook retry, poller restart before
-- its offset was saved) is answered once.
CREATE TABLE telegram_updates (
    update_id INTEGER PRIMARY KEY,
    received_at REAL NOT NULL
);

CREATE TABLE telegram_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
