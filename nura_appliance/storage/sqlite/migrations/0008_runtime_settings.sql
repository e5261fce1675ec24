-- Settings an admin changed from the web admin (company and agent names, hand-off triggers,
-- business hours). They override nura.toml and the environment for those names; deleting a row
-- falls back to them. `value` is JSON.
CREATE TABLE runtime_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_by TEXT,
    updated_at REAL NOT NULL
);
