"""The hand-off lifecycle: ``bot → pending_handoff → human_active → resolved`` (DESIGN.md §7).

This service owns a session's status, agent and timings. Every transition (request, accept,
transfer, release, resolve) is a command applied to the committed row inside one write
transaction (``SessionStore.apply``): it checks the current status, writes only the hand-off
columns, bumps the session's version and returns the committed row, which is what the live
cache then gets (newest version wins). When two agents accept the same session at once, the
writer runs the two commands one after the other and the second finds the session taken: 409.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nura_appliance.analytics.gaps import propose_from_handoff
from nura_appliance.conversation.messages import message
from nura_appliance.conversation.service import session_summary, turn_payload
from nura_appliance.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nura_appliance.handoff.business_hours import BusinessHours
from nura_appliance.realtime.sse import AGENTS_CHANNEL
from nura_appliance.storage.base import (
    GapStore,
    HandoffStore,
    OutboxItem,
    SessionChange,
    SessionRecord,
    SessionStore,
    Transaction,
    TurnRecord,
)

if TYPE_CHECKING:  # annotations only: the composition root hands these in
    from nura_appliance.auth.service import UserService
    from nura_appliance.conversation.sessions import SessionService
    from nura_appliance.settings import Settings
    from nura_appliance.storage.bus import EventBus

log = logging.getLogger(__name__)

HUMAN_STATUSES = ("pending_handoff", "human_active")
OUTCOME_STATUSES = ("solved", "unsolved", "escalated", "follow_up", "no_response", "duplicate", "spam")
# Which HANDOFF_TRIGGERS switch governs each hand-off reason; unknown reasons (a widget's own
# label on the agent button) count as the button.
REASON_TRIGGERS = {
    "explicit_request": "explicit",
    "negative_sentiment": "sentiment",
    "low_confidence": "low_confidence",
    "bad_feedback": "feedback",
    "direct_request": "button",
}
_REASON = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Actor:
    """Who is acting: the agent name recorded on the session, and whether they may act for others."""

    name: str
    is_admin: bool
    display: str | None = None

    @property
    def shown_as(self) -> str:
        """The name staff records show (display name, else username)."""
        return self.display or self.name

    @property
    def customer_name(self) -> str | None:
        """The name customers see: the display name only, never the username (None: the widget
        and Telegram say "an agent" in the customer's language)."""
        return (self.display or "").strip() or None


@dataclass
class Outcome:
    """The outcome fields of a resolution (the original NURA's resolve body)."""

    status: str
    issue_category: str | None = None
    root_cause: str | None = None
    resolution_notes: str | None = None
    resolved_by: str | None = None
    # The article that answers the customer's question (issue 16), or NEW_TOPIC: the question is
    # then proposed on the Knowledge gaps page as an example question (or a new topic).
    answer_article: str | None = None


NEW_TOPIC = "none"
_ARTICLE_REF = re.compile(r"^[\w.-]{1,64}$")


def _text_field(body: dict[str, Any], key: str, max_chars: int) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"'{key}' must be a string", code="invalid_field", details={"field": key})
    value = value.strip()
    if len(value) > max_chars:
        raise ValidationFailed(
            f"'{key}' is longer than {max_chars} characters",
            code="invalid_field",
            details={"field": key, "max_chars": max_chars},
        )
    return value or None


def parse_outcome(body: dict[str, Any]) -> Outcome:
    """Validate a resolve body; an unknown ``status`` is 422 naming the accepted values."""
    status = body.get("status", "solved")
    if not isinstance(status, str) or status not in OUTCOME_STATUSES:
        raise ValidationFailed(
            f"'status' must be one of {', '.join(OUTCOME_STATUSES)}",
            code="invalid_outcome",
            details={"field": "status", "allowed": list(OUTCOME_STATUSES)},
        )
    answer_article = _text_field(body, "answer_article", 64)
    if answer_article is not None and not _ARTICLE_REF.match(answer_article):
        raise ValidationFailed(
            f"'answer_article' must be an article id or '{NEW_TOPIC}'",
            code="invalid_field",
            details={"field": "answer_article"},
        )
    return Outcome(
        status,
        _text_field(body, "issue_category", 100),
        _text_field(body, "root_cause", 200),
        _text_field(body, "resolution_notes", 4000),
        _text_field(body, "resolved_by", 100),
        answer_article,
    )


def parse_reason(value: Any) -> str:
    if value is None or value == "":
        return "direct_request"
    if not isinstance(value, str) or not _REASON.match(value.strip().lower().replace(" ", "_").replace("-", "_")):
        raise ValidationFailed(
            "'reason' must be a short name like 'direct_request'", code="invalid_field", details={"field": "reason"}
        )
    return value.strip().lower().replace(" ", "_").replace("-", "_")


