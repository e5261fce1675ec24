-- Issue 20 (admin): rules edited in the web admin. A rule's phrases either make up the whole
-- message (exact; a word or two of politeness around them tolerated) or appear anywhere in it
-- (contains); a rule can be switched off without deleting it. `updated_at` is shown in the editor.
ALTER TABLE rules ADD COLUMN match_mode TEXT NOT NULL DEFAULT 'exact' CHECK (match_mode IN ('exact', 'contains'));
ALTER TABLE rules ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1));
ALTER TABLE rules ADD COLUMN updated_at REAL;
