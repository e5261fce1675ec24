-- PostgreSQL translation of the SQLite migration of the same name (types: REAL -> double
-- precision, INTEGER -> bigint, INTEGER PRIMARY KEY -> identity, BLOB -> bytea, NOCASE -> citext).
-- Core schema: sessions and their transcript, every log the original NURA kept, users,
-- audit, canned replies, the jobs outbox and the knowledge tables.
-- Timestamps are UNIX epoch seconds (double precision), so durations are plain subtraction.

-- SQLite compatibility: feature code writes SQLite SQL; these functions, aggregates and views
-- give PostgreSQL the few SQLite built-ins it uses, so the code runs unchanged.
CREATE EXTENSION IF NOT EXISTS citext;

CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT (doc::jsonb) #>> string_to_array(regexp_replace(path, '^\$\.?', ''), '.')
$$;
CREATE OR REPLACE FUNCTION json_each(doc text) RETURNS TABLE (key text, value text)
    LANGUAGE sql IMMUTABLE AS $$
    SELECT NULL::text, v FROM jsonb_array_elements_text(doc::jsonb) AS v
    WHERE jsonb_typeof(doc::jsonb) = 'array'
    UNION ALL
    SELECT k, v FROM jsonb_each_text(doc::jsonb) AS e(k, v) WHERE jsonb_typeof(doc::jsonb) = 'object'
