"""The original NURA widget's calls, replayed at the request level against NURA Appliance.

Each test makes the calls the original ``widget.js`` makes, with its bodies and headers, and
checks the fields that widget reads (written from its public source: the tree it renders with
``label[lang] || label.ar``, ``children``, ``article`` and ``action``; ``stream_token`` from the
token call; ``EventSource.onmessage`` frames ``{type: "turn", turn: {role, source, message}}`` and
``{type: "status", status: "RESOLVED"}``; ``case_number`` and ``detail`` from suggestions). Our
own widget's shapes on the same paths are checked to be unchanged.
"""

from __future__ import annotations

import time

import pytest
from conftest import make_settings, running_app
from original_support import (
    ORIGINAL_ARTICLES,
    ORIGINAL_TREE,
    STAFF,
    original_stream,
    served,
    tree_label,
    walk,
)

from nura_appliance.knowledge.pack import from_legacy
from nura_appliance.original.wire import (
    STATUS_NAMES,
    STREAM_TOKEN_SECONDS,
    issue_stream_token,
    original_frame,
    original_tree,
    stream_token_valid,
)
from nura_appliance.storage.base import SessionRecord

WIDGET_LANGS = ("ar", "ku", "en")


async def _load_original_knowledge(app) -> None:
    ctx = app.ctx.nura
    await ctx.knowledge.load_pack(from_legacy(ORIGINAL_ARTICLES, ORIGINAL_TREE))
    await ctx.pipeline.refresh(force=True)


