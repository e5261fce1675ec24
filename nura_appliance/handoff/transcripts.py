"""Transcript exports (issue 20): one conversation or a filtered list as CSV, JSON or printable HTML.

Pure formatting over the data the agents' API already returns (session summaries with
``customer``, outcome, messages with attachments); the routes are in ``transcript_routes.py``.

- **CSV**: one row per message with the session's facts repeated, through ``spreadsheet.write_csv``
  (UTF-8 BOM so Excel shows Arabic and Kurdish, formula-looking text neutralised).
- **JSON**: ``{format, exported_at, sessions: [{session, outcome, messages}]}``.
- **HTML**: one self-contained page to print or keep (no script, no external file; the styles are
  inline and the response's CSP allows nothing else). Headings are in the admin's language;
  every customer or agent text is escaped and keeps its own direction (``dir="auto"``).
"""

from __future__ import annotations

import html
import io
import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from nura_appliance.languages import RTL_LANGS
from nura_appliance.spreadsheet import write_csv

FORMATS = ("csv", "json", "html")
JSON_FORMAT = "nura-transcripts/1"
CSV_COLUMNS = (
    "session_id",
    "session_started",
    "customer_id",
    "customer_name",
    "customer_verified",
    "channel",
    "session_lang",
    "status",
    "handoff_reason",
    "assigned_agent",
    "outcome",
    "issue_category",
    "time",
    "role",
    "sender",
    "text",
    "source",
    "confidence",
    "message_lang",
    "attachments",
)

# Headings of the printable page (the admin passes its interface language).
LABELS: dict[str, dict[str, str]] = {
    "title": {
        "ar": "نص المحادثة",
        "ckb": "دەقی گفتوگۆ",
        "ku": "Nivîsa axaftinê",
        "en": "Conversation transcript",
    },
    "titles": {
        "ar": "نصوص المحادثات",
        "ckb": "دەقی گفتوگۆکان",
        "ku": "Nivîsên axaftinan",
        "en": "Conversation transcripts",
    },
    "exported": {"ar": "صُدّر في", "ckb": "هەناردەکراوە لە", "ku": "Hate derxistin", "en": "Exported"},
    "customer": {"ar": "العميل", "ckb": "کڕیار", "ku": "Xerîdar", "en": "Customer"},
    "verified": {"ar": "هوية موثّقة", "ckb": "ناسنامەی پشتڕاستکراو", "ku": "Nasname piştrastkirî", "en": "Verified"},
    "unverified": {
        "ar": "هوية غير موثّقة",
        "ckb": "ناسنامەی پشتڕاستنەکراو",
        "ku": "Nasname nepiştrastkirî",
        "en": "Not verified",
    },
    "channel": {"ar": "القناة", "ckb": "کەناڵ", "ku": "Kanal", "en": "Channel"},
    "language": {"ar": "اللغة", "ckb": "زمان", "ku": "Ziman", "en": "Language"},
    "status": {"ar": "الحالة", "ckb": "دۆخ", "ku": "Rewş", "en": "Status"},
    "started": {"ar": "البداية", "ckb": "دەستپێک", "ku": "Destpêk", "en": "Started"},
    "agent": {"ar": "الموظف", "ckb": "کارمەند", "ku": "Karmend", "en": "Agent"},
    "reason": {"ar": "سبب التحويل", "ckb": "هۆی گواستنەوە", "ku": "Sedema veguhastinê", "en": "Hand-off reason"},
    "outcome": {"ar": "النتيجة", "ckb": "ئەنجام", "ku": "Encam", "en": "Outcome"},
    "source": {"ar": "المصدر", "ckb": "سەرچاوە", "ku": "Çavkanî", "en": "Source"},
    "confidence": {"ar": "الثقة", "ckb": "متمانە", "ku": "Pêbawerî", "en": "Confidence"},
    "attachment": {"ar": "مرفق", "ckb": "پاشکۆ", "ku": "Pêvek", "en": "Attachment"},
    "role_customer": {"ar": "العميل", "ckb": "کڕیار", "ku": "Xerîdar", "en": "Customer"},
    "role_bot": {"ar": "البوت", "ckb": "بۆت", "ku": "Bot", "en": "Bot"},
    "role_agent": {"ar": "الموظف", "ckb": "کارمەند", "ku": "Karmend", "en": "Agent"},
    "role_system": {"ar": "إشعار", "ckb": "ئاگاداری", "ku": "Agahdarî", "en": "Notice"},
    "none": {"ar": "لا توجد محادثات.", "ckb": "هیچ گفتوگۆیەک نییە.", "ku": "Axaftin tune.", "en": "No conversations."},
}


def label(key: str, lang: str) -> str:
    texts = LABELS[key]
    return texts.get(lang) or texts["en"]


def iso(at: float | None) -> str:
    """A UTC timestamp as ``2026-12-06 13:05:09Z`` (blank when unknown)."""
    if not at:
        return ""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _customer(session: dict[str, Any]) -> dict[str, Any]:
    return session.get("customer") or {}


def _attachment_names(message: dict[str, Any]) -> str:
    return "; ".join(str(a.get("name") or a.get("id") or "") for a in message.get("attachments") or [])


