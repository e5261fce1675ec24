-- PostgreSQL translation of the SQLite migration of the same name (types: REAL -> double
-- precision, INTEGER -> bigint, INTEGER PRIMARY KEY -> identity, BLOB -> bytea, NOCASE -> citext).
-- Auth: lookups the security and audit log pages filter on.
CREATE INDEX IF NOT EXISTS security_logs_event ON security_logs (event, created_at);
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, created_at);
CREATE INDEX IF NOT EXISTS users_role ON users (role, active);
