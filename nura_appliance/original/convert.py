"""Pure conversions from the original NURA's rows to ours (no I/O; the importer decides, the store
writes). Every mapping the import applies is here, next to the reason for it; docs/MIGRATING.md
lists them for people."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from nura_appliance.conversation.sessions import hash_token
from nura_appliance.knowledge.language import detect_language
from nura_appliance.knowledge.legacy_ids import article_id_for
from nura_appliance.languages import LANGS
from nura_appliance.original.source import epoch, json_value, plain
from nura_appliance.storage.base import SessionRecord, TurnRecord

# The original's session statuses (its SessionStatus enum) as ours.
STATUSES = {
    "ACTIVE": "bot",
    "PENDING_HANDOFF": "pending_handoff",
    "HUMAN_ACTIVE": "human_active",
    "RESOLVED": "resolved",
}
# An ACTIVE (bot-only) session untouched for this long was over in the original too (its Redis
# copy had expired after 24 h); it is imported as closed instead of waiting for our idle sweep.
IDLE_AFTER_SECONDS = 24 * 3600
# The original's answer sources as ours (conversation_logs.source, turns' source).
SOURCES = {
    "rules": "rules",
    "rule": "rules",
    "tree": "tree",
    "local_model": "article",
    "ml": "article",
    "article": "article",
    "articles": "article",
    "openai": "openai",
    "rag": "rag",
    "escalated": "fallback",
    "fallback": "fallback",
    "low": "fallback",
}
FEEDBACK_UP = {"good", "up", "positive", "1", "+1", "yes", "helpful", "thumbs_up", "like"}
FEEDBACK_DOWN = {"bad", "down", "negative", "-1", "0", "no", "unhelpful", "thumbs_down", "dislike"}
GAP_STATUSES = {
    "pending": "open",
    "drafted": "open",
    "approved": "approved",
    "rejected": "rejected",
    "resolved": "resolved",
}
CASE_OPEN = ("open", "pending", "in_progress", "waiting_customer", "escalated")
ROLES = ("admin", "agent", "viewer")
_BCRYPT = re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$")
# Our users need a hash; an account whose original hash we cannot check gets this, which no
# password matches, until an admin sets a new one (`nura user passwd NAME`).
RESET_REQUIRED = "!reset-required (imported from the original NURA: set a new password)"
_CASE_MESSAGE = re.compile(r"Message:\s*\n(.*)\Z", re.S)
_SLUG = re.compile(r"[^a-z0-9_-]+")


def lang_of(value: Any, text: str | None = None) -> str:
    """A language code we know: the given one, else detected from ``text``, else Arabic."""
    if isinstance(value, str) and value.strip().lower() in LANGS:
        return value.strip().lower()
    return detect_language(text, "ar") if text else "ar"


def source_of(value: Any) -> str:
    return SOURCES.get(str(value or "").strip().lower(), "fallback")


@dataclass
class SessionPlan:
    """One session to write: the record, its transcript, and how each source row maps in."""

    record: SessionRecord
    turns: list[TurnRecord] = field(default_factory=list)
    # conversation_logs rows with the index (in ``turns``) of their customer and bot turns.
    logs: list[tuple[dict[str, Any], int | None, int | None]] = field(default_factory=list)
    # message_insights rows with the index of the customer turn they classify.
    insights: list[tuple[dict[str, Any], int | None]] = field(default_factory=list)
    outcome: dict[str, Any] | None = None  # the session_outcomes row (a resolved hand-off)
    # For each turn, the chat_turns row it was made from (when the transcript came from there).
    turn_keys: list[str | None] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)  # (table, key) folded into the session


def _turn_from_history(session_id: str, item: dict[str, Any], fallback_at: float, agent: str | None) -> TurnRecord:
    """One entry of ``sessions.history`` (``{role, message, timestamp, confidence, source,
    attachment_url?, message_type?}``). The original stored bot answers as role ``agent`` with a
    machine source and a person's replies as role ``agent`` with source ``human``."""
    role = str(item.get("role") or "").lower()
    source = str(item.get("source") or "").lower()
    at = epoch(item.get("timestamp")) or fallback_at
    text = str(item.get("message") or "")
    meta: dict[str, Any] = {"original": True}
    if item.get("attachment_url"):
        # The file itself stays on the original server (its uploads folder); the link is kept.
        meta["original_attachment_url"] = str(item["attachment_url"])
        meta["original_message_type"] = str(item.get("message_type") or "file")
    if role == "customer" or source == "customer":
        return TurnRecord(session_id, "customer", text, at, meta=meta)
    if role == "agent" and source == "human":
        return TurnRecord(session_id, "agent", text, at, source="agent", sender_name=agent, meta=meta)
    if role in ("agent", "bot", "assistant"):
        confidence = item.get("confidence")
        return TurnRecord(
            session_id,
            "bot",
            text,
            at,
            source=source_of(source) if source not in ("", "bot") else None,
            confidence=float(confidence) if isinstance(confidence, int | float) else None,
            meta=meta,
        )
    return TurnRecord(session_id, "system", text, at, source="original", meta={**meta, "original_role": role})