def _joined(lang: str, agent: str | None) -> str:
    """ "Omar joined the conversation", or "An agent joined …" without a display name."""
    return message("agent_joined", lang, agent=agent) if agent else message("agent_joined_neutral", lang)


class HandoffService:
    """Hand-off state changes for customers (request) and agents (accept … resolve)."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: HandoffStore,
        gaps: GapStore,
        bus: EventBus,
        sessions: SessionService,
        sessions_store: SessionStore,
        users: UserService | None,
    ) -> None:
        self.settings = settings
        self.handoff_store = store  # the hand-off and desk SQL (storage/base.py HandoffStore)
        self.gap_store = gaps  # the knowledge gap an agent's resolve may propose
        self.bus = bus
        self.sessions = sessions
        self.store = sessions_store
        # The auth feature's users (display names customers see); None without the auth feature.
        self.users = users
        self.hours = BusinessHours(settings.business_hours, settings.business_timezone)
        # The in-process lifecycle loop, when no job consumer schedules those jobs (routes.py).
        self.lifecycle_task: asyncio.Task[None] | None = None

    # -- customer side ----------------------------------------------------------------------------
    def trigger_enabled(self, reason: str) -> bool:
        settings = self.settings
        return bool(settings.handoff_enabled) and REASON_TRIGGERS.get(reason, "button") in settings.handoff_triggers

    def is_open(self, at: float | None = None) -> bool:
        return self.hours.is_open(at)

    def start(self, current: SessionRecord, reason: str, lang: str, at: float) -> tuple[dict[str, Any], str]:
        """The hand-off fields for the committed row ``current`` and what to tell the customer.

        Outside business hours the session stays with the bot, the request is remembered
        (``handoff_reason``, ``handoff_at``, ``meta.offline_handoff_at``) and the customer gets the
        offline message inviting them to leave contact details (``POST /v1/offline-requests``).
        """
        fields: dict[str, Any] = {
            "handoff_reason": reason,
            "handoff_at": at,
            "assigned_agent": None,
            "accepted_at": None,
            "resolved_at": None,
        }
        meta = dict(current.meta)
        if not self.is_open(at):
            meta["offline_handoff_at"] = at
            fields["meta"] = meta
            return fields, message("handoff_offline", lang)
        if "offline_handoff_at" in meta:
            meta.pop("offline_handoff_at")
            fields["meta"] = meta
        fields["status"] = "pending_handoff"
        return fields, message("handoff_started", lang)

    async def request(
        self,
        session: SessionRecord | None,
        token: str,
        *,
        customer_id: str | None,
        channel: str,
        reason: str,
        lang: str | None,
    ) -> dict[str, Any]:
        """The widget's agent button / ``POST /v1/handoff/direct``: escalate without asking the bot."""
        created = session is None
        if session is None:
            session, token = self.sessions.new(
                customer_id=customer_id, channel=channel, lang=lang or self.settings.default_lang
            )
        lang = lang or session.lang
        if not self.trigger_enabled(reason):
            if created:
                session = await self.sessions.create(session)
            elif session.status in HUMAN_STATUSES:
                return self._request_answer(
                    session, token, message("waiting_for_agent", lang), escalated=True, created=created
                )
            return self._request_answer(
                session, token, message("handoff_disabled", lang), escalated=False, created=created
            )
        committed, turn, text = await self.escalate(session.id, reason, lang, new=session if created else None)
        answer = self._request_answer(committed, token, text, escalated=True, created=created)
        if turn is not None:
            answer["message_id"] = turn.id
        return answer

    async def escalate(
        self, session_id: str, reason: str, lang: str, *, new: SessionRecord | None = None
    ) -> tuple[SessionRecord, TurnRecord | None, str]:
        """A hand-off outside the message pipeline (the agent button, bad feedback): on the
        committed row, queue the session (or, closed hours, record the offline request), with the
        notice to the customer and the outbox row for the webhook; then cache and events. A
        session already waiting for or talking to a person is left as it is (no turn)."""

        def command(_conn: Transaction, current: SessionRecord) -> SessionChange:
            if current.status in HUMAN_STATUSES:
                return SessionChange(result=message("waiting_for_agent", lang))
            now = time.time()
            fields, text = self.start(current, reason, lang, now)
            if current.status in ("resolved", "closed") and "status" not in fields:
                fields["status"] = "bot"  # closed hours: a new bot conversation that remembers the request
            turn = TurnRecord(current.id, "system", text, now, source="handoff", meta={"kind": "handoff", "lang": lang})
            outbox = []
            if self.settings.background_jobs_enabled:
                outbox.append(OutboxItem("handoff_started", {"session_id": current.id, "reason": reason}))
            return SessionChange(fields, [turn], outbox=outbox, result=text)

        committed, change = await self.sessions.apply(session_id, command, new=new)
        if not change.turns:
            return committed, None, change.result
        self._publish_turn(committed.id, change.turns[0])
        self._publish_status(committed)
        self.bus.publish(AGENTS_CHANNEL, "handoff", session_summary(committed))
        return committed, change.turns[0], change.result

    def _request_answer(
        self, session: SessionRecord, token: str, text: str, *, escalated: bool, created: bool
    ) -> dict[str, Any]:
        return {
            "ok": True,
            "escalated": escalated,
            "session_id": session.id,
            "session_token": token,
            "new_session": created,
            "status": session.status,
            "response": text,
            "offline": escalated and session.status == "bot",
            "handoff_reason": session.handoff_reason,
        }

    # -- agent side -------------------------------------------------------------------------------
    async def accept(self, session_id: str, actor: Actor) -> SessionRecord:
        """``pending_handoff → human_active`` for ``actor``; 409 when not pending or already taken."""

        def command(conn: Transaction, current: SessionRecord) -> SessionChange:
            if current.status != "pending_handoff":
                taken = current.status == "human_active"
                raise Conflict(
                    f"session is already taken by {current.assigned_agent}"
                    if taken
                    else f"session is not waiting for an agent (status {current.status})",
                    code="already_accepted" if taken else "not_pending",
                    details={"status": current.status, "assigned_agent": current.assigned_agent},
                )
            self._check_capacity(conn, actor.name)
            now = time.time()
            self.handoff_store.event_in(conn, session_id, "accepted", actor.name, None, now)
            # The turn carries the display name: the widget's banner names the agent from it.
            shown = actor.customer_name or self.handoff_store.display_name_in(
                conn, actor.name
            )  # also for ?agent_id= actors
            turn = self._system_turn(current, _joined(current.lang, shown), now, shown)
            fields = {"status": "human_active", "assigned_agent": actor.name, "accepted_at": now}
            return SessionChange(fields, [turn])

        session, change = await self.sessions.apply(session_id, command)
        turn = change.turns[0]
        await self._after_transition(session, turn)
        self.bus.publish(
            AGENTS_CHANNEL,
            "assignment",
            {"session_id": session_id, "action": "accepted", "agent": actor.name, "display_name": turn.sender_name},
        )
        return session

    async def transfer(self, session_id: str, to_agent: str, actor: Actor) -> SessionRecord:
        """Hand an active session to another agent (the holder or an admin may do it)."""

        def command(conn: Transaction, current: SessionRecord) -> SessionChange:
            if current.status != "human_active":
                raise Conflict(
                    f"only an active session can be transferred (status {current.status})",
                    code="not_active",
                    details={"status": current.status},
                )
            self._check_holder(current, actor)
            if current.assigned_agent and current.assigned_agent.lower() == to_agent.lower():
                raise Conflict(f"the session is already with {to_agent}", code="same_agent")
            self._check_known_agent(conn, to_agent)
            self._check_capacity(conn, to_agent)
            now = time.time()
            self.handoff_store.event_in(
                conn, session_id, "transferred", actor.name, f"{current.assigned_agent} -> {to_agent}", now
            )
            shown = self.handoff_store.display_name_in(conn, to_agent)
            turn = self._system_turn(current, _joined(current.lang, shown), now, shown)
            return SessionChange({"assigned_agent": to_agent}, [turn])

        session, change = await self.sessions.apply(session_id, command)
        turn = change.turns[0]
        await self._after_transition(session, turn)
        self.bus.publish(
            AGENTS_CHANNEL,
            "assignment",
            {
                "session_id": session_id,
                "action": "transferred",
                "agent": to_agent,
                "by": actor.name,
                "display_name": turn.sender_name,
            },
        )
        return session

    async def release(self, session_id: str, actor: Actor) -> SessionRecord:
        """Put an active session back in the queue (``human_active → pending_handoff``)."""

        def command(conn: Transaction, current: SessionRecord) -> SessionChange:
            if current.status != "human_active":
                raise Conflict(
                    f"only an active session can be released (status {current.status})",
                    code="not_active",
                    details={"status": current.status},
                )
            self._check_holder(current, actor)
            self.handoff_store.event_in(conn, session_id, "released", actor.name, current.assigned_agent, time.time())
            return SessionChange({"status": "pending_handoff", "assigned_agent": None, "accepted_at": None})

        session, _ = await self.sessions.apply(session_id, command)
        await self._after_transition(session, None)
        self.bus.publish(
            AGENTS_CHANNEL, "assignment", {"session_id": session_id, "action": "released", "agent": actor.name}
        )
        self.bus.publish(AGENTS_CHANNEL, "handoff", session_summary(session))
        return session

    async def resolve(self, session_id: str, outcome: Outcome, actor: Actor) -> dict[str, Any]:
        """Close a hand-off with its outcome; writes one ``session_outcomes`` row. 409 when resolved."""

        def command(conn: Transaction, current: SessionRecord) -> SessionChange:
            if current.status == "resolved":
                raise Conflict("the session is already resolved", code="already_resolved")
            if current.status not in HUMAN_STATUSES:
                raise Conflict(
                    f"the session is not in hand-off (status {current.status})",
                    code="not_in_handoff",
                    details={"status": current.status},
                )
            if current.status == "human_active":
                self._check_holder(current, actor)
            article = outcome.answer_article
            if article not in (None, NEW_TOPIC) and not self.handoff_store.article_exists_in(conn, article):
                raise ValidationFailed(
                    f"article {article} does not exist", code="article_not_found", details={"field": "answer_article"}
                )
            now = time.time()
            row: dict[str, Any] = {
                "session_id": session_id,
                "status": outcome.status,
                "issue_category": outcome.issue_category,
                "root_cause": outcome.root_cause,
                "resolution_notes": outcome.resolution_notes,
                "resolved_by": outcome.resolved_by or actor.name,
                "handoff_reason": current.handoff_reason,
                "handoff_at": current.handoff_at,
                "accepted_at": current.accepted_at,
                "resolved_at": now,
                "time_to_accept_s": (
                    current.accepted_at - current.handoff_at if current.accepted_at and current.handoff_at else None
                ),
                "time_to_resolve_s": now - current.handoff_at if current.handoff_at else None,
                "channel": current.channel,
                "lang": current.lang,
                "assigned_agent": current.assigned_agent,
                "created_at": now,
            }
            row["id"] = self.handoff_store.insert_outcome_in(conn, row)
            if article is not None:
                row["proposed"] = propose_from_handoff(
                    self.gap_store,
                    conn,
                    session_id,
                    None if article == NEW_TOPIC else article,
                    current.handoff_at or now,
                    now,
                )
            self.handoff_store.event_in(conn, session_id, "resolved", actor.name, outcome.status, now)
            turn = self._system_turn(current, message("resolved", current.lang), now)
            return SessionChange({"status": "resolved", "resolved_at": now}, [turn], result=row)

        session, change = await self.sessions.apply(session_id, command)
        await self._after_transition(session, change.turns[0])
        self.bus.publish(
            AGENTS_CHANNEL, "assignment", {"session_id": session_id, "action": "resolved", "agent": actor.name}
        )
        return {"ok": True, "session_id": session_id, "status": session.status, "outcome": change.result}

    async def agent_message(
        self,
        session_id: str,
        text: str,
        sender_name: str | None,
        actor: Actor,
        *,
        attachments: list[dict[str, Any]] | None = None,
        after: Callable[[Any, TurnRecord], None] | None = None,
    ) -> TurnRecord:
        """An agent's reply; 409 unless the session is active (never to a closed or resolved one).

        ``attachments`` (public attachment dicts) are shown with the turn; ``after(conn, turn)``
        runs in the same transaction once the turn has its id (it writes the attachment rows)."""

        def command(conn: Transaction, current: SessionRecord) -> SessionChange:
            if current.status in ("resolved", "closed"):
                raise Conflict(
                    f"the session is {current.status}; it takes no more agent messages",
                    code="session_closed",
                    details={"status": current.status},
                )
            if current.status != "human_active":
                raise Conflict(
                    "accept the session before replying", code="not_accepted", details={"status": current.status}
                )
            self._check_holder(current, actor)
            turn = TurnRecord(
                session_id,
                "agent",
                text,
                time.time(),
                source="agent",
                # The display name (also for agents acting through ?agent_id=), never the username.
                sender_name=sender_name or self.handoff_store.display_name_in(conn, actor.name),
                meta={"kind": "agent", "lang": current.lang, "agent": actor.name},
            )
            if attachments:
                turn.meta["attachments"] = attachments
            hook = None
            if after is not None:
                write_after = after

                def hook(conn: Transaction, turns: list[TurnRecord]) -> None:
                    write_after(conn, turns[0])

            return SessionChange({}, [turn], after=hook)

        _, change = await self.sessions.apply(session_id, command)
        turn = change.turns[0]
        self._publish_turn(session_id, turn)
        self.bus.publish(AGENTS_CHANNEL, "agent_message", {"session_id": session_id, "message": turn_payload(turn)})
        return turn

    async def set_capacity(self, agent: str, capacity: int | None) -> int:
        """Set (or with None, clear) an agent's own capacity; returns the effective value."""
        stored = await self.handoff_store.set_capacity(agent, capacity, time.time())
        return int(self.settings.agent_capacity) if stored is None else stored

    # -- reads ---------------------------------------------------------------------------------
    async def queue(self) -> dict[str, Any]:
        """Sessions waiting for an agent (oldest first) and active chats, with waiting time."""
        now = time.time()

        pending: list[dict[str, Any]] = []
        active: list[dict[str, Any]] = []
        for session, last_message, stale in await self.handoff_store.queue():
            summary = {**session_summary(session), "last_customer_message": last_message, "stale": stale}
            summary["waiting_s"] = round(now - summary["handoff_at"], 3) if summary["handoff_at"] else None
            (pending if summary["status"] == "pending_handoff" else active).append(summary)
        return {"pending": pending, "active": active, "business_open": self.is_open(now)}

    async def session_detail(self, session_id: str) -> dict[str, Any]:
        session, outcome, events = await self.handoff_store.detail(session_id)
        if session is None:
            raise NotFound("no session with this id", code="session_not_found")
        detail: dict[str, Any] = {
            "session": session_summary(session),
            "outcome": outcome,
            "handoff_events": events,
        }
        detail["messages"] = [turn_payload(t) for t in await self.store.turns(session_id, limit=5000)]
        return detail

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _check_holder(session: SessionRecord, actor: Actor) -> None:
        if not actor.is_admin and (session.assigned_agent or "").lower() != actor.name.lower():
            raise Forbidden(f"the session is assigned to {session.assigned_agent}", code="not_assigned")

    def _capacity(self, conn: Transaction, agent: str) -> int:
        own = self.handoff_store.capacity_in(conn, agent)
        return int(self.settings.agent_capacity) if own is None else own

    def _check_capacity(self, conn: Transaction, agent: str, *, including_new: bool = False) -> None:
        limit = self._capacity(conn, agent)
        held = self.handoff_store.active_count_in(conn, agent)
        if including_new:
            held -= 1
        if held >= limit:
            raise Conflict(
                f"{agent} already holds {held} active chats (capacity {limit})",
                code="agent_at_capacity",
                details={"agent": agent, "active": held, "capacity": limit},
            )

    def _check_known_agent(self, conn: Transaction, agent: str) -> None:
        """With staff accounts in place, a transfer must name an active agent or admin."""
        if not self.handoff_store.known_agent_in(conn, agent):
            raise ValidationFailed(
                f"{agent!r} is not an active agent", code="unknown_agent", details={"field": "agent"}
            )

    @staticmethod
    def _system_turn(session: SessionRecord, text: str, at: float, sender_name: str | None = None) -> TurnRecord:
        """A status notice in the transcript (the store writes it with the command's change)."""
        return TurnRecord(
            session.id,
            "system",
            text,
            at,
            source="handoff",
            sender_name=sender_name,
            meta={"kind": "status", "lang": session.lang},
        )

    def _publish_turn(self, session_id: str, turn: TurnRecord) -> None:
        self.bus.publish(f"session:{session_id}", "message", {"session_id": session_id, "message": turn_payload(turn)})

    async def agent_display_name(self, username: str | None) -> str | None:
        """The name customers see for a staff user (None: they see a generic "customer service")."""
        users = self.users
        return await users.display_name(username) if users is not None else None

    def _publish_status(self, session: SessionRecord, display_name: str | None = None) -> None:
        data = {
            "session_id": session.id,
            "status": session.status,
            "handoff_reason": session.handoff_reason,
            "assigned_agent": session.assigned_agent,
            # The assigned agent's display name for customers' banners (None: show a generic name).
            "display_name": display_name,
        }
        self.bus.publish(f"session:{session.id}", "status", data)
        self.bus.publish(AGENTS_CHANNEL, "status", data)

    async def _after_transition(self, session: SessionRecord, turn: TurnRecord | None) -> None:
        """Events after a committed transition (``sessions.apply`` already cached the row)."""
        if turn is not None:
            self._publish_turn(session.id, turn)
        self._publish_status(session, await self.agent_display_name(session.assigned_agent))

    def close(self) -> None:
        if self.lifecycle_task is not None:
            self.lifecycle_task.cancel()
            self.lifecycle_task = None
