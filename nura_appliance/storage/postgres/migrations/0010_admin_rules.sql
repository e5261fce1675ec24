-- Issue 20 (admin): rules edited in the web admin (see the SQLite migration of the same name).
ALTER TABLE rules ADD COLUMN match_mode TEXT NOT NULL DEFAULT 'exact' CHECK (match_mode IN ('exact', 'contains'));
ALTER TABLE rules ADD COLUMN enabled bigint NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1));
ALTER TABLE rules ADD COLUMN updated_at double precision;
