"""The grounded tier on the knowledge feature's real hybrid retriever: the sample handbook is
ingested by the real ingestion, the answer comes through the openai client from a scripted server."""

from __future__ import annotations

from pathlib import Path

import httpx
from ai_support import ScriptedOpenAI, ledger_when_linked
from conftest import REPO, make_settings, start_app, stop_app

from nura_appliance.app import create_app


async def test_handbook_question_answered_from_retrieved_chunks(data_dir: Path) -> None:
    server = ScriptedOpenAI()
    app = create_app(
        make_settings(
            data_dir,
            LOAD_DEFAULT_KNOWLEDGE=False,
            BACKGROUND_JOBS_ENABLED=False,
            OPENAI_BASE_URL=server.base_url,
            NURA_LLM_PROVIDER="openai",
            LLM_STREAM=False,
            LLM_TIMEOUT_SECONDS=30,  # generous: a bound on a hang under load, not the pace under test
        )
    )
    await start_app(app)
    try:
        ctx = app.ctx.nura
        assert ctx.retriever is not None, "the knowledge feature installs the retriever"
        from nura_appliance.knowledge.ingest import ingest_file

        for path in sorted((REPO / "knowledge" / "handbook").iterdir()):
            await ingest_file(ctx, path.name, path.read_bytes(), path.name)
        server.push({"text": "نرد على معظم الاعتراضات خلال 3 أيام عمل، وقد تستغرق بعض الحالات حتى 10 أيام عمل [1]."})
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)), base_url="http://testserver"
        ) as client:
            resp = await client.post("/v1/message", json={"message": "كم يوماً يستغرق الرد على الاعتراض على الفاتورة؟"})
            assert resp.status_code == 200
            answer = resp.json()
            assert answer["source"] == "openai", answer
            assert answer["source_doc"] == "billing-policy.md"
            assert all(s["kind"] == "chunk" for s in answer["sources"])
            system = server.chat_requests()[-1]["body"]["messages"][0]["content"]
            assert "[1]" in system and "10 أيام عمل" in system  # the retrieved policy is the context

            # Nothing relevant in the handbook: no LLM call, the scope message.
            calls = len(server.chat_requests())
            resp = await client.post("/v1/message", json={"message": "Who won the football world cup?"})
            assert resp.json()["kind"] == "out_of_scope"
            assert len(server.chat_requests()) == calls
        rows = [{k: r[k] for k in ("provider", "outcome", "message_id")} for r in await ledger_when_linked(ctx.db)]
        assert rows == [{"provider": "openai", "outcome": "answered", "message_id": answer["message_id"]}]
    finally:
        await stop_app(app)
        server.stop()


def test_the_shortlist_keeps_each_lists_best_whatever_the_fusion():
    """A chunk first by BM25 (the only one holding "MNC") and absent from the vector list fused
    below ten chunks that are middling in both lists; it is still scored in full."""
    from nura_appliance.knowledge.hybrid import SOURCE_KEEP, _rank, _shortlist

    lexical = [("rare", 9.0, "mnc 45")] + [(f"c{i}", 5.0 - 0.1 * i, "zagros") for i in range(12)]
    vector = {f"c{i}": 0.9 - 0.01 * i for i in range(12)} | {"v-only": 0.95}
    kept = _shortlist(_rank(lexical, vector, 20), 5)
    assert "rare" in kept and "v-only" in kept  # each list's first
    fused = sorted(kept.values(), key=lambda c: -c.fused)[:10]
    assert "rare" not in {c.ref for c in fused}  # ... which fusion alone would have dropped
    assert len(kept) <= 10 + 2 * SOURCE_KEEP
