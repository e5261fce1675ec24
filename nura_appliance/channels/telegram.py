"""The Telegram channel: the same message pipeline as the web widget, over the Bot API.

* A chat maps to one session (``telegram_chats``); its messages go through
  ``ctx.conversations.handle`` with channel ``telegram`` and customer id ``tg:<chat_id>``. A chat
  whose session was resolved or closed starts a fresh session.
* ``/start`` and ``/menu`` show the topic tree as inline keyboards; a leaf button
  (``callback_query``) answers with its article. Answers carry a source label.
* ``/agent`` (or the keyboard button) hands the chat off into the same agent queue as the web.
* Agent replies and hand-off status notices are read from the transcript (``chat_turns``) by a
  delivery loop, not from the in-process event bus: that works the same in ``nura serve``, in a
  standalone ``nura telegram`` process and after a restart, and never loses a reply that arrived
  while the bot was down. Each turn is claimed (compare-and-set on the chat's cursor) before it
  is sent, so two processes never deliver it twice.
* Updates arrive by long polling (:class:`TelegramPoller`) or by webhook
  (``telegram_routes.py``); each update id is handled once.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from nura_appliance.channels.shared import authorized_or_none, request_person, run_delivery_loop
from nura_appliance.channels.site import ChannelSite
from nura_appliance.channels.telegram_api import TelegramApi, TelegramError
from nura_appliance.conversation.service import parse_message
from nura_appliance.errors import Forbidden, NotFound, NuraError, Unauthorized, ValidationFailed
from nura_appliance.knowledge.pack import pick_text
from nura_appliance.languages import LANGS, fallback_order
from nura_appliance.storage.base import TelegramStore

log = logging.getLogger(__name__)

TEXT_LIMIT = 4000  # Telegram's limit is 4096 characters per message
CALLBACK_LIMIT = 64  # bytes of callback_data Telegram accepts
_PLACEHOLDER = re.compile(r"^\((photos?|documents?|files)\)$")  # attachments/service.py placeholder()

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "ar": "أهلاً بك في خدمة عملاء {company}! اكتب سؤالك أو اختر موضوعاً:",
        "ckb": "بەخێربێیت بۆ خزمەتگوزاریی کڕیارانی {company}! پرسیارەکەت بنووسە یان بابەتێک هەڵبژێرە:",
        "ku": "Bi xêr hatî xizmeta xerîdaran a {company}! Pirsa xwe binivîse an mijarekê hilbijêre:",
        "en": "Welcome to {company} customer service! Type your question or pick a topic:",
    },
    "pick_topic": {
        "ar": "اختر موضوعاً:",
        "ckb": "بابەتێک هەڵبژێرە:",
        "ku": "Mijarekê hilbijêre:",
        "en": "Pick a topic:",
    },
    "menu_button": {
        "ar": "🏠 القائمة الرئيسية",
        "ckb": "🏠 لیستی سەرەکی",
        "ku": "🏠 Menuya sereke",
        "en": "🏠 Main menu",
    },
    "agent_button": {
        "ar": "👤 التحدث مع موظف",
        "ckb": "👤 قسەکردن لەگەڵ کارمەند",
        "ku": "👤 Bi karmendekî re biaxive",
        "en": "👤 Talk to an agent",
    },
    "agent_phrase": {
        "ar": "أريد التحدث مع موظف",
        "ckb": "دەمەوێت قسە لەگەڵ کارمەندێک بکەم",
        "ku": "Ez dixwazim bi karmendekî re biaxivim",
        "en": "I want to talk to an agent",
    },
    "source_article": {
        "ar": "📄 المصدر: {title}",
        "ckb": "📄 سەرچاوە: {title}",
        "ku": "📄 Çavkanî: {title}",
        "en": "📄 Source: {title}",
    },
    "source_ai": {
        "ar": "🤖 إجابة آلية مبنية على: {title}",
        "ckb": "🤖 وەڵامی خۆکار لەسەر بنەمای: {title}",
        "ku": "🤖 Bersiva otomatîk li ser bingeha: {title}",
        "en": "🤖 AI answer based on: {title}",
    },
    "source_handbook": {
        "ar": "📘 من دليل الخدمة: {title}",
        "ckb": "📘 لە ڕێبەری خزمەتگوزارییەوە: {title}",
        "ku": "📘 Ji rêbera xizmetê: {title}",
        "en": "📘 From the service handbook: {title}",
    },
    "text_only": {
        "ar": "أستطيع قراءة الرسائل النصية فقط حالياً. اكتب سؤالك من فضلك.",
        "ckb": "لە ئێستادا تەنها دەتوانم نامەی نووسراو بخوێنمەوە. تکایە پرسیارەکەت بنووسە.",
        "ku": "Ez niha tenê peyamên nivîskî dikarim bixwînim. Ji kerema xwe pirsa xwe binivîse.",
        "en": "I can only read text messages for now. Please type your question.",
    },
    "invalid": {
        "ar": "تعذّرت قراءة رسالتك. أرسل نصاً أقصر من فضلك.",
        "ckb": "نەمتوانی نامەکەت بخوێنمەوە. تکایە دەقێکی کورتتر بنێرە.",
        "ku": "Min nikarî peyama te bixwînim. Ji kerema xwe nivîsekî kurttir bişîne.",
        "en": "I couldn't read your message. Please send a shorter text.",
    },
    "unavailable": {
        "ar": "هذا الموضوع غير متاح الآن.",
        "ckb": "ئەم بابەتە لە ئێستادا بەردەست نییە.",
        "ku": "Ev mijar niha ne berdest e.",
        "en": "This topic isn't available right now.",
    },
    "slow_down": {
        "ar": "رسائل كثيرة خلال وقت قصير. انتظر دقيقة ثم أعد المحاولة من فضلك.",
        "ckb": "لە ماوەیەکی کورتدا نامەی زۆر هاتن. تکایە خولەکێک چاوەڕێ بکە و دووبارە هەوڵ بدەرەوە.",
        "ku": "Di demeke kurt de gelek peyam hatin. Ji kerema xwe deqeyekê bisekine û dîsa biceribîne.",
        "en": "Too many messages in a short time. Please wait a minute and try again.",
    },
}


# Attachments (issue 20), in ar, ckb, ku and en.
TEXTS.update(
    {
        "file_refused": {
            "ar": "تعذّر استلام هذا الملف: {reason}. أرسل صورة (JPEG أو PNG) أو ملف PDF من فضلك.",
            "ckb": "نەتوانرا ئەم فایلە وەربگیرێت: {reason}. تکایە وێنەیەک (JPEG یان PNG) یان فایلێکی PDF بنێرە.",
            "ku": "Ev pel nehat wergirtin: {reason}. Ji kerema xwe wêneyek (JPEG an PNG) an pelê PDF bişîne.",
            "en": "I couldn't take this file: {reason}. Please send a photo (JPEG or PNG) or a PDF.",
        },
        "file_too_large": {
            "ar": "الملف أكبر من المسموح ({mb} ميغابايت). أرسل ملفاً أصغر من فضلك.",
            "ckb": "فایلەکە لە ڕێگەپێدراو گەورەترە ({mb} مێگابایت). تکایە فایلێکی بچووکتر بنێرە.",
            "ku": "Pel ji sînorê mezintir e ({mb} MB). Ji kerema xwe pelekî piçûktir bişîne.",
            "en": "The file is larger than allowed ({mb} MB). Please send a smaller one.",
        },
    }
)
ACCEPTED_DOCUMENTS = ("application/pdf", "image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")


def text(key: str, lang: str, **values: str) -> str:
    texts = TEXTS[key]
    found = next((texts[c] for c in fallback_order(lang) if texts.get(c)), texts["ar"])
    return found.format(**values) if values else found


def guess_lang(code: str | None, default: str) -> str:
    """Telegram's ``language_code`` (``ar``, ``ckb``, ``kmr``, ``en-GB``…) as one of ours."""
    base = (code or "").split("-")[0].lower()
    if base == "kmr":  # ISO 639-3 for Kurmanji
        return "ku"
    return base if base in LANGS else default


