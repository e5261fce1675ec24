"""Handling one customer message end to end: validate, load or create the session, run the
pipeline, apply hand-off triggers, persist the turn atomically, publish events.

Who decides what (docs/HANDOFF.md, "Who owns the session"): the message path owns the turns, the
counters and the bot's fields of a session; it writes them with one command applied to the
committed row (``SessionStore.apply``), never by saving a copy it read before the answer. Messages
of one session are handled one at a time (``SessionService.ordered``). Routing follows the
committed status: a message for a session in hand-off goes to the agent side; a bot answer that
finishes after a hand-off began is stored (``kind: withheld``) but not delivered to the customer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from nura_appliance.conversation.messages import message
from nura_appliance.conversation.pipeline import Answer, Pipeline
from nura_appliance.conversation.sessions import SessionService
from nura_appliance.errors import BadRequest, ValidationFailed
from nura_appliance.knowledge.language import detect_with_hint
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.settings import Settings
from nura_appliance.storage.base import (
    ExchangeLog,
    OutboxItem,
    SessionChange,
    SessionRecord,
    SessionStore,
    Transaction,
    TurnRecord,
)
from nura_appliance.storage.bus import EventBus
from nura_appliance.text_policy import describe, forbidden_character

_CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")
_ID = re.compile(r"^[\w.@:+-]{1,128}$")
LOW_CONFIDENCE_KINDS = ("ambiguous", "out_of_scope", "fallback")
InsightWrite = Callable[[Any, "int | None"], None]  # (connection, customer message id)
# ``await writer(payload)``: the local classification of a customer message as a write to run in
# the message's own transaction, or None to leave it to the classify_message job.
InsightWriter = Callable[[dict[str, Any]], Awaitable["InsightWrite | None"]]
HUMAN_STATUSES = ("pending_handoff", "human_active")


@dataclass
class IncomingMessage:
    text: str
    session_id: str | None
    session_token: str | None
    customer_id: str | None
    channel: str
    lang_hint: str | None


def _opt_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"'{key}' must be a string", code="invalid_field", details={"field": key})
    return value


def parse_message(body: Any, max_chars: int, header_token: str | None = None) -> IncomingMessage:
    """Validate a ``POST /v1/message`` body; every problem is a 4xx naming the field."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object", code="invalid_body")
    text = body.get("message")
    if text is None:
        raise ValidationFailed("'message' is required", code="missing_field", details={"field": "message"})
    if not isinstance(text, str):
        raise ValidationFailed("'message' must be a string", code="invalid_field", details={"field": "message"})
    bad = forbidden_character(text)
    if bad is not None:
        raise ValidationFailed(
            f"'message' contains a character that cannot be stored or shown ({describe(bad)})",
            code="invalid_characters",
            details={"field": "message", "character": describe(bad)},
        )
    text = text.strip()
    if not text:
        raise ValidationFailed("'message' is empty", code="empty_message", details={"field": "message"})
    if len(text) > max_chars:
        raise ValidationFailed(
            f"'message' is longer than {max_chars} characters",
            code="message_too_long",
            details={"field": "message", "max_chars": max_chars},
        )
    session_id = _opt_str(body, "session_id")
    if session_id is not None and not _ID.match(session_id):
        raise ValidationFailed("'session_id' is malformed", code="invalid_field", details={"field": "session_id"})
    customer_id = _opt_str(body, "customer_id")
    if customer_id is not None and not _ID.match(customer_id):
        raise ValidationFailed(
            "'customer_id' must be 1-128 letters, digits or . _ - @ : +",
            code="invalid_field",
            details={"field": "customer_id"},
        )
    channel = _opt_str(body, "channel") or "web"
    if not _CHANNEL.match(channel):
        raise ValidationFailed(
            "'channel' must be a short lower-case name like 'web'", code="invalid_field", details={"field": "channel"}
        )
    lang = _opt_str(body, "lang")
    if lang is not None and lang not in LANGS:
        raise ValidationFailed(f"'lang' must be one of {LANG_LIST}", code="invalid_field", details={"field": "lang"})
    token = _opt_str(body, "session_token") or header_token
    return IncomingMessage(text, session_id or None, token, customer_id, channel, lang)


