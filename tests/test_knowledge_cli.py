"""`nura knowledge …` end to end on a real data dir: import (replace, merge, legacy), export
round trip, atomic failures, ingest, search and stats."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from conftest import make_settings
from typer.testing import CliRunner

from nura_appliance.cli.main import app as cli
from nura_appliance.context import build_context
from nura_appliance.paths import default_pack_path

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def test_import_export_round_trip_and_merge(data_dir: Path, tmp_path: Path) -> None:
    code, out = invoke("knowledge", "import", str(default_pack_path()), "--data-dir", str(data_dir))
    assert code == 0 and "33 articles" in out
    exported = tmp_path / "out.json"
    code, out = invoke("knowledge", "export", str(exported), "--data-dir", str(data_dir))
    assert code == 0 and "33 articles" in out
    pack = json.loads(exported.read_text(encoding="utf-8"))
    original = json.loads(default_pack_path().read_text(encoding="utf-8"))
    assert [a["id"] for a in pack["articles"]] == sorted(a["id"] for a in original["articles"])

    extra = {
        "format": "nura-knowledge/1",
        "articles": [{"id": "new-topic", "title": {"en": "New topic"}, "body": {"en": "Details of the new topic."}}],
    }
    extra_file = tmp_path / "extra.json"
    extra_file.write_text(json.dumps(extra), encoding="utf-8")
    code, out = invoke("knowledge", "import", str(extra_file), "--merge", "--data-dir", str(data_dir))
    assert code == 0 and "merged" in out
    code, out = invoke("knowledge", "stats", "--json", "--data-dir", str(data_dir))
    stats = json.loads(out)
    assert stats["articles"] == 34 and stats["embedding_space"].startswith("builtin:")


def test_failed_imports_change_nothing(data_dir: Path, tmp_path: Path) -> None:
    invoke("knowledge", "import", str(default_pack_path()), "--data-dir", str(data_dir))
    cases = {
        "dupes.json": (
            {
                "format": "nura-knowledge/1",
                "articles": [
                    {"id": "a", "title": {"en": "A"}, "body": {"en": "a"}},
                    {"id": "a", "title": {"en": "A"}, "body": {"en": "a"}},
                ],
            },
            "article 'a': duplicate id",
        ),
        "tree.json": (
            {
                "format": "nura-knowledge/1",
                "articles": [{"id": "a", "title": {"en": "A"}, "body": {"en": "a"}}],
                "topic_tree": {
                    "id": "root",
                    "label": {"en": "All"},
                    "children": [{"id": "leaf", "label": {"en": "Leaf"}, "article": "ghost"}],
                },
            },
            "topic node 'leaf'.article: no article with id 'ghost'",
        ),
        "lang.json": (
            {"format": "nura-knowledge/1", "articles": [{"id": "a", "title": {"fr": "A"}, "body": {"en": "a"}}]},
            "article 'a'.title: unknown language 'fr'",
        ),
        "broken.json": ("{not json", "invalid JSON at line 1"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        code, out = invoke("knowledge", "import", str(path), "--data-dir", str(data_dir))
        assert code == 1 and message in out, out
    code, out = invoke("knowledge", "stats", "--json", "--data-dir", str(data_dir))
    assert json.loads(out)["articles"] == 33


async def test_a_failure_inside_the_write_rolls_the_whole_import_back(data_dir: Path) -> None:
    ctx = build_context(make_settings(data_dir))
    try:
        from nura_appliance.context import load_default_knowledge

        await load_default_knowledge(ctx)
        before = await ctx.db.fetchone(
            "SELECT (SELECT count(*) FROM articles) AS a,"
            " (SELECT count(*) FROM kb_vectors) AS v, (SELECT count(*) FROM kb_fts) AS f"
        )
        bad = {
            "articles": [{"id": "x", "title": {"en": "X"}, "body": {"en": "x"}}],
            "rules": [{"id": "r"}],
        }  # a rule without patterns fails half-way through the write
        try:
            await ctx.knowledge.load_pack(bad)
        except KeyError:
            pass
        else:
            raise AssertionError("the broken pack should have failed")
        after = await ctx.db.fetchone(
            "SELECT (SELECT count(*) FROM articles) AS a,"
            " (SELECT count(*) FROM kb_vectors) AS v, (SELECT count(*) FROM kb_fts) AS f"
        )
        assert after == before and before["a"] == 33
    finally:
        ctx.close()


def test_legacy_nura_files_import(data_dir: Path, tmp_path: Path) -> None:
    articles = [
        {"title": "الرصيد", "content_ar": "اطلب *100# لمعرفة الرصيد."},
        {"title": "الإنترنت البطيء", "content_ar": "أعد تشغيل الهاتف وتحقق من الباقة."},
    ]
    tree = [
        {"label": "الحساب", "children": [{"label": "الرصيد", "article_index": 0}]},
        {"label": "الإنترنت", "article_index": 1},
    ]
    (tmp_path / "articals.json").write_text(json.dumps(articles, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "topic_tree.json").write_text(json.dumps(tree, ensure_ascii=False), encoding="utf-8")
    code, out = invoke(
        "knowledge",
        "import-legacy",
        str(tmp_path / "articals.json"),
        str(tmp_path / "topic_tree.json"),
        "--data-dir",
        str(data_dir),
    )
    assert code == 0 and "imported 2 articles" in out
    code, out = invoke("knowledge", "search", "كيف اعرف رصيدي", "--json", "--data-dir", str(data_dir))
    result = json.loads(out)
    assert result["hits"][0]["ref"] == "article-0" and result["decision"]["candidates"][0] == "article-0"

    (tmp_path / "topic_tree.json").write_text(json.dumps([{"label": "x", "article_index": 7}]), encoding="utf-8")
    code, out = invoke(
        "knowledge",
        "import-legacy",
        str(tmp_path / "articals.json"),
        str(tmp_path / "topic_tree.json"),
        "--data-dir",
        str(data_dir),
    )
    assert code == 1 and "no article at index 7" in out


def test_ingest_search_and_stats_commands(data_dir: Path, tmp_path: Path) -> None:
    handbook = REPO / "knowledge" / "handbook"
    code, out = invoke("knowledge", "ingest", str(handbook), "--data-dir", str(data_dir))
    assert code == 0 and "0 failed" in out
    code, out = invoke("knowledge", "ingest", str(handbook), "--data-dir", str(data_dir))
    assert code == 0 and "0 ingested" in out and "unchanged" in out
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    code, out = invoke("knowledge", "ingest", str(tmp_path / "empty.txt"), "--data-dir", str(data_dir))
    assert code == 1 and "empty.txt: the file is empty" in out
    code, out = invoke("knowledge", "search", "متى آخر موعد لدفع الفاتورة", "--data-dir", str(data_dir))
    assert code == 0 and "article tier:" in out and "[chunk/" in out
    code, out = invoke("knowledge", "stats", "--data-dir", str(data_dir))
    assert code == 0 and "chunks" in out and "run" in out
    ctx = build_context(make_settings(data_dir))
    try:
        runs = asyncio.run(ctx.db.fetchall("SELECT status FROM ingestion_logs ORDER BY id"))
        assert [r["status"] for r in runs] == ["done", "done", "failed"]
    finally:
        ctx.close()
