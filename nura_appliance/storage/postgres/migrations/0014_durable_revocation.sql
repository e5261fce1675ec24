-- PostgreSQL translation of the SQLite migration of the same name (types: REAL -> double
-- precision).
-- Fault tolerance (#23). Logged-out access tokens are kept here until they would have expired, so
-- a logout holds when the cache (Redis, diskcache) loses its data; the cache only short-cuts a
-- known revoked token. `claim_token` names the claim that runs an outbox row, so that its outcome
-- is recorded once even when a database error leaves unclear whether a write was committed.
CREATE TABLE revoked_tokens (
    token_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    expires_at double precision NOT NULL,
    revoked_at double precision NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

ALTER TABLE outbox ADD COLUMN claim_token TEXT;