async def _start_chat(client, text: str = "مرحبا") -> dict:
    """The original widget's first message: no session yet, a random customer id."""
    resp = await client.post(
        "/v1/message", json={"session_id": None, "channel": "web", "customer_id": "widget-x1y2z3", "message": text}
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()
    for key in ("session_id", "session_token", "response", "confidence", "source", "escalated"):
        assert key in data  # what sendMessage() reads
    return data


# -- the topic tree ---------------------------------------------------------------------------------
async def test_tree_without_lang_is_the_original_bare_root(data_dir):
    async with running_app(make_settings(data_dir, LOAD_DEFAULT_KNOWLEDGE=False)) as (app, client):
        await _load_original_knowledge(app)
        resp = await client.get("/v1/topic-tree")  # loadSharedTopicTree(): no query at all
        assert resp.status_code == 200
        root = resp.json()
        assert set(root) >= {"id", "label", "children"} and root["id"] == "root"
        assert "tree" not in root and "version" not in root
        for node in walk(root):
            for lang in WIDGET_LANGS:
                assert tree_label(node, lang), (node["id"], lang)  # treeLabel() never reads undefined
        nodes = {n["id"]: n for n in walk(root)}
        # Leaves carry the article's position in articals.json: the widget's own article table key.
        assert nodes["net_slow"]["article"] == 1 and nodes["hours"]["article"] == 3
        assert nodes["net_slow"]["article_id"] == "article-1"
        assert "children" not in nodes["net_slow"] and nodes["net"]["children"]
        assert nodes["more_agent"]["action"] == "agent" and nodes["more_complaint"]["action"] == "complaint"
        assert tree_label(nodes["net"], "ar") == "الإنترنت"
        # Its own tree already has both actions: no extra branch.
        assert "nura-other" not in nodes

        # Ours, with a language, is unchanged: {lang, tree, version}, leaves with article_id.
        ours = (await client.get("/v1/topic-tree", params={"lang": "ar"})).json()
        assert set(ours) == {"lang", "tree", "version"}
        leaf = next(n for n in walk(ours["tree"]) if n["id"] == "net_slow")
        assert leaf["article_id"] == "article-1" and "article" not in leaf
        action = next(n for n in walk(ours["tree"]) if n["id"] == "more_agent")
        assert action["action"] == "agent" and "children" not in action


async def test_a_tree_without_actions_gets_the_originals_other_branch(client):
    """The default pack has no action nodes; the original widget reaches its complaint form only
    through one, so its tree gets an "Other" branch with both (labels in every language)."""
    root = (await client.get("/v1/topic-tree")).json()
    other = next(n for n in root["children"] if n["id"] == "nura-other")
    actions = {c["action"]: c for c in other["children"]}
    assert set(actions) == {"agent", "complaint"}
    assert actions["agent"]["label"]["ar"] == "التحدث مع موظف" and actions["agent"]["label"]["en"] == "Talk to a person"
    assert actions["complaint"]["label"]["ku"]
    leaves = [n for n in walk(root) if "article" in n]
    assert leaves and all(isinstance(n["article"], str) for n in leaves)  # our own ids: no position
    # Our widget's tree (with lang) does not get that branch.
    ours = (await client.get("/v1/topic-tree", params={"lang": "en"})).json()["tree"]
    assert all(n["id"] != "nura-other" for n in walk(ours))


def test_original_tree_without_any_knowledge():
    root = original_tree(None)
    assert root["id"] == "root" and root["label"]["ar"] == "كيف يمكنني مساعدتك؟"
    assert [c["action"] for c in root["children"][0]["children"]] == ["complaint", "agent"]


# -- tree click analytics and the article it names ---------------------------------------------------
async def test_tree_click_with_the_article_position_is_recorded_as_that_article(data_dir):
    async with running_app(make_settings(data_dir, LOAD_DEFAULT_KNOWLEDGE=False)) as (app, client):
        await _load_original_knowledge(app)
        body = {
            "session_id": None,
            "customer_id": "widget-x1y2z3",
            "event_type": "tree_click",
            "label": "الإنترنت بطيء",
            "meta": "net_slow",
            "topic_id": "net_slow",
            "article_id": 1,  # child.article: a number
        }
        assert (await client.post("/v1/analytics/click", json=body)).status_code == 200
        rows = await app.ctx.nura.db.fetchall("SELECT topic_id, article_id FROM tree_clicks")
        assert [(r["topic_id"], r["article_id"]) for r in rows] == [("net_slow", "article-1")]


# -- live chat with a person over the original stream -------------------------------------------------
async def test_agent_reply_typing_and_resolve_reach_the_original_stream(data_dir):
    async with served(data_dir, LOAD_DEFAULT_KNOWLEDGE=False) as (app, client):
        await _load_original_knowledge(app)
        chat = await _start_chat(client)
        sid, token = chat["session_id"], chat["session_token"]

        # directToAgent(): the agent button.
        direct = await client.post(
            "/v1/handoff/direct",
            headers={"X-Session-Token": token},
            json={"session_id": sid, "customer_id": "widget-x1y2z3", "channel": "web", "reason": "direct_request"},
        )
        assert direct.status_code == 200, direct.text
        assert direct.json()["session_id"] == sid

        # startAgentStream(): a stream token first, then EventSource with it in the URL.
        minted = await client.post(f"/v1/session/{sid}/stream-token", headers={"X-Session-Token": token})
        assert minted.status_code == 200, minted.text
        assert minted.json()["expires_in"] == STREAM_TOKEN_SECONDS
        assert minted.headers["cache-control"] == "no-store"
        url = f"/v1/session/{sid}/stream?stream_token={minted.json()['stream_token']}"
        async with original_stream(client, url) as stream:
            first = await stream.next("status")
            assert first["status"] == "PENDING_HANDOFF"

            accept = await client.post(f"/v1/handoff/{sid}/accept", params={"agent_id": "samira"}, headers=STAFF)
            assert accept.status_code == 200, accept.text
            assert (await stream.next("status"))["status"] == "HUMAN_ACTIVE"

            typing = await client.post(
                f"/v1/session/{sid}/typing", headers=STAFF, json={"sender": "agent", "text": "…"}
            )
            assert typing.status_code in (200, 202, 204), typing.text
            dots = await stream.next("typing")
            assert dots["sender"] == "agent"

            reply = await client.post(
                f"/v1/session/{sid}/agent-message", headers=STAFF, json={"message": "أهلاً، كيف أساعدك؟"}
            )
            assert reply.status_code == 200, reply.text
            turn = (await stream.next("turn", role="agent", source="human"))["turn"]
            assert turn["message"] == "أهلاً، كيف أساعدك؟"  # appendAgentMsg(t.message)
            assert turn["timestamp"].endswith("+00:00")

            # The customer's reply while a person owns the chat: no bot answer in the stream.
            sent = await client.post(
                "/v1/message",
                headers={"X-Session-Token": token},
                json={"session_id": sid, "channel": "web", "customer_id": "widget-x1y2z3", "message": "شكراً"},
            )
            assert sent.status_code == 200
            mine = await stream.next("turn", role="customer")
            assert mine["turn"]["message"] == "شكراً"

            resolved = await client.post(f"/v1/session/{sid}/resolve", headers=STAFF, json={"status": "solved"})
            assert resolved.status_code == 200, resolved.text
            end = await stream.next("status", status="RESOLVED")  # shows the rating prompt
            assert end["session_id"] == sid
            assert stream.named == []  # never an event:/id: line the original could not read

        # showRatingPrompt() → the star the customer clicked.
        rating = await client.post(f"/v1/session/{sid}/rating", headers={"X-Session-Token": token}, json={"score": 4})
        assert rating.status_code == 200, rating.text
        stored = await app.ctx.nura.sessions_store.get(sid)
        assert stored is not None and stored.rating == 4 and stored.status == "resolved"


async def test_our_stream_keeps_named_events(data_dir):
    async with served(data_dir, LOAD_DEFAULT_KNOWLEDGE=False) as (_app, client):
        chat = await _start_chat(client)
        url = f"/v1/session/{chat['session_id']}/stream?session_token={chat['session_token']}"
        async with client.stream("GET", url) as response:
            lines = []
            async for line in response.aiter_lines():
                lines.append(line)
                if line.startswith("data:"):
                    break
        assert "event: status" in lines


async def test_stream_tokens_are_bound_short_lived_and_checked(data_dir):
    async with served(data_dir, LOAD_DEFAULT_KNOWLEDGE=False) as (app, client):
        a = await _start_chat(client, "مرحبا")
        b = await _start_chat(client, "hello")
        path = f"/v1/session/{a['session_id']}/stream-token"
        assert (await client.post(path)).status_code == 401
        wrong = await client.post(path, headers={"X-Session-Token": b["session_token"]})
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "session_token_invalid"

        token_b = (
            await client.post(
                f"/v1/session/{b['session_id']}/stream-token", headers={"X-Session-Token": b["session_token"]}
            )
        ).json()["stream_token"]
        secret = app.ctx.nura.settings.admin_secret_key
        session_a = await app.ctx.nura.sessions.get(a["session_id"])
        expired = issue_stream_token(secret, session_a, time.time() - STREAM_TOKEN_SECONDS - 5)
        good = issue_stream_token(secret, session_a, time.time())
        blank = await client.get(f"/v1/session/{a['session_id']}/stream", params={"stream_token": ""})
        assert blank.status_code == 401
        for token in (token_b, expired, good[:-2] + "AA", "12.x", good.replace(".", ":")):
            resp = await client.get(f"/v1/session/{a['session_id']}/stream", params={"stream_token": token})
            assert resp.status_code == 401, (token, resp.status_code)
            assert resp.json()["error"]["code"] == "stream_token_invalid"
        missing = await client.get("/v1/session/no-such-session/stream", params={"stream_token": good})
        assert missing.status_code == 404


def test_a_stream_token_dies_with_its_session_token():
    now = time.time()
    session = SessionRecord(id="s-1", token_hash="a" * 64, created_at=now, updated_at=now)
    token = issue_stream_token("secret-one", session, now)
    assert stream_token_valid("secret-one", session, token, now + STREAM_TOKEN_SECONDS - 1)
    assert not stream_token_valid("secret-one", session, token, now + STREAM_TOKEN_SECONDS + 1)
    assert not stream_token_valid("secret-two", session, token, now)  # another server secret
    rotated = SessionRecord(id="s-1", token_hash="b" * 64, created_at=now, updated_at=now)
    assert not stream_token_valid("secret-one", rotated, token, now)
    other = SessionRecord(id="s-2", token_hash="a" * 64, created_at=now, updated_at=now)
    assert not stream_token_valid("secret-one", other, token, now)


@pytest.mark.parametrize(("ours", "theirs"), sorted(STATUS_NAMES.items()))
def test_status_frames_use_the_original_names(ours, theirs):
    frame = original_frame("status", {"session_id": "s", "status": ours})
    assert frame == {
        "type": "status",
        "status": theirs,
        "session_id": "s",
        "handoff_reason": None,
        "assigned_agent": None,
    }


def test_frames_for_each_turn_role():
    def turn(role: str, source: str | None) -> dict:
        return original_frame(
            "message",
            {"message": {"id": 7, "role": role, "text": "x", "source": source, "created_at": 0.0, "sender_name": "S"}},
        )["turn"]

    assert (turn("agent", None)["role"], turn("agent", None)["source"]) == ("agent", "human")
    assert turn("agent", None)["agent_name"] == "S"
    assert (turn("bot", "article")["role"], turn("bot", "article")["source"]) == ("agent", "article")
    assert turn("bot", "article")["agent_name"] is None
    assert (turn("customer", None)["role"], turn("customer", None)["source"]) == ("customer", "customer")
    assert turn("system", "handoff")["role"] == "system"
    assert turn("bot", None)["timestamp"] == "1970-01-01T00:00:00+00:00"
    assert original_frame("typing", {"sender": "agent", "active": False}) is None
    assert original_frame("token", {"delta": "x"}) is None


# -- suggestions and complaints ----------------------------------------------------------------------
async def test_suggestion_with_message_gets_a_case_number(app, client):
    chat = await _start_chat(client)
    resp = await client.post(
        "/v1/suggestions",
        headers={"X-Session-Token": chat["session_token"]},
        json={
            "session_id": chat["session_id"],
            "customer_id": "widget-x1y2z3",
            "channel": "web",
            "kind": "suggestion",
            "message": "أقترح إضافة باقة ليلية أرخص",
        },
    )
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert data["ok"] is True and data["case_number"] == f"S-{data['id']}"
    item = await app.ctx.nura.db.fetchone("SELECT * FROM suggestions WHERE id = ?", (data["id"],))
    assert item["text"] == "أقترح إضافة باقة ليلية أرخص" and item["session_id"] == chat["session_id"]
    assert item["kind"] == "suggestion"

    # Ours, with `text`, is unchanged (no case_number).
    ours = await client.post("/v1/suggestions", json={"kind": "complaint", "text": "الخدمة بطيئة جداً"})
    assert ours.status_code == 201 and "case_number" not in ours.json()


async def test_suggestion_errors_keep_the_envelope(client):
    empty = await client.post("/v1/suggestions", json={"kind": "suggestion", "message": "   "})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "missing_field"
    chat = await _start_chat(client)
    other = await _start_chat(client, "hello")
    stolen = await client.post(
        "/v1/suggestions",
        headers={"X-Session-Token": other["session_token"]},
        json={"session_id": chat["session_id"], "kind": "suggestion", "message": "رسالة من جلسة أخرى"},
    )
    # Another session's token links nothing: stored unlinked, answered like any suggestion (issue 19).
    assert stolen.status_code == 201 and stolen.json().get("session_id") is None
    odd_kind = await client.post("/v1/suggestions", json={"kind": "feedback", "message": "شكراً لكم على الخدمة"})
    assert odd_kind.status_code == 201 and odd_kind.json()["kind"] == "suggestion"


# -- bad feedback hand-off (already compatible; kept in the replay) ----------------------------------
async def test_bad_feedback_hands_off(client):
    chat = await _start_chat(client, "كيف أفعل باقة الإنترنت؟")
    resp = await client.post(
        f"/v1/handoff/{chat['session_id']}",
        headers={"Content-Type": "application/json", "X-Session-Token": chat["session_token"]},
        json={"reason": "bad_feedback"},
    )
    assert resp.status_code == 200, resp.text
    session = await client.get(f"/v1/session/{chat['session_id']}", headers={"X-Session-Token": chat["session_token"]})
    assert session.json()["status"] in ("pending_handoff", "human_active")


# -- attachments --------------------------------------------------------------------------------------
def _png(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), color).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_upload_stores_in_the_attachment_store_and_links_for_img_src(app, client):
    chat = await _start_chat(client, "عندي مشكلة بالشريحة")
    sid, token = chat["session_id"], chat["session_token"]
    # fileInput change: FormData {file, session_id}, X-Session-Token header.
    resp = await client.post(
        "/v1/upload",
        headers={"X-Session-Token": token},
        data={"session_id": sid},
        files={"file": ("صورة الشريحة.png", _png(), "image/png")},
    )
    assert resp.status_code == 200, resp.text
    upload = resp.json()
    assert upload["url"].startswith("http://testserver/v1/uploads/")  # absolute: the host page's <img src>
    assert upload["content_type"] == "image/png" and upload["filename"] == "صورة الشريحة.png"
    attachment_id = upload["attachment"]["id"]

    # The image loads without headers (the link carries its own short-lived token).
    image = await client.get(upload["url"].removeprefix("http://testserver"))
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/png")
    assert image.headers["cache-control"] == "private, no-store"
    assert image.content.startswith(b"\x89PNG")

    # It is in the same store as our widget's attachments, in the transcript as the customer's turn.
    rows = await app.ctx.nura.db.fetchall("SELECT session_id, uploader_role FROM attachments")
    assert [(r["session_id"], r["uploader_role"]) for r in rows] == [(sid, "customer")]
    ours = await client.get(f"/v1/session/{sid}/attachments/{attachment_id}", headers={"X-Session-Token": token})
    assert ours.status_code == 200 and ours.content == image.content

    before = (await client.get(f"/v1/session/{sid}/messages", headers={"X-Session-Token": token})).json()["messages"]
    # The widget then sends "[صورة]" naming the link: confirmed, no second turn, no bot answer.
    follow = await client.post(
        "/v1/message",
        headers={"X-Session-Token": token},
        json={
            "session_id": sid,
            "channel": "web",
            "customer_id": "widget-x1y2z3",
            "message": "[صورة]",
            "attachment_url": upload["url"],
            "message_type": "image",
        },
    )
    assert follow.status_code == 200, follow.text
    assert follow.json()["session_id"] == sid and follow.json()["session_token"] == token
    after = (await client.get(f"/v1/session/{sid}/messages", headers={"X-Session-Token": token})).json()["messages"]
    assert after == before
    attachment_turns = [m for m in after if m["attachments"]]
    assert len(attachment_turns) == 1 and attachment_turns[0]["role"] == "customer"
    assert "[صورة]" not in [m["text"] for m in after]


