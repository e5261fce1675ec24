"""Knowledge gaps: grouping by similar questions, review endpoints, and approved answers used by
the pipeline at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import fetch_rows, make_settings, write_sql
from test_analytics import ADMIN, AppClient, aclient, analytics_backend, say  # noqa: F401 - fixtures

from nura_appliance.analytics.gaps import record_gap, similar_enough
from nura_appliance.context import AppContext, build_context


@pytest.fixture
async def ctx(data_dir: Path, analytics_backend: dict[str, str]) -> AsyncIterator[AppContext]:  # noqa: F811
    context = build_context(make_settings(data_dir, LOAD_DEFAULT_KNOWLEDGE=False, **analytics_backend))
    yield context
    await asyncio.get_running_loop().run_in_executor(None, context.close)


def test_similarity_rules() -> None:
    assert similar_enough("how do i pay my bill", "how can i pay the bill")
    assert similar_enough("الانترنت بطيء جدا", "الانترنيت بطيء جدا")  # typo, same question
    assert similar_enough("înterneta min hêdî ye", "înterneta min gelek hêdî ye")
    assert not similar_enough("how do i pay my bill", "reset my router")


async def test_record_gap_groups_and_is_idempotent(ctx: AppContext) -> None:
    store = ctx.stores.gaps

    def run(conn: object) -> list[int | None]:
        return [
            record_gap(
                store,
                conn,
                question="How do I pay my bill?",
                lang="en",
                reason="out_of_scope",
                session_id="s1",
                message_id=1,
            ),
            record_gap(
                store,
                conn,
                question="how can I pay the bill",
                lang="en",
                reason="low_confidence",
                session_id="s2",
                message_id=2,
            ),
            record_gap(
                store,
                conn,
                question="reset my router please",
                lang="en",
                reason="thumbs_down",
                session_id="s3",
                message_id=3,
            ),
            record_gap(
                store,
                conn,
                question="How do I pay my bill?",
                lang="en",
                reason="out_of_scope",
                session_id="s1",
                message_id=1,
            ),  # the same job again
        ]

    ids = await store.write(run)
    assert ids[3] is None and all(ids[:3])
    rows = await fetch_rows(ctx.db, "SELECT id, group_key FROM knowledge_gaps ORDER BY id")
    assert len(rows) == 3
    assert rows[0]["group_key"] == rows[1]["group_key"] != rows[2]["group_key"]


async def test_review_flow_and_pipeline_uses_approved_answer(aclient: AppClient) -> None:  # noqa: F811
    ctx = aclient.nura  # type: ignore[attr-defined]
    first = await say(aclient, "where is your shop in erbil city")
    assert first["kind"] == "out_of_scope"
    await say(aclient, "where is the shop in erbil")
    await say(aclient, "qwerty asdf zxcv")
    # Classified with each message (no LLM configured): the gaps exist without any job running.
    assert await ctx.jobs.run_pending() == 0

    listing = (await aclient.get("/v1/knowledge-gaps", headers=ADMIN)).json()
    assert listing["total"] == 2
    shop, other = listing["groups"]
    assert shop["count"] == 2 and shop["question"] == "where is your shop in erbil city"
    assert shop["reasons"] == ["out_of_scope"] and shop["status"] == "open" and other["count"] == 1

    # Bad requests are 4xx, never 500.
    assert (
        await aclient.post(f"/v1/knowledge-gaps/{shop['group_id']}/approve", json={"mode": "article"}, headers=ADMIN)
    ).status_code == 422
    assert (
        await aclient.post(f"/v1/knowledge-gaps/{shop['group_id']}/approve", json={"mode": "bogus"}, headers=ADMIN)
    ).status_code == 422
    assert (
        await aclient.post("/v1/knowledge-gaps/99999/approve", json={"answer": "x"}, headers=ADMIN)
    ).status_code == 404
    assert (
        await aclient.post(
            f"/v1/knowledge-gaps/{other['group_id']}/approve",
            json={"mode": "example", "article_id": "no-such-article"},
            headers=ADMIN,
        )
    ).status_code == 404
    assert (
        await aclient.post(f"/v1/knowledge-gaps/{shop['group_id']}/approve", json={"answer": "x"})
    ).status_code == 401

    answer = "Our Erbil shop is on 100m Street, open 9-21."
    resp = await aclient.post(
        f"/v1/knowledge-gaps/{shop['group_id']}/approve", json={"mode": "article", "answer": answer}, headers=ADMIN
    )
    assert resp.status_code == 200, resp.text
    approved = resp.json()
    assert approved["gaps"] == 2 and approved["article_id"] == f"gap-{shop['group_id']}"
    again = await aclient.post(f"/v1/knowledge-gaps/{shop['group_id']}/approve", json={"answer": answer}, headers=ADMIN)
    assert again.status_code == 409

    reply = await say(aclient, "where is the shop in erbil")
    assert reply["kind"] == "article" and reply["article_id"] == approved["article_id"]
    assert reply["response"] == answer

    # Example mode: the question becomes an example of an existing article.
    resp = await aclient.post(
        f"/v1/knowledge-gaps/{other['group_id']}/approve",
        json={"mode": "example", "article_id": "bill-pay"},
        headers=ADMIN,
    )
    assert resp.status_code == 200
    article = await ctx.knowledge.article("bill-pay")
    assert "qwerty asdf zxcv" in article["examples"]["en"]
    assert (await say(aclient, "qwerty asdf zxcv"))["article_id"] == "bill-pay"

    approved_list = (await aclient.get("/v1/knowledge-gaps?status=approved", headers=ADMIN)).json()
    assert approved_list["total"] == 2
    assert (await aclient.get("/v1/knowledge-gaps?status=nope", headers=ADMIN)).status_code == 422
    assert (await aclient.get("/v1/knowledge-gaps?lang=fr", headers=ADMIN)).status_code == 422


async def test_reject_resolve_and_thumbs_down(aclient: AppClient) -> None:  # noqa: F811
    ctx = aclient.nura  # type: ignore[attr-defined]
    answered = await say(aclient, "how to reset my router")
    await say(aclient, "blorp florp glorp")
    await say(aclient, "totally unrelated cucumber question")
    await ctx.jobs.run_pending()
    await write_sql(
        ctx.db,
        "INSERT INTO message_feedback (session_id, message_id, value, created_at) VALUES (?, ?, 'down', 0)",
        (answered["session_id"], answered["message_id"]),
    )
    listing = (await aclient.get("/v1/knowledge-gaps", headers=ADMIN)).json()
    by_question = {g["question"]: g for g in listing["groups"]}
    assert by_question["how to reset my router"]["reasons"] == ["thumbs_down"]
    assert listing["total"] == 3

    reject = by_question["blorp florp glorp"]["group_id"]
    resolve = by_question["totally unrelated cucumber question"]["group_id"]
    assert (await aclient.post(f"/v1/knowledge-gaps/{reject}/reject", headers=ADMIN)).json()["status"] == "rejected"
    assert (await aclient.post(f"/v1/knowledge-gaps/{resolve}/resolve", headers=ADMIN)).json()["status"] == "resolved"
    assert (await aclient.post(f"/v1/knowledge-gaps/{reject}/resolve", headers=ADMIN)).status_code == 409
    assert (await aclient.get("/v1/knowledge-gaps", headers=ADMIN)).json()["total"] == 1
    everything = (await aclient.get("/v1/knowledge-gaps?status=all", headers=ADMIN)).json()
    assert {g["status"] for g in everything["groups"]} == {"open", "rejected", "resolved"}