$$;
CREATE OR REPLACE FUNCTION ifnull(a anyelement, b anyelement) RETURNS anyelement
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(a, b) $$;
CREATE OR REPLACE FUNCTION instr(haystack text, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$ SELECT strpos(haystack, needle) $$;
CREATE OR REPLACE FUNCTION strftime(fmt text, t text) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN fmt = '%s' AND t = 'now' THEN floor(extract(epoch FROM clock_timestamp()))::bigint::text
                ELSE to_char(CASE WHEN t = 'now' THEN now() ELSE t::timestamptz END AT TIME ZONE 'UTC',
                             replace(replace(replace(replace(replace(replace(fmt, '%Y', 'YYYY'), '%m', 'MM'),
                                     '%d', 'DD'), '%H', 'HH24'), '%M', 'MI'), '%S', 'SS')) END
$$;
CREATE OR REPLACE FUNCTION strftime(fmt text, t double precision, modifier text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(to_timestamp(t) AT TIME ZONE 'UTC',
                   replace(replace(replace(replace(replace(replace(fmt, '%Y', 'YYYY'), '%m', 'MM'),
                           '%d', 'DD'), '%H', 'HH24'), '%M', 'MI'), '%S', 'SS'))
$$;
CREATE OR REPLACE FUNCTION date(t double precision, modifier text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(to_timestamp(t) AT TIME ZONE 'UTC', 'YYYY-MM-DD') $$;
CREATE OR REPLACE FUNCTION datetime(t double precision, modifier text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(to_timestamp(t) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') $$;
-- coalesce(x, '') as SQLite evaluates it, per type (the adapter rewrites it to nura_blank(x)).
CREATE OR REPLACE FUNCTION nura_blank(v boolean) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(v::integer, 0) $$;
CREATE OR REPLACE FUNCTION nura_blank(v text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(v, '') $$;
CREATE OR REPLACE FUNCTION nura_blank(v bigint) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(v::text, '') $$;
CREATE OR REPLACE FUNCTION nura_blank(v double precision) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(v::text, '') $$;
CREATE OR REPLACE FUNCTION _nura_bool_sum(acc bigint, v boolean) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT acc + CASE WHEN v THEN 1 ELSE 0 END $$;
CREATE AGGREGATE sum(boolean) (SFUNC = _nura_bool_sum, STYPE = bigint, INITCOND = '0');
CREATE OR REPLACE FUNCTION _nura_concat(acc text, v text, sep text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v ELSE acc || sep || v END $$;
CREATE OR REPLACE FUNCTION _nura_concat1(acc text, v text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT _nura_concat(acc, v, ',') $$;
CREATE AGGREGATE group_concat(text) (SFUNC = _nura_concat1, STYPE = text);
CREATE AGGREGATE group_concat(text, text) (SFUNC = _nura_concat, STYPE = text);
-- "Does table X exist?" checks read sqlite_master.
CREATE OR REPLACE VIEW sqlite_master AS
    SELECT table_name::text AS name, table_name::text AS tbl_name, 'table'::text AS type
    FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE';

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    customer_id TEXT,
    channel TEXT NOT NULL DEFAULT 'web',
    lang TEXT NOT NULL DEFAULT 'ar',
    status TEXT NOT NULL DEFAULT 'bot'
        CHECK (status IN ('bot', 'pending_handoff', 'human_active', 'resolved', 'closed')),
    handoff_reason TEXT,
    handoff_at double precision,
    accepted_at double precision,
    assigned_agent TEXT,
    resolved_at double precision,
    closed_at double precision,
    low_confidence_streak bigint NOT NULL DEFAULT 0,
    negative_count bigint NOT NULL DEFAULT 0,
    message_count bigint NOT NULL DEFAULT 0,
    rating bigint,
    meta TEXT NOT NULL DEFAULT '{}',
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL
);
CREATE INDEX sessions_status ON sessions (status, updated_at);
CREATE INDEX sessions_customer ON sessions (customer_id);
CREATE INDEX sessions_created ON sessions (created_at);

CREATE TABLE chat_turns (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('customer', 'bot', 'agent', 'system')),
    text TEXT NOT NULL,
    source TEXT,
    confidence double precision,
    article_id TEXT,
    sources TEXT,
    sender_name TEXT,
    meta TEXT NOT NULL DEFAULT '{}',
    created_at double precision NOT NULL
);
CREATE INDEX chat_turns_session ON chat_turns (session_id, id);

CREATE TABLE conversation_logs (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    session_id TEXT NOT NULL,
    customer_id TEXT,
    channel TEXT,
    lang TEXT,
    customer_message TEXT NOT NULL,
    response TEXT,
    source TEXT,
    confidence double precision,
    escalated bigint NOT NULL DEFAULT 0,
    article_id TEXT,
    customer_turn_id bigint,
    bot_turn_id bigint,
    latency_ms double precision,
    created_at double precision NOT NULL
);
CREATE INDEX conversation_logs_created ON conversation_logs (created_at);
CREATE INDEX conversation_logs_session ON conversation_logs (session_id);

CREATE TABLE tree_clicks (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    session_id TEXT,
    customer_id TEXT,
    topic_id TEXT,
    article_id TEXT,
    label TEXT,
    lang TEXT,
    channel TEXT,
    created_at double precision NOT NULL
);
CREATE INDEX tree_clicks_created ON tree_clicks (created_at);

CREATE TABLE widget_events (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    session_id TEXT,
    customer_id TEXT,
    event_type TEXT NOT NULL,
    label TEXT,
    meta TEXT,
    topic_id TEXT,
    article_id TEXT,
    lang TEXT,
    channel TEXT,
    created_at double precision NOT NULL
);
CREATE INDEX widget_events_created ON widget_events (created_at, event_type);

CREATE TABLE message_feedback (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    session_id TEXT NOT NULL,
    message_id bigint,
    value TEXT NOT NULL CHECK (value IN ('up', 'down')),
    comment TEXT,
    created_at double precision NOT NULL
);
CREATE INDEX message_feedback_created ON message_feedback (created_at);

CREATE TABLE message_insights (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    session_id TEXT NOT NULL,
    message_id bigint,
    intent TEXT,
    sentiment TEXT,
    confidence_bucket TEXT,
    knowledge_gap bigint NOT NULL DEFAULT 0,
    classifier TEXT,
    lang TEXT,
    created_at double precision NOT NULL,
    UNIQUE (message_id)
);
CREATE INDEX message_insights_created ON message_insights (created_at);

CREATE TABLE knowledge_gaps (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    question TEXT NOT NULL,
    normalized TEXT NOT NULL,
    lang TEXT,
    reason TEXT NOT NULL,
    session_id TEXT,
    message_id bigint,
    group_key TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected', 'resolved')),
    answer TEXT,
    article_id TEXT,
    reviewed_by TEXT,
    reviewed_at double precision,
    created_at double precision NOT NULL
);
CREATE INDEX knowledge_gaps_status ON knowledge_gaps (status, created_at);

CREATE TABLE session_outcomes (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    session_id TEXT NOT NULL,
    status TEXT NOT NULL,
    issue_category TEXT,
    root_cause TEXT,
    resolution_notes TEXT,
    resolved_by TEXT,
    handoff_reason TEXT,
    handoff_at double precision,
    accepted_at double precision,
    resolved_at double precision NOT NULL,
    time_to_accept_s double precision,
    time_to_resolve_s double precision,
    channel TEXT,
    lang TEXT,
    created_at double precision NOT NULL
);
CREATE INDEX session_outcomes_created ON session_outcomes (created_at);

CREATE TABLE llm_usage_logs (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    session_id TEXT,
    message_id bigint,
    provider TEXT NOT NULL,
    model TEXT,
    purpose TEXT NOT NULL,
    prompt_tokens bigint NOT NULL DEFAULT 0,
    completion_tokens bigint NOT NULL DEFAULT 0,
    total_tokens bigint NOT NULL DEFAULT 0,
    latency_ms double precision,
    cost_usd double precision NOT NULL DEFAULT 0,
    ok bigint NOT NULL DEFAULT 1,
    error TEXT,
    created_at double precision NOT NULL
);
CREATE INDEX llm_usage_logs_created ON llm_usage_logs (created_at);

CREATE TABLE security_logs (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    event TEXT NOT NULL,
    ip TEXT,
    username TEXT,
    path TEXT,
    detail TEXT,
    created_at double precision NOT NULL
);
CREATE INDEX security_logs_created ON security_logs (created_at);

CREATE TABLE ingestion_logs (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    files bigint NOT NULL DEFAULT 0,
    skipped bigint NOT NULL DEFAULT 0,
    chunks bigint NOT NULL DEFAULT 0,
    error TEXT,
    detail TEXT,
    started_at double precision NOT NULL,
    finished_at double precision
);

CREATE TABLE users (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    username citext NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'viewer')),
    display_name TEXT,
    active bigint NOT NULL DEFAULT 1,
    token_version bigint NOT NULL DEFAULT 0,
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL,
    last_login_at double precision
);

CREATE TABLE audit_log (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT,
    created_at double precision NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);

CREATE TABLE canned_replies (
    id TEXT PRIMARY KEY,
    lang TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL
);

CREATE TABLE outbox (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts bigint NOT NULL DEFAULT 0,
    max_attempts bigint NOT NULL DEFAULT 5,
    next_attempt_at double precision NOT NULL,
    last_error TEXT,
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL,
    done_at double precision
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
    updated_at double precision NOT NULL
);

CREATE TABLE topic_nodes (
    id TEXT PRIMARY KEY,
    parent_id TEXT,
    position bigint NOT NULL DEFAULT 0,
    label TEXT NOT NULL DEFAULT '{}',
    article_id TEXT
);
CREATE INDEX topic_nodes_parent ON topic_nodes (parent_id, position);

CREATE TABLE rules (
    id TEXT PRIMARY KEY,
    position bigint NOT NULL DEFAULT 0,
    patterns TEXT NOT NULL DEFAULT '{}',
    response TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE handbook_docs (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    title TEXT,
    content_hash TEXT NOT NULL,
    chunks bigint NOT NULL DEFAULT 0,
    updated_at double precision NOT NULL
);

CREATE TABLE handbook_chunks (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    doc_id bigint NOT NULL REFERENCES handbook_docs (id) ON DELETE CASCADE,
    position bigint NOT NULL,
    heading TEXT,
    text TEXT NOT NULL,
    lang TEXT,
    content_hash TEXT NOT NULL
);
CREATE INDEX handbook_chunks_doc ON handbook_chunks (doc_id, position);

-- Lexical index over normalised text of articles (every field, every language) and handbook
-- chunks. `kind` is 'article' or 'chunk'; `ref` the article id or the chunk id.
CREATE TABLE kb_fts (
    rowid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    text TEXT NOT NULL,
    kind TEXT,
    ref TEXT,
    field TEXT,
    lang TEXT,
    -- The text is already normalised by knowledge.normalize (same terms as the SQLite index);
    -- the 'simple' configuration only splits and lower-cases it, no stemming on top.
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED
);
CREATE INDEX kb_fts_tsv ON kb_fts USING gin (tsv);
CREATE INDEX kb_fts_ref ON kb_fts (kind, ref);
