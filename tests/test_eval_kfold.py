"""``nura eval PACK --kfold K``: every example question is held out exactly once, asked against a
pack that does not contain it, and the folds are combined into one report."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from nura_appliance.cli.main import app as cli
from nura_appliance.knowledge.kfold import folds
from nura_appliance.knowledge.pack import read_pack_file
from nura_appliance.paths import default_pack_path


def test_every_example_is_held_out_once_and_never_trained_on() -> None:
    pack = read_pack_file(default_pack_path())
    every = [(a["id"], lang, t) for a in pack["articles"] for lang, ex in (a.get("examples") or {}).items() for t in ex]
    split = folds(pack, 5)
    asked = [(c["expect"]["article"], c["lang"], c["text"]) for _, cases in split for c in cases]
    assert sorted(asked) == sorted(every)
    sizes = [len(cases) for _, cases in split]
    assert max(sizes) - min(sizes) <= 1
    for trained, cases in split:
        kept = {(a["id"], lang, t) for a in trained["articles"] for lang, ex in a["examples"].items() for t in ex}
        held = {(c["expect"]["article"], c["lang"], c["text"]) for c in cases}
        assert not kept & held and len(kept) + len(held) == len(every)
    assert folds(pack, 5) == split  # seeded: the same folds every run


def test_kfold_cli_on_a_small_pack(tmp_path: Path) -> None:
    articles = [
        ("pay-bill", "Pay your bill", ["how do i pay my bill", "pay the invoice online", "where to pay my bill"]),
        ("reset-router", "Reset the router", ["how to reset my router", "router restart steps", "restart the modem"]),
        ("roaming", "Roaming abroad", ["does my line work abroad", "activate roaming", "travel roaming price"]),
    ]
    pack = {
        "format": "nura-knowledge/1",
        "articles": [
            {"id": i, "title": {"en": t}, "body": {"en": f"{t}: follow the steps in the app."}, "examples": {"en": ex}}
            for i, t, ex in articles
        ],
    }
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(pack), encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(path), "--kfold", "3", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["summary"]["counts"]["article"] == 9 and len(report["summary"]["folds"]) == 3
    assert report["summary"]["per_language"]["en"]["cases"] == 9
    assert report["summary"]["top1"] >= 2 / 3  # nearly every held-out wording shares the topic words

    bad = CliRunner().invoke(cli, ["eval", str(path), "--kfold", "1"])
    assert bad.exit_code == 1 and "between 2 and 20" in bad.output
    no_examples = tmp_path / "none.json"
    no_examples.write_text(json.dumps({**pack, "articles": [{**a, "examples": {}} for a in pack["articles"]]}))
    bad = CliRunner().invoke(cli, ["eval", str(no_examples), "--kfold", "3"])
    assert bad.exit_code == 1 and "no example questions" in bad.output
