-- One owner per session field (issue 18): every change to a session is a command applied to the
-- committed row in one transaction, which bumps `version` (docs/HANDOFF.md, "Who owns the
-- session"). Nothing saves a stale whole row any more, so the guard trigger of 0004 that undid
-- such saves goes, and `version` replaces `handoff_version` (it counted hand-off transitions only).
DROP TRIGGER IF EXISTS sessions_keep_handoff_state ON sessions;
DROP FUNCTION IF EXISTS sessions_keep_handoff_state();
ALTER TABLE sessions ADD COLUMN version bigint NOT NULL DEFAULT 0;
UPDATE sessions SET version = handoff_version + 1;
ALTER TABLE sessions DROP COLUMN handoff_version;