def choose_language(text: str, hint: str | None, fallback: str) -> str:
    """The customer's language for this message: detected from the text; when the evidence is
    weak (a short Latin text: Kurmanji or English? Arabic script without Sorani or Arabic
    markers), the widget's choice of the same script decides (knowledge.language)."""
    return detect_with_hint(text, hint, fallback)


class HandoffStarter(Protocol):
    def start(self, current: SessionRecord, reason: str, lang: str, at: float) -> tuple[dict[str, Any], str]:
        """The hand-off fields to write to the committed row ``current`` (status, reason, timings)
        and the text to tell the customer. Runs inside the message's write transaction."""
        ...


class BasicHandoff:
    """Queue the session for a person (the hand-off feature replaces this with business hours,
    webhooks and agent notifications)."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    def start(self, current: SessionRecord, reason: str, lang: str, at: float) -> tuple[dict[str, Any], str]:
        fields = {"status": "pending_handoff", "handoff_reason": reason, "handoff_at": at}
        return fields, message("handoff_started", lang)


def taken_over(read_status: str, read_resolved_at: float | None, current: SessionRecord) -> bool:
    """Whether a hand-off began (or ended in a resolution) between reading the session (its status
    and ``resolved_at`` then) and the committed row ``current``: the bot no longer owns the
    conversation it answered."""
    if current.status in HUMAN_STATUSES:
        return True
    return current.status == "resolved" and current.resolved_at != read_resolved_at


class _Rerouted(Exception):
    """The committed status no longer matches the route a message took; take it again."""


class ConversationService:
    def __init__(
        self,
        settings: Settings,
        sessions: SessionService,
        store: SessionStore,
        pipeline: Pipeline,
        bus: EventBus,
        handoff: HandoffStarter | None = None,
        inline_insight: InsightWriter | None = None,
    ) -> None:
        """``handoff``: the hand-off starter (the hand-off feature's service; else a basic queue).
        ``inline_insight``: the analytics feature's insight writer; None: the classify_message job
        classifies every message."""
        self.settings = settings
        self.sessions = sessions
        self.store = store
        self.pipeline = pipeline
        self.bus = bus
        self.handoff: HandoffStarter = handoff or BasicHandoff(bus)
        self.inline_insight: InsightWriter | None = inline_insight

    def _triggers(self, session: SessionRecord, answer: Answer) -> str | None:
        settings = self.settings
        if not settings.handoff_enabled:
            return None
        enabled = settings.handoff_triggers
        if answer.kind == "handoff":
            return answer.handoff_reason
        if "sentiment" in enabled and session.negative_count >= settings.handoff_negative_sentiment_count:
            return "negative_sentiment"
        if "low_confidence" in enabled and session.low_confidence_streak >= settings.handoff_low_confidence_count:
            return "low_confidence"
        return None

    async def handle(self, incoming: IncomingMessage) -> dict[str, Any]:
        started = time.perf_counter()
        if incoming.session_id is None:
            lang = choose_language(incoming.text, incoming.lang_hint, self.settings.default_lang)
            session, token = self.sessions.new(customer_id=incoming.customer_id, channel=incoming.channel, lang=lang)
            return await self._route(session, token, incoming, started, created=True, lang=lang)
        # One message of a session at a time, in arrival order; the session is read once the
        # previous message is committed.
        async with self.sessions.ordered(incoming.session_id):
            session = await self.sessions.authorize(incoming.session_id, incoming.session_token)
            return await self._route(session, incoming.session_token or "", incoming, started, created=False)

    async def _route(
        self,
        session: SessionRecord,
        token: str,
        incoming: IncomingMessage,
        started: float,
        *,
        created: bool,
        lang: str | None = None,
    ) -> dict[str, Any]:
        """``lang``: the message's language when already chosen (a new session is started in it)."""
        now = time.time()
        lang = lang or choose_language(incoming.text, incoming.lang_hint, session.lang)
        for _ in range(3):
            customer_turn = TurnRecord(session.id, "customer", incoming.text, now, meta={"lang": lang})
            try:
                if session.status in HUMAN_STATUSES:
                    return await self._to_agent(session, token, customer_turn, incoming.customer_id, lang)
                return await self._to_bot(session, token, customer_turn, incoming, lang, started, created)
            except _Rerouted:
                session = await self.store.get(session.id) or session
        raise BadRequest("the session keeps changing; send the message again", code="session_changed")

    async def _to_agent(
        self, session: SessionRecord, token: str, turn: TurnRecord, customer_id: str | None, lang: str
    ) -> dict[str, Any]:
        """A person owns the conversation: store the message for the agent side and stop."""

        def command(_conn: Transaction, current: SessionRecord) -> SessionChange:
            if current.status not in HUMAN_STATUSES:
                raise _Rerouted
            fields: dict[str, Any] = {"message_count": current.message_count + 1}
            if customer_id and not current.customer_id:
                fields["customer_id"] = customer_id
            return SessionChange(fields, [turn])

        committed, change = await self.sessions.apply(session.id, command, expected=session)
        self._publish_customer_message(committed, change.turns[0])
        return self._response(
            committed, token, change.turns[0].id, Answer("agent", "", "agent", 1.0, lang), escalated=True, created=False
        )

    async def _to_bot(
        self,
        session: SessionRecord,
        token: str,
        customer_turn: TurnRecord,
        incoming: IncomingMessage,
        lang: str,
        started: float,
        created: bool,
    ) -> dict[str, Any]:
        # ``session`` is this request's own copy of the committed row (never shared with the cache):
        # the pipeline may read it, and the command compares its hand-off state with the row's.
        read_status, read_resolved_at = session.status, session.resolved_at
        session.lang = lang
        answer = await self.pipeline.answer(incoming.text, lang, {"session": session})
        customer_id = incoming.customer_id
        insight: InsightWrite | None = None
        classify: dict[str, Any] | None = None
        if self.settings.background_jobs_enabled:
            classify = {
                "session_id": session.id,
                "text": incoming.text,
                "lang": lang,
                "kind": answer.kind,
                "confidence": answer.confidence,
                "sentiment": answer.sentiment,
            }
            if self.inline_insight is not None:
                insight = await self.inline_insight(classify)
        after = None
        if insight is not None:
            write_insight = insight

            def after(conn: Transaction, written: list[TurnRecord]) -> None:
                write_insight(conn, written[0].id)

        latency_ms = round((time.perf_counter() - started) * 1000, 2)

        def command(_conn: Transaction, current: SessionRecord) -> SessionChange:
            fields: dict[str, Any] = {"message_count": current.message_count + 1}
            if customer_id and not current.customer_id:
                fields["customer_id"] = customer_id
            outbox = [OutboxItem("classify_message", dict(classify))] if classify and insight is None else []
            if taken_over(read_status, read_resolved_at, current):
                # A hand-off began while the bot was answering: the person owns the chat now. The
                # answer is kept in the transcript for the agent, never delivered to the customer.
                bot_turn = self._bot_turn(current.id, answer, answer.response, lang, withheld=True)
                log = self._log(current, incoming.text, customer_turn.created_at, answer, lang, False, latency_ms)
                return SessionChange(fields, [customer_turn, bot_turn], log, outbox, after, result=None)
            negative, streak = current.negative_count, current.low_confidence_streak
            if current.status in ("resolved", "closed"):
                # A new message after a resolution starts a fresh bot conversation.
                fields["status"] = "bot"
                negative = streak = 0
            if answer.sentiment == "negative":
                negative += 1
            if answer.kind in LOW_CONFIDENCE_KINDS:
                streak += 1
            elif answer.kind in ("article", "rag", "rule"):
                streak = 0
            fields.update(lang=lang, negative_count=negative, low_confidence_streak=streak)
            # ``current`` is this transaction's own copy of the row: the trigger check and the
            # hand-off see it with the message's changes.
            for name, value in fields.items():
                setattr(current, name, value)
            reason = self._triggers(current, answer)
            response = answer.response
            if reason:
                handoff_fields, text = self.handoff.start(current, reason, lang, time.time())
                fields.update(handoff_fields)
                response = text if answer.kind == "handoff" else f"{answer.response}\n\n{text}".strip()
                outbox.append(OutboxItem("handoff_started", {"session_id": current.id, "reason": reason}))
            bot_turn = self._bot_turn(current.id, answer, response, lang)
            log = self._log(current, incoming.text, customer_turn.created_at, answer, lang, bool(reason), latency_ms)
            log.response = response
            log.customer_id = fields.get("customer_id", current.customer_id)
            return SessionChange(fields, [customer_turn, bot_turn], log, outbox, after, result=(response, reason))

        # The message's command writes nothing but its change: it may run on the row read at the
        # start (one statement, no read in the transaction) when nobody changed the row meanwhile.
        committed, change = await self.sessions.apply(
            session.id, command, new=session if created else None, expected=None if created else session
        )
        turns = change.turns
        if change.result is None:
            self._publish_customer_message(committed, turns[0])
            return self._response(
                committed, token, turns[0].id, Answer("agent", "", "agent", 1.0, lang), escalated=True, created=created
            )
        answer.response, reason = change.result
        if reason:
            answer.handoff_reason = reason
        self._publish_exchange(committed, turns, bool(reason))
        return self._response(committed, token, turns[1].id, answer, escalated=bool(reason), created=created)

    @staticmethod
    def _bot_turn(session_id: str, answer: Answer, text: str, lang: str, *, withheld: bool = False) -> TurnRecord:
        meta: dict[str, Any] = {"kind": answer.kind, "lang": lang, "candidates": answer.candidates}
        if withheld:
            meta.update(kind="withheld", answer_kind=answer.kind)
        return TurnRecord(
            session_id,
            "bot",
            text,
            time.time(),
            source=answer.source,
            confidence=answer.confidence,
            article_id=answer.article_id,
            sources=answer.sources,
            meta=meta,
        )

    @staticmethod
    def _log(
        session: SessionRecord,
        text: str,
        at: float,
        answer: Answer,
        lang: str,
        escalated: bool,
        latency_ms: float,
    ) -> ExchangeLog:
        return ExchangeLog(
            session_id=session.id,
            customer_message=text,
            created_at=at,
            customer_id=session.customer_id,
            channel=session.channel,
            lang=lang,
            response=answer.response,
            source=answer.source,
            confidence=answer.confidence,
            escalated=escalated,
            article_id=answer.article_id,
            latency_ms=latency_ms,
        )

    async def attachment_turn(
        self,
        session: SessionRecord,
        turn: TurnRecord,
        lang: str,
        *,
        after: Callable[[Any, list[TurnRecord]], None],
    ) -> list[TurnRecord]:
        """Persist a customer's attachment turn; ``after(conn, turns)`` writes the attachment rows
        in the same transaction. The bot never looks at the file: a person owning the chat gets it
        in the agent queue; otherwise a bot turn suggests asking for a person (or, without
        hand-off, describing the problem in text). Returns the written turns; ``session`` is
        updated to the committed row."""
        offer_person = bool(self.settings.handoff_enabled) and "button" in self.settings.handoff_triggers

        def command(_conn: Transaction, current: SessionRecord) -> SessionChange:
            fields: dict[str, Any] = {"message_count": current.message_count + 1}
            if current.status in HUMAN_STATUSES:
                return SessionChange(fields, [turn], after=after, result=True)
            if current.status in ("resolved", "closed"):
                fields.update(status="bot", low_confidence_streak=0, negative_count=0)
            reply = TurnRecord(
                current.id,
                "bot",
                message("attachment_bot" if offer_person else "attachment_bot_no_handoff", lang),
                time.time(),
                meta={"kind": "attachment_reply", "lang": lang, "offer_person": offer_person},
            )
            return SessionChange(fields, [turn, reply], after=after, result=False)

        if session.version == 0:  # a session started by this upload
            committed, change = await self.sessions.apply(session.id, command, new=session)
        else:
            async with self.sessions.ordered(session.id):
                committed, change = await self.sessions.apply(session.id, command)
        session.__dict__.update(committed.__dict__)
        if change.result:
            self._publish_customer_message(committed, change.turns[0])
        else:
            self._publish_exchange(committed, change.turns, False)
        return change.turns

    def _publish_customer_message(self, session: SessionRecord, turn: TurnRecord) -> None:
        payload = {"session_id": session.id, "message": turn_payload(turn)}
        self.bus.publish_many([(f"session:{session.id}", "message", payload), ("agents", "customer_message", payload)])

    def _publish_exchange(self, session: SessionRecord, turns: list[TurnRecord], escalated: bool) -> None:
        """The message and its answer (and a hand-off's status and queue entry): one publish call,
        one queued item and one Redis script call in scale-out mode (``publish_many``)."""
        channel = f"session:{session.id}"
        events: list[tuple[str, str, dict[str, Any]]] = [
            (channel, "message", {"session_id": session.id, "message": turn_payload(turn)}) for turn in turns
        ]
        if escalated:
            events.append(
                (
                    channel,
                    "status",
                    {"session_id": session.id, "status": session.status, "handoff_reason": session.handoff_reason},
                )
            )
            events.append(("agents", "handoff", session_summary(session)))
        self.bus.publish_many(events)

    @staticmethod
    def _response(
        session: SessionRecord, token: str, message_id: int | None, answer: Answer, *, escalated: bool, created: bool
    ) -> dict[str, Any]:
        return {
            "session_id": session.id,
            "session_token": token,
            "new_session": created,
            "response": answer.response,
            "channel": session.channel,
            "escalated": escalated or session.status in HUMAN_STATUSES,
            "confidence": round(float(answer.confidence), 3),
            "source": answer.source,
            "source_doc": answer.source_doc,
            "article_id": answer.article_id,
            "sources": answer.sources,
            "quick_replies": answer.candidates if answer.kind in ("ambiguous", "out_of_scope", "fallback") else [],
            "handoff_reason": answer.handoff_reason or session.handoff_reason,
            "kind": answer.kind,
            "lang": answer.lang,
            "message_id": message_id,
            "status": session.status,
        }


def turn_payload(turn: TurnRecord) -> dict[str, Any]:
    """The public shape of one transcript message."""
    return {
        "id": turn.id,
        "role": turn.role,
        "text": turn.text,
        "source": turn.source,
        "confidence": turn.confidence,
        "article_id": turn.article_id,
        "sources": turn.sources or [],
        "sender_name": turn.sender_name,
        "kind": turn.meta.get("kind"),
        "lang": turn.meta.get("lang"),
        "created_at": turn.created_at,
        # Photos and PDFs shown with this message (issue 20): see nura_appliance/attachments.
        "attachments": turn.meta.get("attachments") or [],
    }


def session_summary(session: SessionRecord) -> dict[str, Any]:
    """The public shape of a session (no token hash)."""
    data = session.to_dict()
    data.pop("token_hash", None)
    data["session_id"] = data.pop("id")
    return data