def csv_document(transcripts: Iterable[dict[str, Any]]) -> str:
    """One row per message (a session without messages still gets one row)."""

    def rows() -> Iterable[list[Any]]:
        for item in transcripts:
            session, outcome = item["session"], item.get("outcome") or {}
            customer = _customer(session)
            facts = [
                session["session_id"],
                iso(session.get("created_at")),
                customer.get("id") or session.get("customer_id"),
                customer.get("name"),
                "yes" if customer.get("verified") else "no" if customer else "",
                session.get("channel"),
                session.get("lang"),
                session.get("status"),
                session.get("handoff_reason"),
                session.get("assigned_agent"),
                outcome.get("status"),
                outcome.get("issue_category"),
            ]
            messages = item.get("messages") or []
            if not messages:
                yield [*facts, "", "", "", "", "", "", "", ""]
            for m in messages:
                yield [
                    *facts,
                    iso(m.get("created_at")),
                    m.get("role"),
                    m.get("sender_name"),
                    m.get("text"),
                    m.get("source"),
                    m.get("confidence"),
                    m.get("lang"),
                    _attachment_names(m),
                ]

    out = io.StringIO()
    write_csv(out, CSV_COLUMNS, rows())
    return out.getvalue()


def json_document(transcripts: list[dict[str, Any]]) -> str:
    return json.dumps(
        {"format": JSON_FORMAT, "exported_at": time.time(), "sessions": transcripts},
        ensure_ascii=False,
        indent=2,
    )


_STYLE = """
body{font-family:system-ui,"Segoe UI","Noto Sans Arabic","Noto Sans",Tahoma,sans-serif;color:#111827;margin:2rem;line-height:1.5}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem;border-block-end:2px solid #0f766e}
.meta{color:#374151;font-size:.9rem;margin:0 0 1rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}
dt{color:#374151}dd{margin:0}ol{list-style:none;padding:0;margin:0}
li{border:1px solid #d1d5db;border-radius:8px;padding:.5rem .75rem;margin:0 0 .5rem;break-inside:avoid}
li.customer{background:#fff}li.bot{background:#eef2ff}li.agent{background:#ccfbf1}li.system{background:#f3f4f6;font-size:.9rem}
.who{font-size:.8rem;color:#374151;margin:0 0 .2rem}.text{white-space:pre-wrap;overflow-wrap:break-word;margin:0}
.att{font-size:.85rem;margin:.25rem 0 0}section{break-before:page}section:first-of-type{break-before:auto}
@media print{body{margin:0}h2{break-after:avoid}}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def html_document(transcripts: list[dict[str, Any]], lang: str = "ar", codes: dict[str, str] | None = None) -> str:
    """A printable page; ``codes`` translates status/reason/role codes (else they are shown as is)."""
    names = codes or {}
    direction = "rtl" if lang in RTL_LANGS else "ltr"
    title = label("title" if len(transcripts) == 1 else "titles", lang)
    parts = [
        f'<!doctype html>\n<html lang="{_e(lang)}" dir="{direction}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<h1>{_e(title)}</h1>\n"
        f'<p class="meta">{_e(label("exported", lang))}: {_e(iso(time.time()))}</p>\n'
    ]
    if not transcripts:
        parts.append(f"<p>{_e(label('none', lang))}</p>\n")
    for item in transcripts:
        session, outcome = item["session"], item.get("outcome") or {}
        customer = _customer(session)
        who = customer.get("name") or customer.get("id") or session.get("customer_id") or "—"
        facts = [
            (
                label("customer", lang),
                f"<bdi>{_e(who)}</bdi>"
                + (
                    f" · {_e(label('verified' if customer.get('verified') else 'unverified', lang))}"
                    if customer
                    else ""
                ),
            ),
            (label("started", lang), _e(iso(session.get("created_at")))),
            (label("channel", lang), _e(session.get("channel"))),
            (label("language", lang), _e((session.get("lang") or "").upper())),
            (label("status", lang), _e(names.get(session.get("status") or "", session.get("status")))),
        ]
        if session.get("handoff_reason"):
            reason = session["handoff_reason"]
            facts.append((label("reason", lang), _e(names.get(reason, reason))))
        if session.get("assigned_agent"):
            facts.append((label("agent", lang), f"<bdi>{_e(session['assigned_agent'])}</bdi>"))
        if outcome.get("status"):
            detail = " · ".join(_e(v) for v in (outcome.get("issue_category"), outcome.get("root_cause")) if v)
            shown = _e(names.get(outcome["status"], outcome["status"]))
            facts.append((label("outcome", lang), shown + (f" · {detail}" if detail else "")))
        parts.append(f"<section>\n<h2><bdi>{_e(session['session_id'])}</bdi></h2>\n<dl>")
        parts.extend(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
        parts.append("</dl>\n<ol>\n")
        for m in item.get("messages") or []:
            role = m.get("role") if m.get("role") in ("customer", "bot", "agent", "system") else "bot"
            speaker = label(f"role_{role}", lang)
            if role == "agent" and m.get("sender_name"):
                speaker = f"{speaker} ({m['sender_name']})"
            extra = ""
            if role == "bot" and m.get("source"):
                source = names.get(m["source"], m["source"])
                extra = f" · {_e(label('source', lang))}: {_e(source)}"
                if m.get("confidence") is not None:
                    extra += f" · {_e(label('confidence', lang))}: {round(float(m['confidence']) * 100)}%"
            attachments = "".join(
                f'<p class="att">{_e(label("attachment", lang))}: <bdi>{_e(a.get("name") or a.get("id"))}</bdi>'
                f" ({_e(a.get('content_type'))})</p>"
                for a in m.get("attachments") or []
            )
            text_dir = "rtl" if m.get("lang") in RTL_LANGS else "ltr" if m.get("lang") else "auto"
            parts.append(
                f'<li class="{role}"><p class="who"><bdi>{_e(speaker)}</bdi> · {_e(iso(m.get("created_at")))}{extra}</p>'
                f'<p class="text" dir="{text_dir}">{_e(m.get("text"))}</p>{attachments}</li>\n'
            )
        parts.append("</ol>\n</section>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts)