def source_label(answer: dict[str, Any], lang: str) -> str | None:
    """The line that tells the customer where an answer came from (none for rules/fallback)."""
    source = answer.get("source")
    titles = [s.get("title") for s in answer.get("sources") or [] if s.get("title")]
    title = answer.get("source_doc") or (titles[0] if titles else None)
    if source in ("article", "tree") and title:
        return text("source_article", lang, title=str(title))
    if source in ("openai", "local_llm") and titles:
        return text(
            "source_ai",
            lang,
            title="، ".join(dict.fromkeys(titles[:3])) if lang == "ar" else ", ".join(dict.fromkeys(titles[:3])),
        )
    if source == "rag" and title:
        return text("source_handbook", lang, title=str(title))
    return None


def split_text(body: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at paragraph or line ends where possible."""
    pieces: list[str] = []
    rest = body.strip()
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _button(label: str, data: str) -> dict[str, str] | None:
    if len(data.encode("utf-8")) > CALLBACK_LIMIT:
        log.warning("telegram button %r skipped: callback data longer than 64 bytes", label)
        return None
    return {"text": label[:60], "callback_data": data}


class TelegramChannel:
    """Handles updates for one bot and delivers agent replies back to the chats."""

    def __init__(self, ctx: ChannelSite, api: TelegramApi) -> None:
        self.ctx = ctx
        self.api = api
        self.store: TelegramStore = ctx.stores.telegram

    # -- chat ↔ session map --------------------------------------------------------------------
    async def chat(self, chat_id: str) -> dict[str, Any] | None:
        return await self.store.chat(chat_id)

    async def _remember(self, chat_id: str, session_id: str | None, token: str | None, lang: str) -> None:
        await self.store.remember(chat_id, session_id, token, lang)

    async def _live_session(self, chat: dict[str, Any] | None) -> tuple[str | None, str | None]:
        """The chat's session to continue, or (None, None) when it must start fresh."""
        if not chat or not chat.get("session_id"):
            return None, None
        session = await self.ctx.sessions.get(chat["session_id"])
        if session is None or session.status in ("resolved", "closed"):
            return None, None
        return chat["session_id"], chat["session_token"]

    async def _first_time(self, update_id: int | None) -> bool:
        if update_id is None:
            return True

        return await self.store.first_time(update_id)

    # -- updates --------------------------------------------------------------------------------
    async def handle_update(self, update: dict[str, Any]) -> None:
        """Answer one update (a message or a button press); redelivered updates are ignored."""
        if not isinstance(update, dict) or not await self._first_time(update.get("update_id")):
            return
        if isinstance(update.get("message"), dict):
            await self._on_message(update["message"])
        elif isinstance(update.get("callback_query"), dict):
            await self._on_callback(update["callback_query"])

    async def _on_message(self, msg: dict[str, Any]) -> None:
        chat_id = str((msg.get("chat") or {}).get("id", ""))
        if not chat_id:
            return
        chat = await self.chat(chat_id)
        sender_lang = (msg.get("from") or {}).get("language_code")
        lang = (chat or {}).get("lang") or guess_lang(sender_lang, self.ctx.settings.default_lang)
        body = msg.get("text")
        if self._file_of(msg) is not None:
            await self.receive_file(chat_id, msg, lang)
            return
        if not isinstance(body, str) or not body.strip():
            await self.send(chat_id, text("text_only", lang))
            return
        command = body.strip().split()[0].split("@")[0].lower() if body.startswith("/") else None
        if command in ("/start", "/menu", "/help"):
            if command == "/start" and not chat:
                await self._remember(chat_id, None, None, guess_lang(sender_lang, lang))
            await self.send_menu(chat_id, lang, welcome=command != "/menu")
        elif command in ("/agent", "/human"):
            await self.request_agent(chat_id, lang)
        else:
            await self.converse(chat_id, body, lang)

    async def _over_limit(self, chat_id: str) -> bool:
        """Per-chat message limit (RATE_LIMIT_MESSAGES_PER_MINUTE), like the web's per-session one;
        the customer is told once per minute, further messages are dropped silently."""
        limit = int(self.ctx.settings.rate_limit_messages_per_minute)
        count = await self.ctx.cache.incr(f"rl:telegram:{chat_id}:{self._minute()}", 65)
        return count > limit

    @staticmethod
    def _minute() -> int:
        return int(time.time() // 60)

    async def converse(self, chat_id: str, body: str, lang: str) -> dict[str, Any] | None:
        """Send the text through the message pipeline and reply with the answer."""
        if await self._over_limit(chat_id):
            limit = int(self.ctx.settings.rate_limit_messages_per_minute)
            count = await self.ctx.cache.incr(f"rl:telegram-told:{chat_id}:{self._minute()}", 65)
            if count == 1:
                await self.send(chat_id, text("slow_down", lang))
            log.info("telegram chat %s is over %d messages a minute", chat_id, limit)
            return None
        chat = await self.chat(chat_id)
        session_id, token = await self._live_session(chat)
        raw = {
            "message": body,
            "session_id": session_id,
            "session_token": token,
            "customer_id": f"tg:{chat_id}",
            "channel": "telegram",
            "lang": lang,
        }
        try:
            incoming = parse_message(raw, self.ctx.settings.message_max_chars)
            try:
                result = await self.ctx.conversations.handle(incoming)
            except (NotFound, Forbidden, Unauthorized):
                # The mapped session is gone (restored backup, purged data): start a fresh one.
                incoming.session_id = incoming.session_token = None
                result = await self.ctx.conversations.handle(incoming)
        except ValidationFailed:
            await self.send(chat_id, text("invalid", lang))
            return None
        await self._remember(chat_id, result["session_id"], result["session_token"], result.get("lang") or lang)
        reply = (result.get("response") or "").strip()
        if reply:
            label = source_label(result, result.get("lang") or lang)
            if label:
                reply = f"{reply}\n\n{label}"
            await self.send(chat_id, reply, self._quick_replies(result, result.get("lang") or lang))
        return result

    # -- attachments (photos and PDFs) --------------------------------------------------------------
    def _file_of(self, msg: dict[str, Any]) -> dict[str, Any] | None:
        """The photo (largest size) or document a message carries, when attachments are on."""
        if not self.ctx.settings.attachments_enabled or self.ctx.attachments is None:
            return None
        photos = msg.get("photo")
        if isinstance(photos, list) and photos:
            sizes = [p for p in photos if isinstance(p, dict) and p.get("file_id")]
            limit = int(self.ctx.settings.attachment_max_bytes)
            fitting = [p for p in sizes if int(p.get("file_size") or 0) <= limit] or sizes
            if fitting:
                best = max(fitting, key=lambda p: int(p.get("width") or 0) * int(p.get("height") or 0))
                return {**best, "file_name": f"photo-{msg.get('message_id', '')}.jpg"}
        document = msg.get("document")
        if isinstance(document, dict) and document.get("file_id"):
            return document
        return None

    async def receive_file(self, chat_id: str, msg: dict[str, Any], lang: str) -> None:
        """A customer's photo or document: fetched from Telegram, checked and stored like a widget
        attachment (the bot never processes it; a person owning the chat gets it)."""
        found = self._file_of(msg) or {}
        limit = int(self.ctx.settings.attachment_max_bytes)
        mb = f"{limit / 1_000_000:g}"
        if await self._over_limit(chat_id):
            return
        mime = found.get("mime_type")
        if "photo" not in msg and mime and mime not in ACCEPTED_DOCUMENTS:
            await self.send(chat_id, text("file_refused", lang, reason=str(mime)))
            return
        if int(found.get("file_size") or 0) > limit:
            await self.send(chat_id, text("file_too_large", lang, mb=mb))
            return
        try:
            info = await self.api.get_file(str(found["file_id"]))
            data = await self.api.download(str(info.get("file_path") or ""), limit)
        except TelegramError as exc:
            log.warning("telegram file from %s could not be fetched: %s", chat_id, exc)
            await self.send(chat_id, text("file_too_large", lang, mb=mb) if exc.code == 413 else text("invalid", lang))
            return
        service = self.ctx.attachments
        if service is None:  # _file_of found the file only with the attachments feature set up
            raise RuntimeError("the attachments feature is not set up (ctx.attachments)")
        try:
            prepared = await service.prepare_all([(str(found.get("file_name") or "file"), data)])
        except NuraError as exc:
            await self.send(chat_id, text("file_refused", lang, reason=exc.message))
            return
        session_id, token = await self._live_session(await self.chat(chat_id))
        session = await authorized_or_none(self.ctx.sessions, session_id, token)
        if session is None:
            session, token = self.ctx.sessions.new(customer_id=f"tg:{chat_id}", channel="telegram", lang=lang)
        caption = msg.get("caption") if isinstance(msg.get("caption"), str) else None
        turns, _records = await service.from_customer(
            session,
            prepared,
            caption=(caption or "").strip()[: self.ctx.settings.message_max_chars] or None,
            lang=lang,
            channel="telegram",
        )
        await self._remember(chat_id, session.id, token, lang)
        if len(turns) > 1:  # the bot's answer: it cannot look at files; offer a person
            markup = None
            if turns[1].meta.get("offer_person"):
                button = _button(text("agent_button", lang), "h")
                markup = {"inline_keyboard": [[button]]} if button else None
            await self.send(chat_id, turns[1].text, markup)

    async def request_agent(self, chat_id: str, lang: str) -> None:
        """Hand the chat to a person: through the hand-off service when it is installed (same queue
        as the web widget's agent button), else as an explicit request through the pipeline."""
        session_id, token = await self._live_session(await self.chat(chat_id))
        result = await request_person(
            self.ctx, session_id, token, customer_id=f"tg:{chat_id}", channel="telegram", lang=lang
        )
        if result is None:
            await self.converse(chat_id, text("agent_phrase", lang), lang)
            return
        await self._remember(chat_id, result["session_id"], result["session_token"], lang)
        if result.get("response"):
            await self.send(chat_id, result["response"])

    async def _on_callback(self, query: dict[str, Any]) -> None:
        chat_id = str(((query.get("message") or {}).get("chat") or {}).get("id", ""))
        data = str(query.get("data") or "")
        try:
            await self.api.answer_callback_query(str(query.get("id", "")))
        except TelegramError as exc:  # an expired query id must not stop the answer itself
            log.info("answerCallbackQuery failed: %s", exc)
        if not chat_id:
            return
        chat = await self.chat(chat_id)
        lang = (chat or {}).get("lang") or guess_lang(
            (query.get("from") or {}).get("language_code"), self.ctx.settings.default_lang
        )
        kind, _, ref = data.partition(":")
        if kind == "m":
            await self.send_menu(chat_id, lang, welcome=False)
        elif kind == "t":
            await self.send_menu(chat_id, lang, node_id=ref, welcome=False)
        elif kind == "a":
            await self.send_article(chat_id, ref, lang)
        elif kind == "h":
            await self.request_agent(chat_id, lang)

    # -- topic tree and articles ------------------------------------------------------------------
    async def send_menu(self, chat_id: str, lang: str, *, node_id: str | None = None, welcome: bool) -> None:
        tree = await self.ctx.knowledge.tree()
        node = _find(tree, node_id) if tree and node_id else tree
        if node_id and node is None:
            await self.send(chat_id, text("unavailable", lang))
            return
        rows: list[list[dict[str, str]]] = []
        for child in (node or {}).get("children", []):
            label, _ = pick_text(child["label"], lang)
            action = child.get("action")
            if action == "complaint" or (action == "agent" and not self.ctx.settings.handoff_enabled):
                continue  # the chat has no complaint form; the agent button is in the footer
            if action == "agent":
                data = "h"
            else:
                data = f"a:{child['article']}" if child.get("article") else f"t:{child['id']}"
            button = _button(label, data)
            if button:
                rows.append([button])
        footer = []
        if node_id:
            footer.append(_button(text("menu_button", lang), "m"))
        if self.ctx.settings.handoff_enabled:
            footer.append(_button(text("agent_button", lang), "h"))
        rows.append([b for b in footer if b])
        if welcome:
            heading = text("welcome", lang, company=self.ctx.settings.company_name)
        elif node_id and node is not None:
            heading = pick_text(node["label"], lang)[0] or text("pick_topic", lang)
        else:
            heading = text("pick_topic", lang)
        await self.send(chat_id, heading, {"inline_keyboard": [r for r in rows if r]})

    async def send_article(self, chat_id: str, article_id: str, lang: str) -> None:
        answer = await self.ctx.pipeline.article_answer(article_id, lang, 1.0, kind="article", source="tree")
        if answer is None:
            await self.send(chat_id, text("unavailable", lang))
            return
        label = text("source_article", lang, title=answer.source_doc or article_id)
        await self.send(chat_id, f"{answer.response}\n\n{label}", self._after_article(lang))
        chat = await self.chat(chat_id)
        await self.store.tree_click(
            (chat or {}).get("session_id"), f"tg:{chat_id}", article_id, answer.source_doc, lang
        )

    def _after_article(self, lang: str) -> dict[str, Any]:
        row = [_button(text("menu_button", lang), "m")]
        if self.ctx.settings.handoff_enabled:
            row.append(_button(text("agent_button", lang), "h"))
        return {"inline_keyboard": [[b for b in row if b]]}

    def _quick_replies(self, result: dict[str, Any], lang: str) -> dict[str, Any] | None:
        buttons = [
            _button(str(c.get("title") or c.get("article_id")), f"a:{c.get('article_id')}")
            for c in result.get("quick_replies") or []
            if c.get("article_id")
        ]
        rows = [[b] for b in buttons if b]
        return {"inline_keyboard": rows} if rows else None

    # -- sending and agent-reply delivery ----------------------------------------------------------
    async def send(self, chat_id: str, body: str, reply_markup: dict[str, Any] | None = None) -> None:
        pieces = split_text(body) or [body]
        for index, piece in enumerate(pieces):
            markup = reply_markup if index == len(pieces) - 1 else None
            try:
                await self.api.send_message(chat_id, piece, markup)
            except TelegramError as exc:
                # 403: the customer blocked the bot; 400: the chat is gone. Nothing to retry.
                log.warning("telegram sendMessage to %s failed: %s", chat_id, exc)
                return

    async def deliver_agent_replies(self, *, recent_seconds: float = 900.0) -> int:
        """Send agent replies and hand-off notices not yet delivered; returns how many were sent."""
        since = time.time() - recent_seconds

        sent = 0
        for row in await self.store.pending_turns(since):
            if not await self._claim(row["chat_id"], row["id"]):
                continue
            body = row["text"]
            files = (json.loads(row["meta"] or "{}") or {}).get("attachments") or []
            if files and _PLACEHOLDER.match(body):
                body = ""  # "(photo)": the photo itself says it
            if row["role"] == "agent" and row["sender_name"]:
                body = f"👤 {row['sender_name']}: {body}" if body else f"👤 {row['sender_name']}"
            if files:
                await self._send_files(row["chat_id"], row["session_id"], files, body)
            else:
                await self.send(row["chat_id"], body)
            sent += 1
        return sent

    async def _send_files(self, chat_id: str, session_id: str, files: list[dict[str, Any]], caption: str) -> None:
        """An agent's attachments: photos inline, PDFs as documents; the caption on the first."""
        service = self.ctx.attachments
        for index, item in enumerate(files):
            record = await service.store.get(session_id, item["id"]) if service is not None else None
            if service is None or record is None:
                continue  # purged meanwhile
            try:
                await self.api.send_file(
                    chat_id,
                    await service.read_bytes(record),
                    record.original_name,
                    record.content_type,
                    photo=record.kind != "pdf",
                    caption=caption if index == 0 else "",
                )
            except (TelegramError, OSError) as exc:
                log.warning("telegram file to %s failed: %s", chat_id, exc)
                return

    async def _claim(self, chat_id: str, turn_id: int) -> bool:
        return await self.store.claim_turn(chat_id, turn_id)

    async def delivery_loop(self, interval: float = 1.0) -> None:
        """Deliver agent replies every ``interval`` seconds, and at once when this process's event
        bus announces an agent message or a status change (the timer covers other processes)."""
        await run_delivery_loop(self.ctx.bus, self.deliver_agent_replies, interval, "telegram")


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