def _turn_from_chat_turn(row: dict[str, Any], agent: str | None) -> TurnRecord:
    """A ``chat_turns`` row (the original's per-turn log), same conventions as the history."""
    item = {
        "role": row.get("role"),
        "source": row.get("source"),
        "message": row.get("message"),
        "timestamp": row.get("created_at"),
        "confidence": row.get("confidence"),
    }
    return _turn_from_history(row["session_id"], item, epoch(row.get("created_at")) or 0.0, agent)


def _session_record(
    session_id: str,
    row: dict[str, Any] | None,
    first: dict[str, Any] | None,
    outcome: dict[str, Any] | None,
    turns: list[TurnRecord],
    now: float,
) -> SessionRecord:
    meta_in = json_value(row.get("metadata"), {}) if row else {}
    meta_in = meta_in if isinstance(meta_in, dict) else {}
    created = epoch(row.get("created_at")) if row else None
    times = [t.created_at for t in turns]
    if first is not None:
        times.append(epoch(first.get("created_at")) or 0.0)
    created = created or (min(times) if times else now)
    updated = (epoch(row.get("updated_at")) if row else None) or (max(times) if times else created)
    status = STATUSES.get(str(row.get("status") or "").upper(), "closed") if row else None
    if status is None:  # rebuilt from logs: the original no longer had it live
        status = "resolved" if outcome and outcome.get("resolved_at") else "closed"
    closed_at = None
    if status == "bot" and now - updated > IDLE_AFTER_SECONDS:
        status, closed_at = "closed", updated
    elif status == "closed":
        closed_at = updated
    token = meta_in.get("customer_token")
    customer_text = next((t.text for t in turns if t.role == "customer" and t.text), None)
    handoff_reason = meta_in.get("handoff_reason") or (outcome or {}).get("handoff_reason") or None
    accepted_at = epoch(meta_in.get("accepted_at")) or epoch((outcome or {}).get("accepted_at"))
    resolved_at = epoch((outcome or {}).get("resolved_at"))
    handoff_at = None
    if handoff_reason or status in ("pending_handoff", "human_active") or outcome is not None:
        # The original logged the hand-off as a session_outcomes row when it happened.
        handoff_at = epoch((outcome or {}).get("created_at")) or accepted_at or updated
    if status == "resolved" and resolved_at is None:
        resolved_at = updated
    rating = meta_in.get("rating")
    kept = {k: plain(v) for k, v in meta_in.items() if k not in ("customer_token",)}
    return SessionRecord(
        id=session_id,
        # The customer's original token still opens the session (an open tab keeps its chat).
        token_hash=hash_token(token) if isinstance(token, str) and token else hash_token(f"!unusable:{session_id}"),
        created_at=created,
        updated_at=max(updated, created),
        customer_id=str((row or first or {}).get("customer_id") or "") or None,
        channel=str((row or first or {}).get("channel") or "web")[:20] or "web",
        lang=lang_of(meta_in.get("lang"), customer_text),
        status=status,
        handoff_reason=str(handoff_reason)[:64] if handoff_reason else None,
        handoff_at=handoff_at,
        accepted_at=accepted_at,
        assigned_agent=str(meta_in.get("assigned_agent") or "") or None,
        resolved_at=resolved_at if status == "resolved" else None,
        closed_at=closed_at,
        low_confidence_streak=int((row or {}).get("failure_count") or 0),
        negative_count=int((row or {}).get("negative_score") or 0),
        message_count=sum(1 for t in turns if t.role == "customer"),
        rating=int(rating) if isinstance(rating, int) and 1 <= rating <= 5 else None,
        meta={"original": {"source": "sessions" if row else "logs", "metadata": kept}},
    )


