-- Scheduled backups (#21). Every backup the appliance makes by itself (on BACKUP_SCHEDULE, or when
-- an admin presses "back up now") is one row here, from 'queued' to 'ok' or 'failed'; the System
-- page, /v1/health and /v1/metrics read the last ones. The scheduler's state is one row: the
-- schedule it follows, since when, and until when it has checked it, so that a run missed while no process was
-- up is found (and run once) at the next start, and a slot is queued once however many processes
-- check the schedule.
CREATE TABLE backup_runs (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    slot REAL,
    status TEXT NOT NULL,
    queued_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    archive TEXT,
    bytes INTEGER,
    files INTEGER,
    database TEXT,
    pruned INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    requested_by TEXT
);
CREATE INDEX backup_runs_status ON backup_runs (status, id);

CREATE TABLE backup_schedule_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schedule TEXT NOT NULL,
    since REAL NOT NULL,
    checked_until REAL NOT NULL
);
