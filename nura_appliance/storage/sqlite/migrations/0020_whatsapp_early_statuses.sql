-- WhatsApp delivery statuses that came before their message's id was saved (#21 follow-up).
-- The send job saves Meta's message id (whatsapp_outbound.wa_message_id) once the Graph API has
-- answered; Meta may post "sent", "delivered" or "read" for that id first. Such a status waits
-- here, one row per id holding the furthest status reported, and is applied (and its row deleted)
-- when the id is saved. Rows expire after an hour and the table is capped (storage/*/whatsapp.py):
-- statuses of ids never ours (another app on the same number) do not pile up.
CREATE TABLE whatsapp_early_statuses (
    wa_message_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    error TEXT,
    received_at REAL NOT NULL
);
CREATE INDEX whatsapp_early_statuses_received ON whatsapp_early_statuses (received_at);
