-- Core schema: sessions and their transcript, every log the original NURA kept, users,
-- audit, canned replies, the jobs outbox and the knowledge tables.
-- Timestamps are UNIX epoch seconds (REAL), so durations are plain subtraction.

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    customer_id TEXT,
    channel TEXT NOT NULL DEFAULT 'web',
    lang TEXT NOT NULL DEFAULT 'ar',
    status TEXT NOT NULL DEFAULT 'bot'
        CHECK (status IN ('bot', 'pending_handoff', 'human_active', 'resolved', 'closed')),
    handoff_reason TEXT,
    handoff_at REAL,
    accepted_at REAL,
    assigned_agent TEXT,
    resolved_at REAL,
    closed_at REAL,
    low_confidence_streak INTEGER NOT NULL DEFAULT 0,
    negative_count INTEGER NOT NULL DEFAULT 0,
    message_count INTEGER NOT NULL DEFAULT 0,
    rating INTEGER,
    meta TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX sessions_status ON sessions (status, updated_at);
CREATE INDEX sessions_customer ON sessions (customer_id);
CREATE INDEX sessions_created ON sessions (created_at);

CREATE TABLE chat_turns (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('customer', 'bot', 'agent', 'system')),
    text TEXT NOT NULL,
    source TEXT,
    confidence REAL,
    article_id TEXT,
    sources TEXT,
    sender_name TEXT,
    meta TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE INDEX chat_turns_session ON chat_turns (session_id, id);

CREATE TABLE conversation_logs (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    customer_id TEXT,
    channel TEXT,
    lang TEXT,
    customer_message TEXT NOT NULL,
    response TEXT,
    source TEXT,
    confidence REAL,
    escalated INTEGER NOT NULL DEFAULT 0,
    article_id TEXT,
    customer_turn_id INTEGER,
    bot_turn_id INTEGER,
    latency_ms REAL,
    created_at REAL NOT NULL
);
CREATE INDEX conversation_logs_created ON conversation_logs (created_at);
CREATE INDEX conversation_logs_session ON conversation_logs (session_id);

CREATE TABLE tree_clicks (
    id INTEGER PRIMARY KEY,
    session_id TEXT,
    customer_id TEXT,
    topic_id TEXT,
    article_id TEXT,
    label TEXT,
    lang TEXT,
    channel TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX tree_clicks_created ON tree_clicks (created_at);

CREATE TABLE widget_events (
    id INTEGER PRIMARY KEY,
    session_id TEXT,
    customer_id TEXT,
    event_type TEXT NOT NULL,
    label TEXT,
    meta TEXT,
    topic_id TEXT,
    article_id TEXT,
    lang TEXT,
    channel TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX widget_events_created ON widget_events (created_at, event_type);

CREATE TABLE message_feedback (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    message_id INTEGER,
    value TEXT NOT NULL CHECK (value IN ('up', 'down')),
    comment TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX message_feedback_created ON message_feedback (created_at);

CREATE TABLE message_insights (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    message_id INTEGER,
    intent TEXT,
    sentiment TEXT,
    confidence_bucket TEXT,
    knowledge_gap INTEGER NOT NULL DEFAULT 0,
    classifier TEXT,
    lang TEXT,
    created_at REAL NOT NULL,
    UNIQUE (message_id)
);
CREATE INDEX message_insights_created ON message_insights (created_at);

CREATE TABLE knowledge_gaps (
    id INTEGER PRIMARY KEY,
    question TEXT NOT NULL,
    normalized TEXT NOT NULL,
    lang TEXT,
    reason TEXT NOT NULL,
    session_id TEXT,
    message_id INTEGER,
    group_key TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected', 'resolved')),
    answer TEXT,
    article_id TEXT,
    reviewed_by TEXT,
    reviewed_at REAL,
    created_at REAL NOT NULL
);
CREATE INDEX knowledge_gaps_status ON knowledge_gaps (status, created_at);

CREATE TABLE session_outcomes (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    status TEXT NOT NULL,
    issue_category TEXT,
    root_cause TEXT,
    resolution_notes TEXT,
    resolved_by TEXT,
    handoff_reason TEXT,
    handoff_at REAL,
    accepted_at REAL,
    resolved_at REAL NOT NULL,
    time_to_accept_s REAL,
    time_to_resolve_s REAL,
    channel TEXT,
    lang TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX session_outcomes_created ON session_outcomes (created_at);

CREATE TABLE llm_usage_logs (
    id INTEGER PRIMARY KEY,
    session_id TEXT,
    message_id INTEGER,
    provider TEXT NOT NULL,
    model TEXT,
    purpose TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    total_tokens INTEGER NOT NULL DEFAULT 0,
    latency_ms REAL,
    cost_usd REAL NOT NULL DEFAULT 0,
    ok INTEGER NOT NULL DEFAULT 1,
    error TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX llm_usage_logs_created ON llm_usage_logs (created_at);

CREATE TABLE security_logs (
    id INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    ip TEXT,
    username TEXT,
    path TEXT,
    detail TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX security_logs_created ON security_logs (created_at);

CREATE TABLE ingestion_logs (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    files INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    chunks INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    detail TEXT,
    started_at REAL NOT NULL,
    finished_at REAL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'viewer')),
    display_name TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    token_version INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_login_at REAL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);

CREATE TABLE canned_replies (
    id TEXT PRIMARY KEY,
    lang TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    done_at REAL
);
CREATE INDEX outbox_pending ON outbox (status, next_attempt_at);

-- Knowledge ----------------------------------------------------------------------------------
CREATE TABLE kb_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    category TEXT,
    title TEXT NOT NULL DEFAULT '{}',
    body TEXT NOT NULL DEFAULT '{}',
    examples TEXT NOT NULL DEFAULT '{}',
    keywords TEXT NOT NULL DEFAULT '[]',
    updated_at REAL NOT NULL
);

CREATE TABLE topic_nodes (
    id TEXT PRIMARY KEY,
    parent_id TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    label TEXT NOT NULL DEFAULT '{}',
    article_id TEXT
);
CREATE INDEX topic_nodes_parent ON topic_nodes (parent_id, position);

CREATE TABLE rules (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL DEFAULT 0,
    patterns TEXT NOT NULL DEFAULT '{}',
    response TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE handbook_docs (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    title TEXT,
    content_hash TEXT NOT NULL,
    chunks INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);

CREATE TABLE handbook_chunks (
    id INTEGER PRIMARY KEY,
    doc_id INTEGER NOT NULL REFERENCES handbook_docs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    heading TEXT,
    text TEXT NOT NULL,
    lang TEXT,
    content_hash TEXT NOT NULL
);
CREATE INDEX handbook_chunks_doc ON handbook_chunks (doc_id, position);

-- Lexical index over normalised text of articles (every field, every language) and handbook
-- chunks. `kind` is 'article' or 'chunk'; `ref` the article id or the chunk id.
CREATE VIRTUAL TABLE kb_fts USING fts5 (
    text,
    kind UNINDEXED,
    ref UNINDEXED,
    field UNINDEXED,
    lang UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
