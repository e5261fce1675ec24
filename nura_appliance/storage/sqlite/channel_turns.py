"""What the messaging channels' stores (Telegram, WhatsApp) share on SQLite: the topic-list click
row and the rule for which turns still go out to a contact (``storage/postgres/channel_turns.py``
is the PostgreSQL twin)."""

from __future__ import annotations

TREE_CLICK = (
    "INSERT INTO tree_clicks (session_id, customer_id, topic_id, article_id, label, lang, channel, created_at)"
    " VALUES (?, ?, NULL, ?, ?, ?, ?, ?)"
)  # (session_id, customer_id, article_id, label, lang, channel, created_at)


def pending_turns_sql(contacts: str, columns: str) -> str:
    """Agent replies and hand-off status notices after each contact's ``last_turn_id``, of sessions
    a person owns or that moved since ``?`` (then ``LIMIT ?``); ``columns`` are the contact's."""
    return (
        f"SELECT {columns}, t.id, t.session_id, t.role, t.text, t.sender_name, t.meta"
        f" FROM {contacts} c"
        " JOIN sessions s ON s.id = c.session_id"
        " JOIN chat_turns t ON t.session_id = c.session_id AND t.id > c.last_turn_id"
        " WHERE (s.status IN ('pending_handoff', 'human_active') OR s.updated_at >= ?)"
        "   AND (t.role = 'agent' OR (t.role = 'system' AND json_extract(t.meta, '$.kind') = 'status'))"
        " ORDER BY t.id LIMIT ?"
    )


def claim_turn_sql(contacts: str, key: str) -> str:
    """Move a contact's ``last_turn_id`` forward to ``?`` (never back): ``(turn_id, key, turn_id)``."""
    return f"UPDATE {contacts} SET last_turn_id = ? WHERE {key} = ? AND last_turn_id < ?"
