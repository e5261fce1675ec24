"""The places a desk serves come from its pack (``pack.places``) or, when it declares none, from
the shipped gazetteer (``knowledge/places-iraq.json``): another country's operator lists its own
towns, and those are what a branch question can name that the listing article lacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from handbook_support import _runner, eval_offline

from nura_appliance.cli.main import app as cli
from nura_appliance.knowledge.pack import PackError, validate_pack
from nura_appliance.knowledge.places import Gazetteer, default_gazetteer
from nura_appliance.paths import default_pack_path

REJECTED = ("out_of_scope", "fallback")
# A desk in Jordan: its towns, no mountain packages, and Iraq among the countries.
JORDAN = {
    "local": [["عمان", "عمّان", "amman"], ["الزرقاء", "zarqa"], ["اربد", "irbid"], ["العقبه", "aqaba"]],
    "nature": [],
    "countries": [["العراق", "iraq"], ["السعوديه", "saudi"]],
}


def test_a_declared_place_list_decides_which_words_are_places() -> None:
    jordan = Gazetteer.from_data(JORDAN)
    assert jordan.place_words("وين فرعكم بالزرقاء") == ["زرقا"]  # normalised, without its article
    assert jordan.place_words("وين فرعكم بالكوت") == []
    assert default_gazetteer().place_words("وين فرعكم بالزرقاء") == []
    assert default_gazetteer().place_words("وين فرعكم بالكوت") == ["كوت"]
    assert jordan.place_groups("roaming in iraq") == jordan.place_groups("التجوال بالعراق")


def test_a_multi_word_name_counts_by_its_last_word_unless_it_names_no_place_alone() -> None:
    places = Gazetteer.from_data({"local": [["ذي قار", "dhi qar"], ["تلعفر", "tal afar"]], "not_alone": ["قار", "qar"]})
    assert places.place_words("branch in tal afar") == ["afar"]
    assert places.place_words("فرع ذي قار") == []


@pytest.mark.parametrize(
    "places",
    [[["عمان"]], {"local": "عمان"}, {"local": [[]]}, {"local": [["عمان", 3]]}, {"towns": []}, {"not_alone": "x"}],
)
def test_a_malformed_place_list_is_refused_on_import(places: Any) -> None:
    pack = json.loads(default_pack_path().read_text(encoding="utf-8"))
    with pytest.raises(PackError, match="pack.places"):
        validate_pack({**pack, "places": places})


def _import(data_dir: Path, tmp_path: Path, places: dict[str, Any] | None) -> None:
    pack = json.loads(default_pack_path().read_text(encoding="utf-8"))
    if places is not None:
        pack["places"] = places
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")
    result = _runner.invoke(cli, ["knowledge", "import", str(path), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output


def _kinds(data_dir: Path, tmp_path: Path, texts: list[str]) -> list[str]:
    """What the desk gives each question: the article it answers with, or the kind of refusal."""
    cases = [{"text": t, "lang": "ar", "expect": {"out_of_scope": True}} for t in texts]
    got = [case["got"] for case in eval_offline(data_dir, cases, tmp_path)["cases"]]
    return [g["article"] if g["kind"] == "article" else g["kind"] for g in got]


def test_the_pack_places_change_which_places_are_unlisted(data_dir: Path, tmp_path: Path) -> None:
    # The default pack's branch article lists Iraqi cities, Kut not among them.
    question = "وين فرعكم بالكوت"
    _import(data_dir, tmp_path, None)
    assert _kinds(data_dir, tmp_path, [question])[0] in REJECTED  # Kut: a place the listing lacks
    _import(data_dir, tmp_path, {**JORDAN, "local": [*JORDAN["local"], ["تكريت", "tikrit"]]})
    # Kut is no place this desk serves; Tikrit, declared and not listed, still is refused
    kut, tikrit = _kinds(data_dir, tmp_path, [question, "عندكم فرع بتكريت؟"])
    assert kut == "working-hours" and tikrit in REJECTED
    exported = tmp_path / "export.json"
    result = _runner.invoke(cli, ["knowledge", "export", str(exported), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert json.loads(exported.read_text(encoding="utf-8"))["places"]["local"][0] == JORDAN["local"][0]
    # a pack without places returns the desk to the shipped ones
    _import(data_dir, tmp_path, None)
    assert _kinds(data_dir, tmp_path, [question])[0] in REJECTED