def _match_logs(plan: SessionPlan, logs: list[dict[str, Any]]) -> None:
    """Pair each conversation_logs row with its customer and bot turns: in order, the next
    customer turn with the same text and the bot turn right after it."""
    customer_at = [i for i, t in enumerate(plan.turns) if t.role == "customer"]
    cursor = 0
    for log in logs:
        wanted = str(log.get("customer_message") or "").strip()
        found = None
        for position in range(cursor, len(customer_at)):
            if plan.turns[customer_at[position]].text.strip() == wanted:
                found = position
                break
        if found is None:
            plan.logs.append((log, None, None))
            continue
        cursor = found + 1
        index = customer_at[found]
        bot = index + 1 if index + 1 < len(plan.turns) and plan.turns[index + 1].role == "bot" else None
        if bot is not None:
            # The log knows which tier answered; the history only said "bot".
            turn = plan.turns[bot]
            turn.source = turn.source or source_of(log.get("source"))
            if turn.confidence is None and isinstance(log.get("confidence"), int | float):
                turn.confidence = float(log["confidence"])
        plan.logs.append((log, index, bot))


def _match_insights(plan: SessionPlan, insights: list[dict[str, Any]]) -> None:
    used: set[int] = set()
    customer = [(i, t.text.strip()) for i, t in enumerate(plan.turns) if t.role == "customer"]
    for insight in insights:
        wanted = str(insight.get("message_text") or "").strip()
        index = next((i for i, text in customer if text == wanted and i not in used), None)
        if index is not None:
            used.add(index)
        plan.insights.append((insight, index))


def plan_session(
    session_id: str,
    row: dict[str, Any] | None,
    logs: list[dict[str, Any]],
    chat_turns: list[dict[str, Any]],
    insights: list[dict[str, Any]],
    outcome: dict[str, Any] | None,
    now: float | None = None,
) -> SessionPlan:
    """Everything one original session becomes. The transcript comes from ``sessions.history``
    when the original had it; else from ``chat_turns``; else rebuilt from ``conversation_logs``
    (a customer message and the answer it got)."""
    now = time.time() if now is None else now
    meta_in = json_value(row.get("metadata"), {}) if row else {}
    agent = (str(meta_in.get("assigned_agent") or "") or None) if isinstance(meta_in, dict) else None
    history = json_value(row.get("history"), []) if row else []
    history = [h for h in history if isinstance(h, dict)] if isinstance(history, list) else []
    turns: list[TurnRecord]
    turn_keys: list[str | None] = []
    merged: list[tuple[str, str]] = []
    first_at = epoch(row.get("created_at")) if row else None
    if history:
        turns = [_turn_from_history(session_id, h, first_at or now, agent) for h in history]
        merged += [("chat_turns", str(t["id"])) for t in chat_turns]  # the same turns, logged again
    elif chat_turns:
        turns = [_turn_from_chat_turn(t, agent) for t in chat_turns]
        turn_keys = [str(t["id"]) for t in chat_turns]
    else:
        turns = []
        for log in logs:
            at = epoch(log.get("created_at")) or first_at or now
            turns.append(
                TurnRecord(session_id, "customer", str(log.get("customer_message") or ""), at, meta={"original": True})
            )
            if log.get("agent_response"):
                turns.append(
                    TurnRecord(
                        session_id,
                        "bot",
                        str(log["agent_response"]),
                        at + 0.001,
                        source=source_of(log.get("source")),
                        confidence=float(log["confidence"]) if isinstance(log.get("confidence"), int | float) else None,
                        meta={"original": True},
                    )
                )
    # Turns keep their order; equal or missing times are spread by a microsecond each.
    for i in range(1, len(turns)):
        if turns[i].created_at <= turns[i - 1].created_at:
            turns[i].created_at = turns[i - 1].created_at + 1e-6
    first = logs[0] if logs else (chat_turns[0] if chat_turns else None)
    record = _session_record(session_id, row, first, outcome, turns, now)
    plan = SessionPlan(record, turns, merged=merged)
    plan.turn_keys = turn_keys or [None] * len(turns)
    _match_logs(plan, logs)
    _match_insights(plan, insights)
    if outcome is not None:
        if outcome.get("resolved_at") is not None:
            plan.outcome = outcome
        else:
            plan.merged.append(("session_outcomes", str(outcome["id"])))  # a hand-off marker
    return plan


