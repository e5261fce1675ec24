"""The WhatsApp Business (Cloud API) channel: the same message pipeline and hand-off as the web
widget and Telegram, over Meta's Graph API.

* A WhatsApp number (``wa_id``) maps to one session (``whatsapp_contacts``); its messages go
  through ``ctx.conversations.handle`` with channel ``whatsapp`` and customer id ``wa:<number>``.
  The language is detected from the text. A number whose session was resolved or closed starts a
  fresh session. Numbers are masked in logs (last three digits).
* The topic tree is sent as interactive list messages (at most 10 rows per list: a longer level
  continues in a further list behind a "More" row; a branch opens its own list); answers carry a
  source label and quick-reply buttons for the main menu and "talk to an agent".
* Photos and documents are fetched through the media endpoint into the attachment store (or,
  without attachments, acknowledged and handed to a person); a location is passed to the agent.
* Every outbound message is queued in ``whatsapp_outbound`` and sent at once in order; what could
  not be sent (the Graph API down or throttling) is retried with back-off by the outbox
  (``whatsapp_send`` jobs), and a circuit breaker like the LLM providers' stops calling an API
  that is down. Delivery statuses (sent, delivered, read, failed) from the webhook are recorded;
  one that comes before its message's id was saved is kept by the store and applied with the id.
* Agent replies and status notices are read from the transcript by a delivery loop, as for
  Telegram. WhatsApp only lets a business write freely within 24 hours of the customer's last
  message; after that an agent's reply is refused with 409 ``whatsapp_window_closed`` and the
  admin offers the approved template (``WHATSAPP_TEMPLATE_NAME``) instead.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

from nura_appliance.channels.shared import authorized_or_none, request_person
from nura_appliance.channels.telegram import source_label, split_text
from nura_appliance.channels.telegram import text as telegram_text
from nura_appliance.channels.whatsapp_api import WhatsAppError
from nura_appliance.channels.whatsapp_outbound import (
    BODY_LIMIT,
    INTERACTIVE_BODY_LIMIT,
    LIST_ROWS,
    WhatsAppOutbound,
    buttons_message,
    list_message,
    mask_number,
    text_message,
)
from nura_appliance.conversation.service import parse_message
from nura_appliance.errors import Forbidden, NotFound, NuraError, RateLimited, Unauthorized, ValidationFailed
from nura_appliance.knowledge.pack import pick_text
from nura_appliance.languages import fallback_order
from nura_appliance.storage.base import CustomerIdentity, SessionRecord

log = logging.getLogger(__name__)

ACCEPTED_MEDIA = ("application/pdf", "image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")

# Labels that must fit WhatsApp's limits: button titles ≤ 20 characters, list button ≤ 20,
# row titles ≤ 24 (longer topic labels are cut and shown whole in the row's description).
TEXTS: dict[str, dict[str, str]] = {
    "agent_button": {
        "ar": "التحدث مع موظف",
        "ckb": "قسە لەگەڵ کارمەند",
        "ku": "Karmendekî bixwaze",
        "en": "Talk to an agent",
    },
    "menu_button": {"ar": "القائمة الرئيسية", "ckb": "لیستی سەرەکی", "ku": "Menuya sereke", "en": "Main menu"},
    "list_button": {"ar": "اختر موضوعاً", "ckb": "بابەتێک هەڵبژێرە", "ku": "Mijarekê hilbijêre", "en": "Pick a topic"},
    "more_row": {"ar": "المزيد…", "ckb": "زیاتر…", "ku": "Zêdetir…", "en": "More…"},
    "more_heading": {
        "ar": "مواضيع أخرى:",
        "ckb": "بابەتی تر:",
        "ku": "Mijarên din:",
        "en": "More topics:",
    },
    "location_received": {
        "ar": "وصلنا موقعك. إذا أردت أن يستخدمه موظف، اختر «التحدث مع موظف».",
        "ckb": "شوێنەکەت گەیشت. ئەگەر دەتەوێت کارمەندێک بەکاری بهێنێت، «قسە لەگەڵ کارمەند» هەڵبژێرە.",
        "ku": "Cihê te gihîşt. Heke tu dixwazî karmendek wî bi kar bîne, «Karmendekî bixwaze» hilbijêre.",
        "en": "We received your location. If you want an agent to use it, choose “Talk to an agent”.",
    },
    "file_to_agent": {
        "ar": "وصل ملفك. سيطّلع عليه أحد الموظفين.",
        "ckb": "فایلەکەت گەیشت. کارمەندێک سەیری دەکات.",
        "ku": "Pelê te gihîşt. Karmendek dê lê binêre.",
        "en": "We received your file. An agent will look at it.",
    },
}


# A text that asks for the topic menu (WhatsApp has no slash commands), with its language, which
# a number that has not written before takes.
MENU_WORDS = {
    "menu": "en",
    "/menu": "en",
    "start": "en",
    "/start": "en",
    "القائمة": "ar",
    "قائمة": "ar",
    "المواضيع": "ar",
    "لیست": "ckb",
    "مێنیو": "ckb",
    "menû": "ku",
    "lîste": "ku",
}


def wa_text(key: str, lang: str, **values: str) -> str:
    """A WhatsApp label, else the Telegram channel's text of the same key (shared wording)."""
    texts = TEXTS.get(key)
    if texts is None:
        return telegram_text(key, lang, **values)
    found = next((texts[c] for c in fallback_order(lang) if texts.get(c)), texts["ar"])
    return found.format(**values) if values else found


