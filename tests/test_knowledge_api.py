"""/v1/knowledge/* through the real app: roles, article CRUD with re-indexing, packs, tree,
uploads with background ingestion, search and try."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest
from auth_helpers import bearer, staff_tokens
from conftest import make_settings

from nura_appliance.paths import default_pack_path


@pytest.fixture
def settings(ready_data_dir: Any) -> Any:
    """Run the job consumer, so uploads are ingested by the real jobs feature."""
    return make_settings(ready_data_dir, JOB_WORKER_ENABLED=True)


ARTICLE = {
    "id": "gift-cards",
    "category": "billing",
    "title": {"ar": "بطاقات الهدايا", "en": "Gift cards", "ku": "Kartên diyariyê"},
    "body": {
        "ar": "يمكنك شراء بطاقة هدية من أي فرع وإهداؤها لأي رقم.",
        "en": "Buy a gift card at any branch and give it to any number.",
    },
    "examples": {"en": ["can i buy a gift card for my friend"]},
    "keywords": ["gift card", "هدية"],
}


async def test_roles_reads_for_agents_writes_for_admins(app: Any, client: Any) -> None:
    tokens = await staff_tokens(app, client)
    assert (await client.get("/v1/knowledge/articles")).status_code == 401
    assert (await client.get("/v1/knowledge/articles", headers=bearer(tokens["viewer"]))).status_code == 403
    listed = await client.get("/v1/knowledge/articles", headers=bearer(tokens["agent"]))
    assert listed.status_code == 200 and listed.json()["total"] == 33
    refused = await client.post("/v1/knowledge/articles", json=ARTICLE, headers=bearer(tokens["agent"]))
    assert refused.status_code == 403
    for path in ("/v1/knowledge/packs/export", "/v1/knowledge/ingest"):
        method = client.get if path.endswith("export") else client.post
        assert (await method(path, headers=bearer(tokens["agent"]))).status_code == 403


async def test_article_crud_reindexes_and_is_audited(app: Any, client: Any) -> None:
    admin = bearer((await staff_tokens(app, client))["admin"])
    created = await client.post("/v1/knowledge/articles", json=ARTICLE, headers=admin)
    assert created.status_code == 201 and created.json()["id"] == "gift-cards"
    assert (await client.post("/v1/knowledge/articles", json=ARTICLE, headers=admin)).status_code == 409

    tried = await client.post("/v1/knowledge/try", json={"text": "where can I buy a gift card"}, headers=admin)
    body = tried.json()
    assert tried.status_code == 200 and body["kind"] == "article" and body["article_id"] == "gift-cards"
    assert body["lang"] == "en" and body["candidates"][0]["article_id"] == "gift-cards"
    assert 0 <= body["confidence"] <= 1 and body["article_tier"]["decision"] == "article"

    bad = dict(ARTICLE, title="just a string")
    resp = await client.put("/v1/knowledge/articles/gift-cards", json=bad, headers=admin)
    assert resp.status_code == 422 and "title" in resp.json()["error"]["message"]

    assert (await client.delete("/v1/knowledge/articles/gift-cards", headers=admin)).status_code == 200
    assert (await client.delete("/v1/knowledge/articles/gift-cards", headers=admin)).status_code == 404
    tried = await client.post("/v1/knowledge/try", json={"text": "where can I buy a gift card"}, headers=admin)
    assert tried.json()["article_id"] != "gift-cards"
    vectors = await app.ctx.nura.db.fetchone("SELECT count(*) AS n FROM kb_vectors WHERE ref = 'gift-cards'")
    assert vectors["n"] == 0
    actions = [r["action"] for r in await app.ctx.nura.db.fetchall("SELECT action FROM audit_log")]
    assert {"knowledge.article.create", "knowledge.article.delete"} <= set(actions)


async def test_pack_import_is_atomic_and_round_trips(app: Any, client: Any) -> None:
    admin = bearer((await staff_tokens(app, client))["admin"])
    exported = (await client.get("/v1/knowledge/packs/export", headers=admin)).json()
    assert exported["format"] == "nura-knowledge/1" and len(exported["articles"]) == 33

    broken = copy.deepcopy(exported)
    broken["articles"].append(copy.deepcopy(broken["articles"][0]))  # duplicate id
    resp = await client.post("/v1/knowledge/packs/import", json=broken, headers=admin)
    assert resp.status_code == 422 and "duplicate id" in resp.json()["error"]["message"]
    dangling = copy.deepcopy(exported)
    dangling["topic_tree"]["children"][0]["children"] = [{"id": "x", "label": {"en": "X"}, "article": "nope"}]
    resp = await client.post("/v1/knowledge/packs/import", json=dangling, headers=admin)
    assert resp.status_code == 422 and "'nope'" in resp.json()["error"]["message"]
    assert (await client.get("/v1/knowledge/stats", headers=admin)).json()["articles"] == 33  # nothing changed

    small = {"format": "nura-knowledge/1", "name": "tiny", "articles": [ARTICLE]}
    merged = await client.post("/v1/knowledge/packs/import?merge=true", json=small, headers=admin)
    assert merged.status_code == 200 and merged.json()["articles"] == 1
    assert (await client.get("/v1/knowledge/stats", headers=admin)).json()["articles"] == 34
    replaced = await client.post("/v1/knowledge/packs/import", json=small, headers=admin)
    assert replaced.status_code == 200
    stats = (await client.get("/v1/knowledge/stats", headers=admin)).json()
    assert stats["articles"] == 1 and stats["embedding_space"].startswith("builtin:")

    restored = await client.post("/v1/knowledge/packs/import", json=exported, headers=admin)
    assert restored.status_code == 200
    again = (await client.get("/v1/knowledge/packs/export", headers=admin)).json()
    assert again["articles"] == exported["articles"] and again["topic_tree"] == exported["topic_tree"]


async def test_tree_replace_checks_articles(app: Any, client: Any) -> None:
    admin = bearer((await staff_tokens(app, client))["admin"])
    tree = {
        "id": "root",
        "label": {"ar": "الكل"},
        "children": [{"id": "slow", "label": {"ar": "بطء"}, "article": "internet-slow"}],
    }
    assert (await client.put("/v1/knowledge/tree", json={"tree": tree}, headers=admin)).status_code == 200
    assert (await client.get("/v1/knowledge/tree", headers=admin)).json()["tree"] == tree
    tree["children"][0]["article"] = "missing"
    resp = await client.put("/v1/knowledge/tree", json={"tree": tree}, headers=admin)
    assert resp.status_code == 422 and "missing" in resp.json()["error"]["message"]


async def test_upload_ingests_in_background_and_search_finds_it(app: Any, client: Any) -> None:
    admin = bearer((await staff_tokens(app, client))["admin"])
    handbook = (
        b"# Roaming desk\n\nThe roaming desk at the airport branch opens at 6 am. "
        b"Travellers can buy a daily roaming pass there.\n"
    )
    resp = await client.post(
        "/v1/knowledge/upload", files={"file": ("airport.md", handbook, "text/markdown")}, headers=admin
    )
    assert resp.status_code == 202, resp.text
    run_id = resp.json()["run_id"]
    for _ in range(200):
        runs = (await client.get("/v1/knowledge/ingestions", headers=admin)).json()["runs"]
        run = next(r for r in runs if r["id"] == run_id)
        if run["status"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.05)
    assert run["status"] == "done" and run["chunks"] >= 1 and run["detail"][0]["name"] == "airport.md"

    found = await client.get(
        "/v1/knowledge/search", params={"q": "airport roaming desk", "lang": "en", "k": 3}, headers=admin
    )
    hits = found.json()["hits"]
    chunk = next(h for h in hits if h["kind"] == "chunk")
    assert found.status_code == 200 and chunk["doc"] == "airport.md" and "6 am" in chunk["text"]
    assert {"kind", "ref", "title", "text", "score", "tier", "doc"} <= set(chunk)

    again = await client.post("/v1/knowledge/ingest", json={}, headers=admin)
    assert again.status_code == 202

    bad = await client.post(
        "/v1/knowledge/upload", files={"file": ("tool.exe", b"MZ\x90\x00", "application/x")}, headers=admin
    )
    assert bad.status_code == 415 and bad.json()["error"]["code"] == "upload_type_not_allowed"
    empty = await client.post("/v1/knowledge/upload", files={"file": ("empty.md", b"", "text/markdown")}, headers=admin)
    assert empty.status_code == 422
    missing = await client.post("/v1/knowledge/upload", headers=admin)
    assert missing.status_code == 422
    unknown = await client.post("/v1/knowledge/ingest", json={"files": ["../etc/passwd"]}, headers=admin)
    assert unknown.status_code == 404


async def test_search_and_try_validate_input(app: Any, client: Any) -> None:
    agent = bearer((await staff_tokens(app, client))["agent"])
    for params in ({}, {"q": "x", "k": "lots"}, {"q": "x", "k": "0"}, {"q": "x", "lang": "fr"}):
        resp = await client.get("/v1/knowledge/search", params=params, headers=agent)
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_field"
    for body in ({}, {"text": "  "}, {"text": "hi", "lang": "de"}):
        resp = await client.post("/v1/knowledge/try", json=body, headers=agent)
        assert resp.status_code == 422
    resp = await client.post(
        "/v1/knowledge/try", content=b"{not json", headers={**agent, "content-type": "application/json"}
    )
    assert resp.status_code == 400
    handoff = await client.post("/v1/knowledge/try", json={"text": "ابي اكلم موظف"}, headers=agent)
    assert handoff.json()["kind"] == "handoff"
    oos = await client.post("/v1/knowledge/try", json={"text": "who is the president of france"}, headers=agent)
    assert oos.json()["kind"] == "out_of_scope" and oos.json()["article_id"] is None


def test_default_pack_is_valid_json() -> None:
    assert json.loads(default_pack_path().read_text(encoding="utf-8"))["format"] == "nura-knowledge/1"
