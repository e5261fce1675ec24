-- Hand-off: suggestions and complaints, offline cases, per-agent capacity, the hand-off event
-- trail, and protection of hand-off state against stale whole-row session writes.

CREATE TABLE suggestions (
    id INTEGER PRIMARY KEY,
    session_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('suggestion', 'complaint', 'compliment')),
    text TEXT NOT NULL,
    contact TEXT,
    lang TEXT,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'reviewed', 'closed')),
    note TEXT,
    handled_by TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX suggestions_status ON suggestions (status, created_at);

-- Contact details left by a customer when no agent was available: the offline queue.
CREATE TABLE offline_requests (
    id INTEGER PRIMARY KEY,
    session_id TEXT,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    description TEXT NOT NULL,
    lang TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'contacted', 'closed')),
    note TEXT,
    handled_by TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX offline_requests_status ON offline_requests (status, created_at);

-- Per-agent override of AGENT_CAPACITY.
CREATE TABLE agent_capacity (
    agent TEXT PRIMARY KEY COLLATE NOCASE,
    capacity INTEGER NOT NULL CHECK (capacity >= 0),
    updated_at REAL NOT NULL
);

-- Every hand-off transition (started, accepted, transferred, released, resolved, stale_pending),
-- for the session viewer and for reports on transfers and waiting times.
CREATE TABLE handoff_events (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    action TEXT NOT NULL,
    agent TEXT,
    detail TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX handoff_events_session ON handoff_events (session_id, action, created_at);

ALTER TABLE session_outcomes ADD COLUMN assigned_agent TEXT;
CREATE INDEX session_outcomes_agent ON session_outcomes (assigned_agent, created_at);
CREATE INDEX sessions_agent ON sessions (assigned_agent, status);

-- Hand-off transitions (accept, transfer, release, resolve) are conditional UPDATEs that bump
-- handoff_version. Other writers save the whole session row from a copy they read earlier;
-- if that copy predates a hand-off transition it would silently undo it (e.g. a customer
-- message that was in flight while an agent accepted writes back status 'pending_handoff').
-- This trigger restores the hand-off columns when a write that did not bump the version
-- tries such a regression. Legitimate non-hand-off transitions (bot -> pending_handoff, and
-- resolved -> bot or -> a new hand-off with a newer handoff_at) pass untouched.
ALTER TABLE sessions ADD COLUMN handoff_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER sessions_keep_handoff_state AFTER UPDATE ON sessions
WHEN NEW.handoff_version = OLD.handoff_version AND (
    (OLD.status = 'human_active'
        AND (NEW.status IN ('bot', 'pending_handoff') OR NEW.assigned_agent IS NOT OLD.assigned_agent))
    OR (OLD.status = 'resolved' AND NEW.status IN ('pending_handoff', 'human_active')
        AND (NEW.handoff_at IS NULL OR NEW.handoff_at <= OLD.resolved_at))
)
BEGIN
    UPDATE sessions SET status = OLD.status, assigned_agent = OLD.assigned_agent,
        accepted_at = OLD.accepted_at, resolved_at = OLD.resolved_at,
        handoff_reason = OLD.handoff_reason, handoff_at = OLD.handoff_at
    WHERE id = NEW.id;
END;