def outcome_row(outcome: dict[str, Any], record: SessionRecord) -> dict[str, Any]:
    resolved = epoch(outcome.get("resolved_at")) or record.updated_at
    return {
        "session_id": record.id,
        "status": str(outcome.get("status") or "solved")[:64],
        "issue_category": outcome.get("issue_category") or None,
        "root_cause": outcome.get("root_cause") or None,
        "resolution_notes": outcome.get("resolution_notes") or None,
        "resolved_by": outcome.get("resolved_by") or None,
        "handoff_reason": outcome.get("handoff_reason") or record.handoff_reason,
        "handoff_at": record.handoff_at,
        "accepted_at": epoch(outcome.get("accepted_at")) or record.accepted_at,
        "resolved_at": resolved,
        "time_to_accept_s": outcome.get("time_to_accept_seconds"),
        "time_to_resolve_s": outcome.get("time_to_resolution_seconds"),
        "channel": record.channel,
        "lang": record.lang,
        "assigned_agent": record.assigned_agent,
        "created_at": resolved,
    }


def log_row(log: dict[str, Any], record: SessionRecord) -> dict[str, Any]:
    text = str(log.get("customer_message") or "")
    return {
        "session_id": record.id,
        "customer_id": log.get("customer_id") or record.customer_id,
        "channel": str(log.get("channel") or record.channel)[:20],
        "lang": lang_of(None, text) if text else record.lang,
        "customer_message": text,
        "response": log.get("agent_response"),
        "source": source_of(log.get("source")),
        "confidence": float(log["confidence"]) if isinstance(log.get("confidence"), int | float) else None,
        "escalated": 1 if log.get("escalated") else 0,
        "created_at": epoch(log.get("created_at")) or record.created_at,
    }


def insight_row(insight: dict[str, Any], record: SessionRecord) -> dict[str, Any]:
    text = str(insight.get("message_text") or "")
    return {
        "session_id": record.id,
        "intent": insight.get("intent") or None,
        "sentiment": insight.get("sentiment") or None,
        "confidence_bucket": insight.get("confidence_bucket") or None,
        "knowledge_gap": 1 if insight.get("is_knowledge_gap") else 0,
        "classifier": "original-nura",
        "lang": lang_of(insight.get("language"), text),
        "created_at": epoch(insight.get("created_at")) or record.created_at,
    }


def gap_reason(value: Any) -> str:
    """The original's free-text gap reason as one of ours."""
    text = str(value or "").lower()
    if "confiden" in text or "low" in text or "ambig" in text:
        return "low_confidence"
    if "feedback" in text or "thumb" in text:
        return "thumbs_down"
    if "handoff" in text or "escalat" in text:
        return "handoff_after_answer"
    return "out_of_scope"


