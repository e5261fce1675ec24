"""What the messaging channels' stores (Telegram, WhatsApp) share on PostgreSQL: the topic-list
click row and the rule for which turns still go out to a contact (the twin of
``storage/sqlite/channel_turns.py``)."""

from __future__ import annotations

TREE_CLICK = (
    "INSERT INTO tree_clicks (session_id, customer_id, topic_id, article_id, label, lang, channel, created_at)"
    " VALUES (%s, %s, NULL, %s, %s, %s, %s, %s)"
)  # (session_id, customer_id, article_id, label, lang, channel, created_at)


def pending_turns_sql(contacts: str, columns: str) -> str:
    """Agent replies and hand-off status notices after each contact's ``last_turn_id``, of sessions
    a person owns or that moved since ``%s`` (then ``LIMIT %s``); ``columns`` are the contact's."""
    return (
        f"SELECT {columns}, t.id, t.session_id, t.role, t.text, t.sender_name, t.meta"
        f" FROM {contacts} c"
        " JOIN sessions s ON s.id = c.session_id"
        " JOIN chat_turns t ON t.session_id = c.session_id AND t.id > c.last_turn_id"
        " WHERE (s.status IN ('pending_handoff', 'human_active') OR s.updated_at >= %s)"
        "   AND (t.role = 'agent'"
        "        OR (CASE WHEN t.role = 'system' THEN t.meta::jsonb ->> 'kind' END) = 'status')"
        " ORDER BY t.id LIMIT %s"
    )


def claim_turn_sql(contacts: str, key: str) -> str:
    """Move a contact's ``last_turn_id`` forward to ``%s`` (never back): ``(turn_id, key, turn_id)``."""
    return f"UPDATE {contacts} SET last_turn_id = %s WHERE {key} = %s AND last_turn_id < %s"
