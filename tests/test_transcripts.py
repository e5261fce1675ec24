"""Transcript exports for agents (issue 20): one conversation or a filtered list as CSV (UTF-8 BOM,
formula guard), JSON or a printable HTML page — transcripts could only leave through the CLI before.
Viewers never get transcripts; every export is audited."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from auth_helpers import bearer, staff_tokens
from conftest import initialised_copy, make_settings, running_app

from nura_appliance.spreadsheet import UTF8_BOM


async def conversation(client: Any, *texts: str, customer: str = "cust-tx", lang: str | None = None) -> str:
    sid = token = None
    for text in texts:
        body: dict[str, Any] = {"session_id": sid, "customer_id": customer, "channel": "web", "message": text}
        if lang:
            body["lang"] = lang
        headers = {"X-Session-Token": token} if token else {}
        answer = (await client.post("/v1/message", json=body, headers=headers)).json()
        sid, token = answer["session_id"], answer["session_token"]
    assert sid is not None
    return sid


async def test_one_conversation_and_a_filtered_list_in_three_formats(data_dir: Path) -> None:
    async with running_app(make_settings(initialised_copy(data_dir))) as (app, client):
        tokens = await staff_tokens(app, client)
        agent, viewer, admin = (bearer(tokens[r]) for r in ("agent", "viewer", "admin"))
        first = await conversation(client, "النت عندي بطيء", '=HYPERLINK("http://x","<b>اضغط</b>")')
        second = await conversation(client, "How do I top up my balance?", customer="cust-en", lang="en")

        # CSV: BOM first, one row per message, Arabic intact, the formula neutralised.
        resp = await client.get(f"/v1/sessions/{first}/transcript?format=csv", headers=agent)
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
        assert f'filename="transcript-{first}.csv"' in resp.headers["content-disposition"]
        assert resp.content.startswith(UTF8_BOM.encode())
        rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
        assert [r["role"] for r in rows] == ["customer", "bot", "customer", "bot"]
        assert rows[0]["text"] == "النت عندي بطيء" and rows[0]["session_id"] == first
        assert rows[1]["source"] == "article" and float(rows[1]["confidence"]) > 0
        assert rows[2]["text"].startswith("'=HYPERLINK")

        # JSON: the agents' view of the session with its messages.
        data = (await client.get(f"/v1/sessions/{first}/transcript?format=json", headers=agent)).json()
        assert data["format"] == "nura-transcripts/1" and len(data["sessions"]) == 1
        assert data["sessions"][0]["session"]["session_id"] == first
        assert len(data["sessions"][0]["messages"]) == 4

        # HTML: printable, self-contained, escaped, in the admin's language, nothing runs.
        resp = await client.get(f"/v1/sessions/{first}/transcript?format=html&lang=ckb", headers=agent)
        page = resp.text
        assert resp.headers["content-security-policy"].startswith("default-src 'none'")
        assert '<html lang="ckb" dir="rtl">' in page and "دەقی گفتوگۆ" in page
        assert "&lt;b&gt;اضغط&lt;/b&gt;" in page and "<b>اضغط</b>" not in page and "<script" not in page
        assert "وتار" in page  # the bot's source "article", translated (Sorani)

        # A filtered list: the same filters as the sessions search.
        both = (await client.get("/v1/sessions/export?format=json", headers=agent)).json()
        assert {s["session"]["session_id"] for s in both["sessions"]} >= {first, second}
        only = (await client.get("/v1/sessions/export?format=json&customer_id=cust-en", headers=agent)).json()
        assert [s["session"]["session_id"] for s in only["sessions"]] == [second]
        text = (await client.get("/v1/sessions/export?format=csv&customer_id=cust-en", headers=agent)).content.decode(
            "utf-8-sig"
        )
        assert {r["session_id"] for r in csv.DictReader(io.StringIO(text))} == {second}
        html = (await client.get("/v1/sessions/export?format=html&lang=en&customer_id=cust-en", headers=agent)).text
        assert "Conversation transcripts" not in html and "Conversation transcript" in html  # one session
        many = (await client.get("/v1/sessions/export?format=html&lang=en", headers=agent)).text
        assert "Conversation transcripts" in many and many.count("<section>") >= 2

        # Viewers never get transcripts; bad input is a clear 422; the exports are audited.
        assert (await client.get(f"/v1/sessions/{first}/transcript?format=csv", headers=viewer)).status_code == 403
        assert (await client.get("/v1/sessions/export?format=csv", headers=viewer)).status_code == 403
        assert (await client.get("/v1/sessions/export?format=csv")).status_code == 401
        for query in ("format=xml", "format=csv&lang=fr", "format=csv&status=lost", "format=csv&since=yesterday"):
            resp = await client.get(f"/v1/sessions/export?{query}", headers=agent)
            assert resp.status_code == 422, (query, resp.text)
        assert (await client.get("/v1/sessions/nope/transcript?format=csv", headers=agent)).status_code == 404
        too_many = await client.get("/v1/sessions/export?format=csv&limit=1", headers=agent)
        assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "too_many_sessions"
        audit = (await client.get("/v1/audit-log?action=sessions.export", headers=admin)).json()["entries"]
        assert {e["target"] for e in audit} >= {first, "filtered"}
        assert all(e["actor"] == "agent-user" for e in audit)


def test_csv_json_and_html_documents_from_plain_data() -> None:
    from nura_appliance.handoff import transcripts

    item = {
        "session": {
            "session_id": "s1",
            "created_at": 0,
            "customer_id": "c1",
            "customer": {"id": "c1", "name": "ليلى", "verified": True},
            "channel": "web",
            "lang": "ar",
            "status": "resolved",
            "handoff_reason": "button",
            "assigned_agent": "omar",
        },
        "outcome": {"status": "solved", "issue_category": "sim"},
        "messages": [
            {
                "role": "customer",
                "text": "صورة الشريحة",
                "created_at": 1,
                "lang": "ar",
                "attachments": [{"id": "a1", "name": "sim.jpg", "content_type": "image/jpeg"}],
            },
            {"role": "agent", "text": "شكراً", "sender_name": "Omar", "created_at": 2, "lang": "ar"},
        ],
    }
    rows = list(csv.DictReader(io.StringIO(transcripts.csv_document([item]).removeprefix(UTF8_BOM))))
    assert rows[0]["customer_name"] == "ليلى" and rows[0]["customer_verified"] == "yes"
    assert rows[0]["attachments"] == "sim.jpg" and rows[1]["sender"] == "Omar" and rows[1]["outcome"] == "solved"
    assert json.loads(transcripts.json_document([item]))["sessions"][0] == item
    page = transcripts.html_document([item], "en", {"button": "Agent button", "solved": "Solved"})
    assert "Agent button" in page and "Solved · sim" in page and "sim.jpg" in page and "Verified" in page
    assert '<p class="text" dir="rtl">صورة الشريحة</p>' in page
    empty = transcripts.html_document([], "ku")
    assert "Axaftin tune." in empty and 'dir="ltr"' in empty