def feedback_value(score: Any) -> str | None:
    text = str(score if score is not None else "").strip().lower()
    if text in FEEDBACK_UP:
        return "up"
    if text in FEEDBACK_DOWN:
        return "down"
    return None


def user_row(row: dict[str, Any], now: float) -> tuple[dict[str, Any], bool]:
    """``(our users row, whether its password works)``. bcrypt hashes (the original's) are kept:
    we check them and store argon2id at the first login; anything else needs a new password."""
    stored = str(row.get("password_hash") or "")
    usable = bool(_BCRYPT.match(stored))
    created = epoch(row.get("created_at")) or now
    return (
        {
            "username": str(row["username"]),
            "password_hash": stored if usable else RESET_REQUIRED,
            "role": row.get("role") if row.get("role") in ROLES else "agent",
            "display_name": row.get("display_name") or None,
            "active": 1 if row.get("is_active", True) else 0,
            "token_version": int(row.get("token_version") or 0),
            "created_at": created,
            "updated_at": created,
            "last_login_at": epoch(row.get("last_login")),
        },
        usable,
    )


def canned_row(row: dict[str, Any], now: float) -> dict[str, Any]:
    title = str(row.get("title") or "").strip() or f"reply {row['id']}"
    return {
        "id": f"original-{row['id']}",
        "lang": lang_of(row.get("language"), str(row.get("body") or "")),
        "title": title[:200],
        "text": str(row.get("body") or ""),
        "created_at": epoch(row.get("created_at")) or now,
        "updated_at": epoch(row.get("updated_at")) or epoch(row.get("created_at")) or now,
    }


def is_suggestion_case(row: dict[str, Any]) -> bool:
    return row.get("source") == "suggestion" or row.get("department") == "suggestions"


def suggestion_row(row: dict[str, Any], now: float) -> dict[str, Any]:
    """A suggestion/complaint case (the original's widget form) as a row of our suggestions."""
    tags = [str(t).lower() for t in (row.get("tags") or [])]
    found = _CASE_MESSAGE.search(str(row.get("description") or ""))
    text = (found.group(1) if found else "") or str(row.get("title") or "")
    text = re.sub(r"^Customer (suggestion|complaint):\s*", "", text.strip())
    status = str(row.get("status") or "open")
    created = epoch(row.get("created_at")) or now
    notes = "\n".join(x for x in (f"case {row.get('case_number')}", str(row.get("internal_notes") or "")) if x.strip())
    return {
        "session_id": row.get("session_id") or None,
        "kind": "complaint" if "complaint" in tags else "suggestion",
        "text": text[:4000] or "(empty)",
        "contact": None,
        "lang": lang_of(None, text),
        "status": "new" if status in CASE_OPEN else ("reviewed" if status == "resolved" else "closed"),
        "note": notes[:4000] or None,
        "handled_by": row.get("owner") or None,
        "created_at": created,
        "updated_at": epoch(row.get("updated_at")) or created,
    }


def tree_click_row(row: dict[str, Any]) -> dict[str, Any]:
    article = row.get("article_id")
    return {
        "session_id": row.get("session_id"),
        "customer_id": row.get("customer_id"),
        "topic_id": _slug_or_none(row.get("topic_id")),
        "article_id": article_id_for(int(article)) if isinstance(article, int) and article >= 0 else None,
        "label": row.get("topic_label"),
        "lang": lang_of(None, str(row.get("topic_label") or "")),
        "channel": "web",
        "created_at": epoch(row.get("created_at")),
    }


def _slug_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)[:128]


def archived(row: dict[str, Any]) -> str:
    return json.dumps(plain(row), ensure_ascii=False, sort_keys=True)


def canned_id_ok(value: str) -> bool:
    return bool(value) and not _SLUG.search(value)