async def test_upload_refuses_without_credentials_and_bad_files(client):
    a = await _start_chat(client, "مرحبا")
    b = await _start_chat(client, "hello")
    png = {"file": ("a.png", _png(), "image/png")}
    no_token = await client.post("/v1/upload", data={"session_id": a["session_id"]}, files=png)
    assert no_token.status_code == 401
    no_session = await client.post("/v1/upload", headers={"X-Session-Token": a["session_token"]}, files=png)
    assert no_session.status_code == 401
    stolen = await client.post(
        "/v1/upload", headers={"X-Session-Token": b["session_token"]}, data={"session_id": a["session_id"]}, files=png
    )
    assert stolen.status_code == 403
    own = {"X-Session-Token": a["session_token"]}
    as_json = await client.post("/v1/upload", headers=own, json={"session_id": a["session_id"]})
    assert as_json.status_code == 415
    script = await client.post(
        "/v1/upload",
        headers=own,
        data={"session_id": a["session_id"]},
        files={"file": ("x.png", b"<script>alert(1)</script>", "image/png")},
    )
    assert script.status_code == 415 and script.json()["error"]["code"].startswith("attachment_")
    nothing = await client.post("/v1/upload", headers=own, data={"session_id": a["session_id"]}, files={})
    assert nothing.status_code in (415, 422)

    # Links: another file's token, a tampered one, and another session's upload in a message.
    first = (await client.post("/v1/upload", headers=own, data={"session_id": a["session_id"]}, files=png)).json()
    second = (
        await client.post(
            "/v1/upload",
            headers=own,
            data={"session_id": a["session_id"]},
            files={"file": ("b.png", _png((0, 90, 200)), "image/png")},
        )
    ).json()
    token_of_first = first["url"].split("file_token=")[1]
    path_of_second = second["url"].removeprefix("http://testserver").split("?")[0]
    crossed = await client.get(path_of_second, params={"file_token": token_of_first})
    assert crossed.status_code == 401 and crossed.json()["error"]["code"] == "file_token_invalid"
    tampered = await client.get(path_of_second, params={"file_token": token_of_first[:-3] + "abc"})
    assert tampered.status_code == 401
    bare = await client.get(path_of_second)
    assert bare.status_code == 401
    with_session = await client.get(path_of_second, headers=own)
    assert with_session.status_code == 200
    foreign = await client.post(
        "/v1/message",
        headers={"X-Session-Token": b["session_token"]},
        json={"session_id": b["session_id"], "message": "[صورة]", "attachment_url": first["url"]},
    )
    assert foreign.status_code == 422
    foreign_token = await client.post(
        "/v1/message",
        headers={"X-Session-Token": b["session_token"]},
        json={"session_id": a["session_id"], "message": "[صورة]", "attachment_url": first["url"]},
    )
    assert foreign_token.status_code == 403
