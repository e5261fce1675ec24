-- The WhatsApp Business (Cloud API) channel (#21).

-- One row per WhatsApp number (the customer's wa_id): the session it continues (with that
-- session's token, presented like any other client), how far agent replies have been delivered,
-- and when the customer last wrote (the 24-hour customer-service window runs from it).
CREATE TABLE whatsapp_contacts (
    wa_id TEXT PRIMARY KEY,
    session_id TEXT,
    session_token TEXT,
    lang TEXT,
    profile_name TEXT,
    last_turn_id INTEGER NOT NULL DEFAULT 0,
    last_inbound_at REAL,
    template_sent_at REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX whatsapp_contacts_session ON whatsapp_contacts (session_id);

-- Inbound message ids already handled: the Cloud API redelivers a webhook until it gets a 200,
-- and a message is answered once.
CREATE TABLE whatsapp_inbound (
    message_id TEXT PRIMARY KEY,
    wa_id TEXT NOT NULL,
    received_at REAL NOT NULL
);
CREATE INDEX whatsapp_inbound_received ON whatsapp_inbound (received_at);

-- Every message sent to a customer, in order: queued -> sending -> sent -> delivered -> read, or
-- failed (with the Graph API's error). Sending is retried with back-off through the outbox; the
-- statuses Meta reports later are matched by wa_message_id.
CREATE TABLE whatsapp_outbound (
    id INTEGER PRIMARY KEY,
    wa_id TEXT NOT NULL,
    session_id TEXT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    wa_message_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    claimed_until REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX whatsapp_outbound_queue ON whatsapp_outbound (wa_id, status, id);
CREATE INDEX whatsapp_outbound_message ON whatsapp_outbound (wa_message_id);
CREATE INDEX whatsapp_outbound_session ON whatsapp_outbound (session_id, id);
