-- Analytics and jobs: outbox leases and per-handler progress, daily aggregates, the webhook
-- delivery log, and indexes the reports need.

-- Outbox: a claimed row carries a lease that its worker keeps extending; a row whose lease
-- expired belonged to a worker that died and is dispatched again. `handlers_done` lists the
-- handlers of a kind that already succeeded, so a retry does not repeat their side effects.
ALTER TABLE outbox ADD COLUMN dispatched_at REAL;
ALTER TABLE outbox ADD COLUMN lease_until REAL;
ALTER TABLE outbox ADD COLUMN handlers_done TEXT NOT NULL DEFAULT '[]';
CREATE INDEX analytics_outbox_lease ON outbox (status, lease_until);

-- Additive daily counters per metric, channel, language and key (one row per group).
CREATE TABLE analytics_daily (
    day TEXT NOT NULL,
    metric TEXT NOT NULL,
    channel TEXT NOT NULL,
    lang TEXT NOT NULL,
    key TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (day, metric, channel, lang, key)
) WITHOUT ROWID;
CREATE INDEX analytics_daily_metric ON analytics_daily (metric, day);

-- Days whose counters are in analytics_daily, and when they were computed.
CREATE TABLE analytics_days (
    day TEXT PRIMARY KEY,
    computed_at REAL NOT NULL
);

-- Small key/value state: refresh watermark, feedback scan position.
CREATE TABLE analytics_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    delivery_id TEXT NOT NULL,
    url TEXT NOT NULL,
    event TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status_code INTEGER,
    ok INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    duration_ms REAL,
    created_at REAL NOT NULL
);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
CREATE INDEX webhook_deliveries_delivery ON webhook_deliveries (delivery_id);

-- Sessions changed since the last aggregate refresh make their day "dirty" (read raw).
CREATE INDEX analytics_sessions_updated ON sessions (updated_at);
CREATE INDEX analytics_logs_bot_turn ON conversation_logs (bot_turn_id);
CREATE INDEX analytics_gaps_group ON knowledge_gaps (group_key, status);
CREATE INDEX analytics_gaps_message ON knowledge_gaps (message_id);
CREATE INDEX analytics_insights_session ON message_insights (session_id);
CREATE INDEX analytics_outcomes_session ON session_outcomes (session_id);
CREATE INDEX analytics_usage_session ON llm_usage_logs (session_id);
