"""An original NURA PostgreSQL database for the import tests: the schema its Alembic migrations
define (written here from what ``20260430_001`` … ``20260513_010`` create, plus the
``canned_replies`` table its routes use), and generated data in its conventions.

``build(url, sessions=N)`` fills a fresh database; the returned :class:`Expected` holds what the
generator wrote, for the tests' checks. ``oldest=True`` stops at ``20260430_002`` (sessions and
logs only), the revision the original's README names.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

SCHEMA_001_002 = [
    """CREATE TABLE conversation_logs (
        id SERIAL PRIMARY KEY, session_id TEXT NOT NULL, customer_id TEXT, channel TEXT,
        customer_message TEXT, agent_response TEXT, confidence FLOAT, escalated BOOLEAN DEFAULT FALSE,
        source TEXT, created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE tree_clicks (
        id SERIAL PRIMARY KEY, session_id TEXT, customer_id TEXT, topic_id TEXT NOT NULL,
        topic_label TEXT NOT NULL, article_id INT, created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE widget_events (
        id SERIAL PRIMARY KEY, session_id TEXT, customer_id TEXT, event_type TEXT NOT NULL, label TEXT,
        meta TEXT, created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE chat_turns (
        id SERIAL PRIMARY KEY, session_id TEXT NOT NULL, customer_id TEXT, channel TEXT, role TEXT NOT NULL,
        message TEXT NOT NULL, source TEXT NOT NULL, confidence FLOAT, created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE security_logs (
        id SERIAL PRIMARY KEY, event_type TEXT NOT NULL, detail TEXT, ip TEXT, created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE ingestion_logs (
        id SERIAL PRIMARY KEY, filename TEXT, chunks_stored INT DEFAULT 0, status TEXT DEFAULT 'pending',
        created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE message_feedback (
        id SERIAL PRIMARY KEY, session_id TEXT NOT NULL, customer_id TEXT, channel TEXT, turn_id TEXT,
        score TEXT NOT NULL, source TEXT, reason TEXT, created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE session_outcomes (
        id SERIAL PRIMARY KEY, session_id TEXT NOT NULL UNIQUE, status TEXT, issue_category TEXT, root_cause TEXT,
        handoff_reason TEXT, resolution_notes TEXT, resolved_by TEXT, accepted_at TIMESTAMPTZ,
        resolved_at TIMESTAMPTZ, first_agent_response_at TIMESTAMPTZ, time_to_accept_seconds FLOAT,
        time_to_resolution_seconds FLOAT, created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE message_insights (
        id SERIAL PRIMARY KEY, session_id TEXT NOT NULL, customer_id TEXT, channel TEXT, message_text TEXT NOT NULL,
        language TEXT, intent TEXT, sub_intent TEXT, sentiment TEXT, confidence_bucket TEXT,
        is_knowledge_gap BOOLEAN DEFAULT FALSE, gap_reason TEXT, created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE llm_usage_logs (
        id SERIAL PRIMARY KEY, session_id TEXT, model TEXT NOT NULL, operation TEXT NOT NULL,
        prompt_tokens INT DEFAULT 0, completion_tokens INT DEFAULT 0, total_tokens INT DEFAULT 0,
        estimated_cost FLOAT DEFAULT 0.0, created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL,
        history JSONB NOT NULL DEFAULT '[]'::jsonb, failure_count INT NOT NULL DEFAULT 0,
        negative_score INT NOT NULL DEFAULT 0, metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
        created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)""",
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
]
SCHEMA_003_010 = [
    """CREATE TABLE admin_audit_logs (
        id SERIAL PRIMARY KEY, actor TEXT, action TEXT NOT NULL, target TEXT, detail TEXT, ip TEXT,
        created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE daily_message_stats (
        day DATE PRIMARY KEY, messages INT NOT NULL DEFAULT 0, sessions INT NOT NULL DEFAULT 0,
        escalations INT NOT NULL DEFAULT 0, created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE daily_cost_stats (
        day DATE PRIMARY KEY, total_tokens INT NOT NULL DEFAULT 0, estimated_cost FLOAT NOT NULL DEFAULT 0,
        created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE daily_handoff_stats (
        day DATE NOT NULL, handoff_reason TEXT NOT NULL, count INT NOT NULL DEFAULT 0,
        created_at TIMESTAMPTZ DEFAULT NOW(), PRIMARY KEY (day, handoff_reason))""",
    """CREATE TABLE admin_users (
        id SERIAL PRIMARY KEY, username VARCHAR(128) UNIQUE NOT NULL, password_hash VARCHAR(256) NOT NULL,
        role VARCHAR(32) NOT NULL DEFAULT 'agent' CHECK (role IN ('admin','agent','viewer')),
        display_name VARCHAR(128), is_active BOOLEAN NOT NULL DEFAULT TRUE, token_version INT NOT NULL DEFAULT 0,
        created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), last_login TIMESTAMPTZ, created_by VARCHAR(128))""",
    """CREATE TABLE knowledge_gap_reviews (
        id SERIAL PRIMARY KEY, insight_id INT UNIQUE REFERENCES message_insights(id) ON DELETE SET NULL,
        session_id TEXT NOT NULL, customer_id TEXT, channel TEXT, customer_message TEXT NOT NULL, intent TEXT,
        sub_intent TEXT, gap_reason TEXT, status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending','drafted','approved','rejected','resolved')), proposed_answer TEXT,
        approved_answer TEXT, notes TEXT, reviewed_by TEXT, reviewed_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE support_departments (
        id SERIAL PRIMARY KEY, code TEXT UNIQUE NOT NULL, name TEXT NOT NULL, description TEXT,
        is_active BOOLEAN NOT NULL DEFAULT TRUE, created_at TIMESTAMPTZ DEFAULT NOW())""",
    """INSERT INTO support_departments (code, name, description) VALUES
        ('general', 'General Support', 'uncategorised'), ('technical', 'Technical Support', 'network'),
        ('billing', 'Billing', 'invoices'), ('complaints', 'Complaints', 'formal complaints'),
        ('sales', 'Sales', 'offers'), ('suggestions', 'Suggestions', 'customer feedback')""",
    "CREATE SEQUENCE support_case_number_seq",
    """CREATE TABLE support_cases (
        id SERIAL PRIMARY KEY, case_number TEXT UNIQUE NOT NULL, session_id TEXT, customer_id TEXT, channel TEXT,
        title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', department TEXT NOT NULL DEFAULT 'general',
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN
            ('open','pending','in_progress','waiting_customer','escalated','resolved','closed')),
        priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low','normal','high','urgent')),
        owner TEXT, tags TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[], internal_notes TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT 'manual', sla_due_at TIMESTAMPTZ, first_response_due_at TIMESTAMPTZ,
        resolved_at TIMESTAMPTZ, created_by TEXT, updated_by TEXT, created_at TIMESTAMPTZ DEFAULT NOW(),
        updated_at TIMESTAMPTZ DEFAULT NOW(),
        sla_status TEXT NOT NULL DEFAULT 'ok' CHECK (sla_status IN ('ok','at_risk','breached')),
        sla_warned_at TIMESTAMPTZ, sla_breached_at TIMESTAMPTZ)""",
    """CREATE TABLE support_case_activity (
        id SERIAL PRIMARY KEY, case_id INT NOT NULL REFERENCES support_cases(id) ON DELETE CASCADE, actor TEXT,
        action TEXT NOT NULL, field_name TEXT, old_value TEXT, new_value TEXT, note TEXT,
        created_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE voice_calls (
        id SERIAL PRIMARY KEY, call_id TEXT UNIQUE NOT NULL, session_id TEXT NOT NULL, customer_id TEXT,
        channel TEXT NOT NULL DEFAULT 'web', room_name TEXT, status TEXT NOT NULL DEFAULT 'requested'
        CHECK (status IN ('requested','accepted','active','ended','missed','cancelled')),
        requested_at TIMESTAMPTZ DEFAULT NOW(), accepted_at TIMESTAMPTZ, ended_at TIMESTAMPTZ, accepted_by TEXT,
        metadata JSONB NOT NULL DEFAULT '{}'::jsonb)""",
    """CREATE TABLE canned_replies (
        id SERIAL PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, category TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL DEFAULT 'ar', sort_order INT NOT NULL DEFAULT 0, created_by TEXT, updated_by TEXT,
        created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW())""",
    # A table a team added themselves: not the original's, reported and left alone.
    "CREATE TABLE custom_notes (id SERIAL PRIMARY KEY, note TEXT)",
]

QUESTIONS = [
    ("الإنترنت بطيء جداً اليوم", "أعد تشغيل الجهاز وأوقف الـ VPN ثم جرّب مجدداً.", "local_model"),
    ("كيف أفعل باقة الإنترنت؟", "افتح تطبيق الخدمة الذاتية واختر الباقات ثم تفعيل.", "rules"),
    ("شو إعدادات الـ APN؟", "اسم نقطة الوصول هو internet.", "openai"),
    ("ما هي ساعات عمل المراكز؟", "من الثامنة صباحاً حتى العاشرة مساءً.", "rules"),
    ("Înternet pir hêdî ye", "Amûrê ji nû ve bide destpêkirin.", "openai"),
    ("how do I swap my SIM?", "Visit a service centre with your ID.", "local_model"),
    ("بدي احكي مع موظف", "تم تحويلك إلى موظف بشري.", "escalated"),
    ("رصيدي يخلص بسرعة", "تحقق من استهلاك التطبيقات من الإعدادات.", "openai"),
]
AGENT_LINES = ["مرحباً، أنا معك الآن.", "تم حل المشكلة من طرفنا، جرّب الآن.", "هل تحتاج شيئاً آخر؟"]
PASSWORDS = {"samira": "samira-original-pass", "omar": "omar-original-pass", "hadi": "hadi-viewer-pass"}


@dataclass
class Expected:
    """What the generator wrote (source row counts and a few facts the tests check)."""

    rows: dict[str, int] = field(default_factory=dict)
    session_ids: list[str] = field(default_factory=list)
    rebuilt_ids: list[str] = field(default_factory=list)
    history_turns: int = 0
    chat_turn_only_turns: int = 0
    log_only_turns: int = 0
    open_handoffs: int = 0
    sample: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad_feedback_scores: int = 0
    suggestion_cases: int = 0
    other_cases: int = 0
    tokens: dict[str, str] = field(default_factory=dict)


def _bcrypt(password: str) -> str:
    import bcrypt

    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


def build(url: str, *, sessions: int = 2000, rebuilt: int = 300, seed: int = 24, oldest: bool = False) -> Expected:
    """Create the schema in the (empty) database at ``url`` and fill it; returns what was written."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    expected = Expected()
    data: dict[str, list[tuple[Any, ...]]] = {}

    def add(table: str, row: tuple[Any, ...]) -> None:
        data.setdefault(table, []).append(row)

    def when(days_back: float) -> datetime:
        return now - timedelta(days=days_back)

    insight_rows: list[tuple[str, str, bool, datetime]] = []
    for number in range(sessions):
        sid = f"sess-{number:05d}-{rng.randrange(16**6):06x}"
        customer = f"widget-{rng.randrange(16**8):08x}"
        channel = "telegram" if number % 11 == 0 else "web"
        start = when(rng.uniform(0.5, 95))
        token = secrets.token_urlsafe(16)
        kind = rng.random()
        status = "RESOLVED" if kind < 0.25 else "ACTIVE"
        if 0.25 <= kind < 0.27:
            status = "PENDING_HANDOFF"
        elif 0.27 <= kind < 0.28:
            status = "HUMAN_ACTIVE"
        history: list[dict[str, Any]] = []
        at = start
        for _pair in range(rng.randint(1, 4)):
            question, answer, source = rng.choice(QUESTIONS)
            at += timedelta(seconds=rng.randint(5, 90))
            history.append(
                {
                    "role": "customer",
                    "message": question,
                    "timestamp": at.isoformat(),
                    "confidence": None,
                    "source": "customer",
                }
            )
            confidence = round(rng.uniform(0.1, 0.98), 3)
            add(
                "conversation_logs",
                (sid, customer, channel, question, answer, confidence, source == "escalated", source, at),
            )
            add("chat_turns", (sid, customer, channel, "customer", question, "customer", None, at))
            at += timedelta(seconds=1)
            history.append(
                {
                    "role": "agent",
                    "message": answer,
                    "timestamp": at.isoformat(),
                    "confidence": confidence,
                    "source": "bot",
                }
            )
            add("chat_turns", (sid, customer, channel, "agent", answer, "bot", confidence, at))
            if rng.random() < 0.5:
                gap = confidence < 0.3
                insight_rows.append((sid, question, gap, at))
            if source == "openai":
                add("llm_usage_logs", (sid, "gpt-x-mini", "chat", 900, 120, 1020, 0.00042, at))
            if rng.random() < 0.15:
                score = rng.choice(["good", "bad", "good", "meh"])
                expected.bad_feedback_scores += score == "meh"
                add(
                    "message_feedback",
                    (sid, customer, channel, str(len(history) - 1), score, source, None, at + timedelta(seconds=3)),
                )
        metadata: dict[str, Any] = {"customer_token": token}
        handed = status in ("RESOLVED", "PENDING_HANDOFF", "HUMAN_ACTIVE")
        if handed:
            metadata["handoff_reason"] = rng.choice(
                ["explicit_request", "bad_feedback", "two_failures", "angry_sentiment"]
            )
            escalated_at = at + timedelta(seconds=2)
            resolved_at = None
            if status != "PENDING_HANDOFF":
                accepted = escalated_at + timedelta(seconds=rng.randint(20, 600))
                metadata["accepted_at"] = accepted.isoformat()
                metadata["assigned_agent"] = rng.choice(["samira", "omar"])
                at = accepted
                for line in AGENT_LINES[: rng.randint(1, 3)]:
                    at += timedelta(seconds=rng.randint(10, 60))
                    history.append(
                        {
                            "role": "agent",
                            "message": line,
                            "timestamp": at.isoformat(),
                            "confidence": None,
                            "source": "human",
                        }
                    )
                    add("chat_turns", (sid, customer, channel, "agent", line, "human", None, at))
                if status == "RESOLVED":
                    resolved_at = at + timedelta(seconds=30)
                    metadata["rating"] = rng.randint(1, 5)
            if status in ("PENDING_HANDOFF", "HUMAN_ACTIVE"):
                expected.open_handoffs += 1
            add(
                "session_outcomes",
                (
                    sid,
                    "solved" if resolved_at else "pending_handoff",
                    rng.choice(["connectivity", "billing", "sim"]) if resolved_at else None,
                    "apn_settings" if resolved_at else None,
                    metadata["handoff_reason"],
                    "guided the customer" if resolved_at else None,
                    metadata.get("assigned_agent") if resolved_at else None,
                    datetime.fromisoformat(metadata["accepted_at"]) if "accepted_at" in metadata else None,
                    resolved_at,
                    (resolved_at - start).total_seconds() if resolved_at else None,
                    escalated_at,
                ),
            )
        updated = max(at, start)
        add(
            "sessions",
            (
                sid,
                customer,
                channel,
                status,
                json.dumps(history, ensure_ascii=False),
                rng.randint(0, 2),
                rng.randint(0, 3),
                json.dumps(metadata),
                start,
                updated,
            ),
        )
        expected.session_ids.append(sid)
        expected.history_turns += len(history)
        expected.tokens[sid] = token
        if number in (0, 1, 2) or (status == "RESOLVED" and "resolved" not in expected.sample):
            expected.sample[sid if number < 3 else "resolved"] = {
                "id": sid,
                "status": status,
                "history": history,
                "metadata": metadata,
                "channel": channel,
            }

    # Conversations from before durable sessions: only in the logs.
    for number in range(rebuilt):
        sid = f"old-{number:05d}"
        customer = f"widget-old-{number}"
        at = when(rng.uniform(60, 120))
        expected.rebuilt_ids.append(sid)
        if number % 3 == 0:  # its turns are in chat_turns
            for question, answer, _source in rng.sample(QUESTIONS, 2):
                add("chat_turns", (sid, customer, "web", "customer", question, "customer", None, at))
                add("chat_turns", (sid, customer, "web", "agent", answer, "bot", 0.5, at + timedelta(seconds=1)))
                add("conversation_logs", (sid, customer, "web", question, answer, 0.5, False, "rules", at))
                expected.chat_turn_only_turns += 2
                at += timedelta(minutes=1)
        else:  # only the exchange log
            question, answer, source = rng.choice(QUESTIONS)
            add("conversation_logs", (sid, customer, "web", question, answer, 0.6, False, source, at))
            expected.log_only_turns += 2

    # Insights (and, later, the reviews of some gaps).
    for sid, question, gap, at in insight_rows:
        add(
            "message_insights",
            (
                sid,
                "widget",
                "web",
                question,
                "ar",
                "internet",
                None,
                "neutral",
                "low" if gap else "high",
                gap,
                "low_confidence" if gap else None,
                at,
            ),
        )

    for _ in range(3000):
        at = when(rng.uniform(0, 90))
        sid = rng.choice(expected.session_ids)
        add(
            "tree_clicks",
            (sid, "widget-x", rng.choice(["net_slow", "hours", "apn"]), "الإنترنت بطيء", rng.choice([1, 3, None]), at),
        )
        add(
            "widget_events",
            (
                sid,
                "widget-x",
                rng.choice(["chat_open", "tree_click", "send_message", "feedback_good"]),
                "label",
                "meta",
                at,
            ),
        )
    for i in range(40):
        add("security_logs", ("admin_login_failed" if i % 2 else "rate_limited", "someone", "203.0.113.9", when(i)))
    add("ingestion_logs", ("handbook.pdf", 8, "success", when(80)))
    add("ingestion_logs", ("faq.docx", 0, "failed", when(40)))
    data["alembic_version"] = [("20260430_002" if oldest else "20260513_010",)]

    if not oldest:
        for name, password in PASSWORDS.items():
            role = "viewer" if name == "hadi" else "agent"
            add("admin_users", (name, _bcrypt(password), role, name.title(), True, 0, when(100), when(1)))
        add("admin_users", ("admin", _bcrypt("whatever-123"), "admin", "Admin", True, 0, when(100), None))
        add(
            "admin_users",
            (
                "legacy",
                "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                "agent",
                None,
                True,
                0,
                when(100),
                None,
            ),
        )
        add("admin_users", ("bad name!", _bcrypt("x-123456789"), "agent", None, False, 0, when(100), None))
        for i, (title, body) in enumerate(
            [
                ("تحية", "أهلاً بك، كيف أساعدك؟"),
                ("APN", "اسم نقطة الوصول internet"),
                ("Silav", "Silav, çawa alîkarî bikim?"),
                ("empty", "   "),
            ]
        ):
            add(
                "canned_replies",
                (title, body, "general", "ku" if title == "Silav" else "ar", i, "admin", "admin", when(50), when(10)),
            )
        for audit in range(30):
            add("admin_audit_logs", ("admin", "user_created", f"user{audit}", "agent", "198.51.100.4", when(audit)))
        for day in range(5):
            add("daily_message_stats", ((now - timedelta(days=day + 1)).date(), 100, 20, 3, now))
            add("daily_cost_stats", ((now - timedelta(days=day + 1)).date(), 5000, 0.01, now))
            add("daily_handoff_stats", ((now - timedelta(days=day + 1)).date(), "explicit_request", 2, now))
        for i in range(60):
            sid = expected.session_ids[(i * 7) % len(expected.session_ids)]
            if i % 2 == 0:
                expected.suggestion_cases += 1
                tags = ["complaint" if i % 4 == 0 else "suggestion", "web"]
                message = f"ملاحظة رقم {i}: الشبكة تنقطع مساءً في الحي"
                description = f"Submitted from web widget.\n\nType: {tags[0]}\nCustomer ID: x\nSession ID: {sid}\n\nMessage:\n{message}"
                add(
                    "support_cases",
                    (
                        f"NURA-20260504-{i:05d}",
                        sid,
                        "x",
                        "web",
                        f"Customer {tags[0]}: {message}",
                        description,
                        "suggestions",
                        rng.choice(["open", "resolved", "closed"]),
                        "normal",
                        None,
                        tags,
                        "",
                        "suggestion",
                        when(30),
                        when(20),
                    ),
                )
            else:
                expected.other_cases += 1
                add(
                    "support_cases",
                    (
                        f"NURA-20260504-{i:05d}",
                        sid,
                        "x",
                        "web",
                        "Case from handoff",
                        "agent: ...",
                        "technical",
                        "in_progress",
                        "high",
                        "samira",
                        ["handoff"],
                        "auto",
                        "handoff",
                        when(30),
                        when(20),
                    ),
                )
        add(
            "voice_calls",
            (
                "call-1",
                expected.session_ids[0],
                "x",
                "web",
                "room-1",
                "ended",
                when(3),
                when(3),
                when(3),
                "samira",
                json.dumps({}),
            ),
        )
        add("custom_notes", ("a note the team kept",))

    columns = {
        "conversation_logs": "session_id, customer_id, channel, customer_message, agent_response, confidence, escalated, source, created_at",
        "chat_turns": "session_id, customer_id, channel, role, message, source, confidence, created_at",
        "llm_usage_logs": "session_id, model, operation, prompt_tokens, completion_tokens, total_tokens, estimated_cost, created_at",
        "message_feedback": "session_id, customer_id, channel, turn_id, score, source, reason, created_at",
        "session_outcomes": "session_id, status, issue_category, root_cause, handoff_reason, resolution_notes, resolved_by, accepted_at, resolved_at, time_to_resolution_seconds, created_at",
        "sessions": "session_id, customer_id, channel, status, history, failure_count, negative_score, metadata, created_at, updated_at",
        "message_insights": "session_id, customer_id, channel, message_text, language, intent, sub_intent, sentiment, confidence_bucket, is_knowledge_gap, gap_reason, created_at",
        "tree_clicks": "session_id, customer_id, topic_id, topic_label, article_id, created_at",
        "widget_events": "session_id, customer_id, event_type, label, meta, created_at",
        "security_logs": "event_type, detail, ip, created_at",
        "ingestion_logs": "filename, chunks_stored, status, created_at",
        "alembic_version": "version_num",
        "admin_users": "username, password_hash, role, display_name, is_active, token_version, created_at, last_login",
        "canned_replies": "title, body, category, language, sort_order, created_by, updated_by, created_at, updated_at",
        "admin_audit_logs": "actor, action, target, detail, ip, created_at",
        "daily_message_stats": "day, messages, sessions, escalations, created_at",
        "daily_cost_stats": "day, total_tokens, estimated_cost, created_at",
        "daily_handoff_stats": "day, handoff_reason, count, created_at",
        "support_cases": "case_number, session_id, customer_id, channel, title, description, department, status, priority, owner, tags, internal_notes, source, created_at, updated_at",
        "voice_calls": "call_id, session_id, customer_id, channel, room_name, status, requested_at, accepted_at, ended_at, accepted_by, metadata",
        "custom_notes": "note",
    }
    with psycopg.connect(url, autocommit=False) as conn:
        for statement in SCHEMA_001_002 + ([] if oldest else SCHEMA_003_010):
            conn.execute(statement)
        for table, rows in data.items():
            marks = ", ".join(["%s"] * len(rows[0]))
            with conn.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} ({columns[table]}) VALUES ({marks})", rows)
        if not oldest:
            # Reviews of some flagged gaps, pointing at their insights.
            gaps = conn.execute(
                "SELECT id, session_id, message_text FROM message_insights WHERE is_knowledge_gap ORDER BY id LIMIT 120"
            ).fetchall()
            states = ["pending", "drafted", "approved", "rejected", "resolved"]
            for index, (insight_id, sid, text) in enumerate(gaps):
                state = states[index % len(states)]
                conn.execute(
                    "INSERT INTO knowledge_gap_reviews (insight_id, session_id, customer_message, gap_reason, status,"
                    " proposed_answer, approved_answer, reviewed_by, reviewed_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    (
                        insight_id,
                        sid,
                        text,
                        "low_confidence",
                        state,
                        "اقتراح جواب" if state != "pending" else None,
                        "جواب معتمد" if state == "approved" else None,
                        "admin" if state not in ("pending", "drafted") else None,
                        now if state not in ("pending", "drafted") else None,
                    ),
                )
            case_ids = [r[0] for r in conn.execute("SELECT id FROM support_cases ORDER BY id LIMIT 10").fetchall()]
            for case_id in case_ids:
                conn.execute(
                    "INSERT INTO support_case_activity (case_id, actor, action, note) VALUES (%s, 'widget', 'created', 'x')",
                    (case_id,),
                )
        conn.commit()
        for table in (
            "sessions",
            "conversation_logs",
            "chat_turns",
            "session_outcomes",
            "message_insights",
            "knowledge_gap_reviews",
            "message_feedback",
            "llm_usage_logs",
            "tree_clicks",
            "widget_events",
            "security_logs",
            "admin_audit_logs",
            "ingestion_logs",
            "admin_users",
            "canned_replies",
            "support_cases",
            "support_case_activity",
            "support_departments",
            "voice_calls",
            "daily_message_stats",
            "daily_cost_stats",
            "daily_handoff_stats",
            "custom_notes",
        ):
            exists = conn.execute("SELECT to_regclass(%s)", (table,)).fetchall()[0][0]
            if exists:
                expected.rows[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return expected