def signature_valid(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """Whether ``X-Hub-Signature-256`` is ``sha256=<hex HMAC-SHA256 of the raw body>`` with the app
    secret (compared in constant time)."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :].strip().lower().encode(), expected.encode())


def _obj(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty one (notifications are read defensively)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _find(node: dict[str, Any] | None, node_id: str) -> dict[str, Any] | None:
    if node is None:
        return None
    if node.get("id") == node_id:
        return node
    for child in node.get("children", []):
        found = _find(child, node_id)
        if found is not None:
            return found
    return None


class WhatsAppChannel(WhatsAppOutbound):
    """Handles webhook notifications for one business number (sending: :class:`WhatsAppOutbound`)."""

    # -- sessions ---------------------------------------------------------------------------------
    async def _live_session(self, contact: dict[str, Any] | None) -> tuple[str | None, str | None]:
        """The number's session to continue, or (None, None) when it must start fresh."""
        if not contact or not contact.get("session_id"):
            return None, None
        session = await self.ctx.sessions.get(contact["session_id"])
        if session is None or session.status in ("resolved", "closed"):
            return None, None
        return contact["session_id"], contact["session_token"]

    async def _session(self, wa_id: str, lang: str) -> tuple[SessionRecord, str]:
        """The number's live session record and token, a new one when it has none."""
        contact = await self.store.contact(wa_id)
        session_id, token = await self._live_session(contact)
        session = await authorized_or_none(self.ctx.sessions, session_id, token)
        if session is not None:
            return session, token or ""  # a live session came with its token
        return self.ctx.sessions.new(customer_id=f"wa:{wa_id}", channel="whatsapp", lang=lang)

    async def _remember(self, wa_id: str, session_id: str, token: str, lang: str) -> None:
        before = await self.store.contact(wa_id)
        await self.store.remember(wa_id, session_id=session_id, token=token, lang=lang)
        if (before or {}).get("session_id") != session_id and self.ctx.identities is not None:
            # WhatsApp has proven the number: the session's customer is that number, and the
            # agent sees the profile name and the number.
            identity = CustomerIdentity(
                session_id=session_id,
                updated_at=time.time(),
                customer_id=f"wa:{wa_id}",
                verified=True,
                name=(before or {}).get("profile_name"),
                phone=f"+{wa_id}",
                attributes={"channel": "WhatsApp"},
            )
            await self.ctx.identities.remember(session_id, identity)

    def _lang(self, contact: dict[str, Any] | None) -> str:
        return str((contact or {}).get("lang") or self.settings.default_lang)

    # -- inbound ----------------------------------------------------------------------------------
    async def handle_payload(self, body: dict[str, Any], request: Any = None) -> dict[str, int]:
        """One webhook notification: every message (once per message id) and every status."""
        counts = {"messages": 0, "duplicates": 0, "statuses": 0}
        if body.get("object") not in (None, "whatsapp_business_account"):
            return counts
        for entry in _list(body.get("entry")):
            for change in _list(_obj(entry).get("changes")):
                value = _obj(change).get("value")
                if not isinstance(value, dict):
                    continue
                phone_id = str(_obj(value.get("metadata")).get("phone_number_id") or "")
                if phone_id and phone_id != str(self.settings.whatsapp_phone_number_id):
                    log.warning("whatsapp notification for another phone number id ignored")
                    continue
                names = {
                    str(c.get("wa_id")): str(_obj(c.get("profile")).get("name") or "")[:120] or None
                    for c in _list(value.get("contacts"))
                    if isinstance(c, dict)
                }
                for status in _list(value.get("statuses")):
                    if isinstance(status, dict) and await self._on_status(status):
                        counts["statuses"] += 1
                for message in _list(value.get("messages")):
                    if not isinstance(message, dict) or not message.get("from") or not message.get("id"):
                        continue
                    wa_id = str(message["from"])
                    if not wa_id.isdigit() or len(wa_id) > 20:  # a WhatsApp id is the number's digits
                        continue
                    if not await self.store.first_time(str(message["id"]), wa_id):
                        counts["duplicates"] += 1
                        continue
                    counts["messages"] += 1
                    try:
                        await self._on_message(wa_id, message, names.get(wa_id), request)
                    except Exception:  # noqa: BLE001 - one bad message must not lose the others
                        log.exception("whatsapp message from %s failed", mask_number(wa_id))
        return counts

    async def _on_status(self, status: dict[str, Any]) -> bool:
        errors = _list(status.get("errors"))
        error = None
        if errors and isinstance(errors[0], dict):
            first = errors[0]
            error = f"{first.get('code', '')} {first.get('title') or first.get('message') or ''}".strip()
        return await self.store.status(str(status.get("id") or ""), str(status.get("status") or ""), error)

    async def _on_message(self, wa_id: str, msg: dict[str, Any], name: str | None, request: Any) -> None:
        contact = await self.store.contact(wa_id)
        lang = self._lang(contact)
        # The customer wrote: the 24-hour window (re)opens from now. A new number has no language
        # yet (its first text decides, without a default tipping a close call).
        await self.store.remember(
            wa_id,
            session_id=None,
            token=None,
            lang=(contact or {}).get("lang"),
            profile_name=name,
            inbound_at=time.time(),
        )
        await self._mark_read(str(msg["id"]), typing=not await self._with_person(contact))
        kind = msg.get("type")
        if kind == "text":
            body = str(_obj(msg.get("text")).get("body") or "")
            word = body.strip().lower()
            if word in MENU_WORDS:
                if not (contact or {}).get("lang"):
                    lang = MENU_WORDS[word]
                    await self.store.remember(wa_id, session_id=None, token=None, lang=lang)
                await self.send_menu(wa_id, lang)
            else:
                await self.converse(wa_id, body, request=request)
        elif kind in ("interactive", "button"):
            await self._on_choice(wa_id, msg, lang, request)
        elif kind in ("image", "document"):
            await self.receive_media(wa_id, msg, lang)
        elif kind == "location":
            await self._on_location(wa_id, _obj(msg.get("location")), lang, request)
        elif kind in ("reaction", "system", "unsupported", "ephemeral"):
            return
        else:  # audio, video, stickers, contacts: ask for text
            await self.send(wa_id, None, [("text", text_message(wa_text("text_only", lang)))])

    async def _with_person(self, contact: dict[str, Any] | None) -> bool:
        """Whether a person holds (or is about to take) the number's conversation."""
        session_id, _ = await self._live_session(contact)
        session = await self.ctx.sessions.get(session_id) if session_id else None
        return session is not None and session.status in ("pending_handoff", "human_active")

    async def _mark_read(self, message_id: str, *, typing: bool) -> None:
        """Blue ticks; "typing…" only when the bot is about to answer (not while a person holds
        the conversation: the customer would wait for an answer that is not coming)."""
        if not self.breaker.allows_traffic():
            return
        try:
            await self.api.mark_read(message_id, typing=typing)
        except WhatsAppError as exc:  # blue ticks are a courtesy; the answer matters
            log.info("whatsapp mark-read failed: %s", exc)

    async def _on_choice(self, wa_id: str, msg: dict[str, Any], lang: str, request: Any) -> None:
        """A tapped list row or reply button (ids: ``t:<node>`` a branch, ``p:<node>:<offset>`` the
        rest of a long level, ``a:<article>`` / ``l:<leaf node>`` an article, ``m`` menu, ``h`` agent)."""
        interactive = _obj(msg.get("interactive"))
        picked = _obj(interactive.get("list_reply") or interactive.get("button_reply"))
        button = _obj(msg.get("button"))  # a template's quick-reply button
        choice = str(picked.get("id") or button.get("payload") or "")[:256]
        title = str(picked.get("title") or button.get("text") or "")[:256]
        kind, _, ref = choice.partition(":")
        if kind == "m":
            await self.send_menu(wa_id, lang)
        elif kind == "t":
            await self.send_menu(wa_id, lang, node_id=ref)
        elif kind == "p":
            node_id, _, offset = ref.rpartition(":")
            await self.send_menu(wa_id, lang, node_id=node_id or None, offset=int(offset) if offset.isdigit() else 0)
        elif kind == "a":
            await self.send_article(wa_id, ref, lang)
        elif kind == "l":
            node = _find(await self.ctx.knowledge.tree(), ref)
            await self.send_article(wa_id, str((node or {}).get("article") or ""), lang)
        elif kind == "h":
            await self.request_agent(wa_id, lang)
        elif title:  # a template's quick reply or an id we do not know: treat the words as text
            await self.converse(wa_id, title, request=request)

    async def _over_limit(self, wa_id: str, session_id: str | None, lang: str, request: Any) -> bool:
        """The web's per-session message budget (RATE_LIMIT_MESSAGES_PER_MINUTE, bucket ``message``
        keyed by the session): the customer is told once per window, further messages dropped."""
        limit = int(self.settings.rate_limit_messages_per_minute)
        key = session_id or f"wa:{wa_id}"
        limits = self.ctx.limits
        if limits is not None and request is not None:
            try:
                await limits.hit(request, "message", key, limit, 60, lang=lang)
                return False
            except RateLimited:
                pass
        else:
            count = await self.ctx.cache.incr(f"rl:message:{key}:{int(time.time() // 60)}", 65)
            if count <= limit:
                return False
        told = await self.ctx.cache.incr(f"rl:whatsapp-told:{wa_id}:{int(time.time() // 60)}", 65)
        if told == 1:
            await self.send(wa_id, session_id, [("text", text_message(wa_text("slow_down", lang)))])
        log.info("whatsapp number %s is over %d messages a minute", mask_number(wa_id), limit)
        return True

    async def converse(self, wa_id: str, body: str, *, request: Any = None) -> dict[str, Any] | None:
        """Send the text through the message pipeline and reply with the answer."""
        contact = await self.store.contact(wa_id)
        lang = self._lang(contact)
        session_id, token = await self._live_session(contact)
        if await self._over_limit(wa_id, session_id, lang, request):
            return None
        raw = {
            "message": body,
            "session_id": session_id,
            "session_token": token,
            "customer_id": f"wa:{wa_id}",
            "channel": "whatsapp",
        }
        try:
            incoming = parse_message(raw, self.settings.message_max_chars)
            # The language comes from the text; the number's earlier language decides a tie.
            incoming.lang_hint = (contact or {}).get("lang") or None
            try:
                result = await self.ctx.conversations.handle(incoming)
            except (NotFound, Forbidden, Unauthorized):
                incoming.session_id = incoming.session_token = None
                result = await self.ctx.conversations.handle(incoming)
        except ValidationFailed:
            await self.send(wa_id, session_id, [("text", text_message(wa_text("invalid", lang)))])
            return None
        lang = result.get("lang") or lang
        await self._remember(wa_id, result["session_id"], result["session_token"], lang)
        reply = (result.get("response") or "").strip()
        if reply:
            label = source_label(result, lang)
            if label:
                reply = f"{reply}\n\n{label}"
            await self.send(wa_id, result["session_id"], self._answer(reply, result, lang))
        return result

    def _answer(self, reply: str, result: dict[str, Any], lang: str) -> list[tuple[str, dict[str, Any]]]:
        """The answer's messages: text pieces; the last one with the menu/agent buttons when it
        fits an interactive body; the ambiguous answer's candidates as a list."""
        pieces = split_text(reply, BODY_LIMIT) or [reply]
        out: list[tuple[str, dict[str, Any]]] = [("text", text_message(p)) for p in pieces[:-1]]
        candidates = [
            (f"a:{c['article_id']}", str(c.get("title") or c["article_id"]))
            for c in result.get("quick_replies") or []
            if c.get("article_id")
        ]
        last = pieces[-1]
        if candidates and len(last) <= INTERACTIVE_BODY_LIMIT:
            out.append(("list", list_message(last, wa_text("list_button", lang), candidates[:LIST_ROWS])))
        elif len(last) <= INTERACTIVE_BODY_LIMIT and not result.get("escalated"):
            out.append(("buttons", buttons_message(last, self._footer_buttons(lang))))
        else:
            out.append(("text", text_message(last)))
        return out

    def _footer_buttons(self, lang: str) -> list[tuple[str, str]]:
        buttons = [("m", wa_text("menu_button", lang))]
        if self.settings.handoff_enabled:
            buttons.append(("h", wa_text("agent_button", lang)))
        return buttons

    async def request_agent(self, wa_id: str, lang: str) -> None:
        """Hand the number's conversation to a person (the same queue as the widget's button)."""
        session_id, token = await self._live_session(await self.store.contact(wa_id))
        result = await request_person(
            self.ctx, session_id, token, customer_id=f"wa:{wa_id}", channel="whatsapp", lang=lang
        )
        if result is None:
            await self.converse(wa_id, wa_text("agent_phrase", lang))
            return
        await self._remember(wa_id, result["session_id"], result["session_token"], lang)
        if result.get("response"):
            await self.send(wa_id, result["session_id"], [("text", text_message(result["response"]))])

    async def _on_location(self, wa_id: str, location: dict[str, Any], lang: str, request: Any) -> None:
        """A shared location: to the agent when a person holds the conversation; otherwise noted
        with the offer of a person (the bot cannot use it)."""
        lat, lon = location.get("latitude"), location.get("longitude")
        if not isinstance(lat, int | float) or not isinstance(lon, int | float):
            return
        place = " — ".join(str(location[k]) for k in ("name", "address") if location.get(k))
        line = f"📍 {lat:.6f}, {lon:.6f}" + (f" ({place})" if place else "")
        line += f"\nhttps://maps.google.com/?q={lat:.6f},{lon:.6f}"
        contact = await self.store.contact(wa_id)
        session_id, _ = await self._live_session(contact)
        if await self._with_person(contact):
            await self.converse(wa_id, line, request=request)
            return
        buttons = [("h", wa_text("agent_button", lang))] if self.settings.handoff_enabled else []
        message = (
            buttons_message(wa_text("location_received", lang), buttons)
            if buttons
            else text_message(wa_text("location_received", lang))
        )
        await self.send(wa_id, session_id, [("buttons" if buttons else "text", message)])

    # -- photos and documents ------------------------------------------------------------------------
    async def receive_media(self, wa_id: str, msg: dict[str, Any], lang: str) -> None:
        """A photo or document: fetched through the media endpoint, checked and stored like a widget
        attachment. Without attachments it is acknowledged and the conversation handed to a person."""
        kind = str(msg.get("type"))
        media = _obj(msg.get(kind))
        service = self.ctx.attachments
        if not self.settings.attachments_enabled or service is None:
            await self.send(wa_id, None, [("text", text_message(wa_text("file_to_agent", lang)))])
            if self.settings.handoff_enabled:
                await self.request_agent(wa_id, lang)
            return
        limit = int(self.settings.attachment_max_bytes)
        mb = f"{limit / 1_000_000:g}"
        mime = str(media.get("mime_type") or "").split(";")[0].strip()
        if kind == "document" and mime and mime not in ACCEPTED_MEDIA:
            await self.send(wa_id, None, [("text", text_message(wa_text("file_refused", lang, reason=mime)))])
            return
        try:
            info = await self.api.media(str(media.get("id") or ""))
            if int(info.get("file_size") or 0) > limit:
                raise WhatsAppError("media", 413, None, "too large")
            data = await self.api.download(str(info["url"]), limit)
        except WhatsAppError as exc:
            log.warning("whatsapp file from %s could not be fetched: %s", mask_number(wa_id), exc)
            key = "file_too_large" if exc.status == 413 else "invalid"
            await self.send(wa_id, None, [("text", text_message(wa_text(key, lang, mb=mb)))])
            return
        name = str(media.get("filename") or f"{kind}-{str(msg.get('id', ''))[-8:]}")
        try:
            prepared = await service.prepare_all([(name, data)])
        except NuraError as exc:
            await self.send(wa_id, None, [("text", text_message(wa_text("file_refused", lang, reason=exc.message)))])
            return
        session, token = await self._session(wa_id, lang)
        caption = str(media.get("caption") or "").strip()[: self.settings.message_max_chars] or None
        turns, _records = await service.from_customer(session, prepared, caption=caption, lang=lang, channel="whatsapp")
        await self._remember(wa_id, session.id, token, lang)
        if len(turns) > 1:  # the bot cannot look at files; it offers a person
            body = turns[1].text
            if turns[1].meta.get("offer_person") and len(body) <= INTERACTIVE_BODY_LIMIT:
                await self.send(
                    wa_id, session.id, [("buttons", buttons_message(body, [("h", wa_text("agent_button", lang))]))]
                )
            else:
                await self.send(wa_id, session.id, [("text", text_message(body))])

    # -- topic tree and articles ---------------------------------------------------------------------
    async def send_menu(self, wa_id: str, lang: str, *, node_id: str | None = None, offset: int = 0) -> None:
        tree = await self.ctx.knowledge.tree()
        node = _find(tree, node_id) if tree and node_id else tree
        contact = await self.store.contact(wa_id)
        session_id = (contact or {}).get("session_id")
        if node_id and node is None or not node:
            await self.send(wa_id, session_id, [("text", text_message(wa_text("unavailable", lang)))])
            return
        rows: list[tuple[str, str]] = []
        for child in node.get("children", []):
            label, _ = pick_text(child["label"], lang)
            action = child.get("action")
            if action == "complaint" or (action == "agent" and not self.settings.handoff_enabled):
                continue  # the chat has no complaint form
            if action == "agent":
                rows.append(("h", label))
            elif child.get("article"):
                # Row ids must be unique in a list: a second leaf of the same article names its node.
                row_id = f"a:{child['article']}"
                rows.append((row_id if all(r[0] != row_id for r in rows) else f"l:{child['id']}", label))
            else:
                rows.append((f"t:{child['id']}", label))
        if node_id:
            rows.append(("m", wa_text("menu_button", lang)))
        if self.settings.handoff_enabled and not any(r[0] == "h" for r in rows):
            rows.append(("h", wa_text("agent_button", lang)))
        # At most 10 rows a list: a longer level shows 9 and a "More" row that opens the rest.
        page = rows[offset:]
        if len(page) > LIST_ROWS:
            page = page[: LIST_ROWS - 1] + [(f"p:{node_id or ''}:{offset + LIST_ROWS - 1}", wa_text("more_row", lang))]
        if offset:
            heading = wa_text("more_heading", lang)
        elif node_id:
            heading = pick_text(node["label"], lang)[0] or wa_text("pick_topic", lang)
        else:
            heading = wa_text("welcome", lang, company=self.settings.company_name)
        await self.send(wa_id, session_id, [("list", list_message(heading, wa_text("list_button", lang), page))])

    async def send_article(self, wa_id: str, article_id: str, lang: str) -> None:
        contact = await self.store.contact(wa_id)
        session_id = (contact or {}).get("session_id")
        answer = await self.ctx.pipeline.article_answer(article_id, lang, 1.0, kind="article", source="tree")
        if answer is None:
            await self.send(wa_id, session_id, [("text", text_message(wa_text("unavailable", lang)))])
            return
        label = wa_text("source_article", lang, title=answer.source_doc or article_id)
        reply = f"{answer.response}\n\n{label}"
        await self.send(wa_id, session_id, self._answer(reply, {}, lang))
        await self.store.tree_click(session_id, f"wa:{wa_id}", article_id, answer.source_doc, lang)
