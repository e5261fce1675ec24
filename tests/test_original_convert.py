"""The row conversions of ``nura import-original`` on their own (edge cases the generated
database does not reach; tests/test_import_original.py runs them end to end)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import bcrypt

from nura_appliance.conversation.sessions import hash_token
from nura_appliance.original import convert

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _history(*items: tuple[str, str, str], start: datetime = NOW - timedelta(hours=2)) -> str:
    return json.dumps(
        [
            {"role": role, "source": source, "message": text, "timestamp": (start + timedelta(seconds=i)).isoformat()}
            for i, (role, source, text) in enumerate(items)
        ]
    )


def _row(status: str, history: str, **meta: object) -> dict:
    return {
        "session_id": "s-1",
        "customer_id": "widget-1",
        "channel": "web",
        "status": status,
        "history": history,
        "failure_count": 1,
        "negative_score": 2,
        "metadata": json.dumps({"customer_token": "tok-1", **meta}),
        "created_at": NOW - timedelta(hours=2),
        "updated_at": NOW - timedelta(hours=1),
    }


def test_roles_sources_attachments_and_the_customers_token():
    history = _history(
        ("customer", "customer", "مرحبا"),
        ("agent", "bot", "أهلاً"),
        ("agent", "human", "أنا سميرة"),
        ("system", "system", "note"),
    )
    items = json.loads(history)
    items[0]["attachment_url"] = "http://old/v1/uploads/s-1/abc_photo.png?file_token=x"
    items[0]["message_type"] = "image"
    plan = convert.plan_session(
        "s-1",
        _row("HUMAN_ACTIVE", json.dumps(items), assigned_agent="samira", handoff_reason="explicit_request"),
        [{"id": 1, "customer_message": "مرحبا", "agent_response": "أهلاً", "source": "local_model", "confidence": 0.8}],
        [],
        [],
        None,
        now=NOW.timestamp(),
    )
    assert [t.role for t in plan.turns] == ["customer", "bot", "agent", "system"]
    assert plan.turns[1].source == "article" and plan.turns[1].confidence == 0.8  # from the log
    assert plan.turns[2].sender_name == "samira"
    assert plan.turns[0].meta["original_attachment_url"].endswith("file_token=x")
    record = plan.record
    assert record.status == "human_active" and record.token_hash == hash_token("tok-1")
    assert record.handoff_reason == "explicit_request" and record.handoff_at is not None
    assert record.low_confidence_streak == 1 and record.negative_count == 2 and record.message_count == 1
    assert "customer_token" not in json.dumps(record.meta)  # never kept in clear
    assert plan.logs[0][1:] == (0, 1)


def test_idle_bot_sessions_close_and_recent_ones_stay_open():
    history = _history(("customer", "customer", "hi"), ("agent", "bot", "hello"))
    old = convert.plan_session("s-1", _row("ACTIVE", history), [], [], [], None, now=NOW.timestamp() + 3 * 86400)
    assert old.record.status == "closed" and old.record.closed_at == old.record.updated_at
    recent = convert.plan_session("s-1", _row("ACTIVE", history), [], [], [], None, now=NOW.timestamp())
    assert recent.record.status == "bot" and recent.record.closed_at is None
    odd = convert.plan_session("s-1", _row("SOMETHING_ELSE", history), [], [], [], None, now=NOW.timestamp())
    assert odd.record.status == "closed"


def test_repeated_messages_pair_with_their_own_logs_in_order():
    history = _history(
        ("customer", "customer", "نعم"),
        ("agent", "bot", "first"),
        ("customer", "customer", "نعم"),
        ("agent", "bot", "second"),
    )
    logs = [
        {"id": 10, "customer_message": "نعم", "agent_response": "first", "source": "rules"},
        {"id": 11, "customer_message": "نعم", "agent_response": "second", "source": "openai"},
        {"id": 12, "customer_message": "never asked", "agent_response": "x", "source": "rules"},
    ]
    plan = convert.plan_session("s-1", _row("RESOLVED", history), logs, [], [], None, now=NOW.timestamp())
    assert [(c, b) for _log, c, b in plan.logs] == [(0, 1), (2, 3), (None, None)]
    assert [plan.turns[1].source, plan.turns[3].source] == ["rules", "openai"]
    assert plan.record.status == "resolved" and plan.record.resolved_at == plan.record.updated_at


def test_a_session_rebuilt_from_its_log_alone():
    log = {
        "id": 3,
        "session_id": "old-1",
        "customer_id": "c",
        "channel": "telegram",
        "customer_message": "Înternet hêdî ye",
        "agent_response": "Amûrê ji nû ve bide destpêkirin.",
        "confidence": 0.4,
        "source": "escalated",
        "created_at": NOW - timedelta(days=100),
    }
    plan = convert.plan_session("old-1", None, [log], [], [], None, now=NOW.timestamp())
    assert [t.role for t in plan.turns] == ["customer", "bot"] and plan.turns[1].source == "fallback"
    assert plan.record.status == "closed" and plan.record.channel == "telegram" and plan.record.lang == "ku"
    assert plan.record.meta["original"]["source"] == "logs"
    assert convert.log_row(log, plan.record)["escalated"] == 0  # the column says no, whatever the source


def test_small_mappings():
    assert [convert.feedback_value(v) for v in ("good", "BAD", "up", "-1", "meh", None)] == [
        "up",
        "down",
        "up",
        "down",
        None,
        None,
    ]
    assert convert.gap_reason("low_confidence") == "low_confidence"
    assert convert.gap_reason("no answer in KB") == "out_of_scope"
    assert convert.source_of("local_model") == "article" and convert.source_of(None) == "fallback"
    good = bcrypt.hashpw(b"x-password", bcrypt.gensalt(rounds=4)).decode()
    user, usable = convert.user_row({"username": "samira", "password_hash": good, "role": "agent"}, 0.0)
    assert usable and user["password_hash"] == good
    user, usable = convert.user_row({"username": "x", "password_hash": "md5$abc", "role": "boss"}, 0.0)
    assert not usable and user["password_hash"] == convert.RESET_REQUIRED and user["role"] == "agent"
    case = {
        "case_number": "NURA-1",
        "status": "waiting_customer",
        "tags": ["complaint", "web"],
        "title": "Customer complaint: الشبكة",
        "description": "Submitted from web widget.\n\nType: complaint\n\nMessage:\nالشبكة تنقطع ليلاً",
        "created_at": NOW,
    }
    row = convert.suggestion_row(case, NOW.timestamp())
    assert (row["kind"], row["text"], row["status"]) == ("complaint", "الشبكة تنقطع ليلاً", "new")
    assert convert.tree_click_row({"article_id": 6, "topic_label": "x", "created_at": NOW})["article_id"] == "article-6"
