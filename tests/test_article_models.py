"""The article tier's learned parts (issue 16): the per-pack term model and ridge model, the
coverage evidence behind the calibrated confidence, and what they do to decisions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nura_appliance.knowledge.retrieval import (
    ArticleMatcher,
    SparseModel,
    add_features,
    term_features,
    train_model,
)


def test_term_model_is_the_cosine_of_tfidf_profiles() -> None:
    docs = [term_features({"باق": 2.0, "نت": 1.0}), term_features({"رصيد": 1.0, "نت": 1.0})]
    model = SparseModel.build(docs)
    query = add_features({}, ["رصيد", "نت"])
    n = 2
    idf = {f: math.log((n + 1) / (sum(f in d for d in docs) + 0.5)) for d in docs for f in d}

    def vec(bag: dict[str, float]) -> dict[str, float]:
        return {f: math.sqrt(v) * idf.get(f, 0.0) for f, v in bag.items()}

    def cos(a: dict[str, float], b: dict[str, float]) -> float:
        dot = sum(v * b.get(f, 0.0) for f, v in a.items())
        return dot / math.sqrt(sum(v * v for v in a.values())) / math.sqrt(sum(v * v for v in b.values()))

    expected = [cos(vec(query), vec(d)) for d in docs]
    assert np.allclose(model.score(["رصيد", "نت"]), expected)
    assert model.score(["رصيد", "نت"])[1] > model.score(["رصيد", "نت"])[0]
    assert not model.score(["unknownword"]).any()  # nothing the knowledge knows: no score
    assert not SparseModel.build([{}, {}]).score([]).any()


def test_ridge_model_learns_each_article_from_its_items() -> None:
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(3, 16))
    items = np.repeat(np.arange(3), 5)
    vectors = centres[items] + 0.3 * rng.normal(size=(15, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    weights = train_model(vectors.astype(np.float32), items, ["example"] * 15, 3)
    query = centres[2] / np.linalg.norm(centres[2])
    assert int(np.argmax(query @ weights)) == 2
    shuffled = np.array([2, 0, 1] * 5)  # items need not be grouped by article
    weights = train_model(
        vectors[np.argsort(shuffled, kind="stable")].astype(np.float32), np.sort(shuffled), ["example"] * 15, 3
    )
    assert weights.shape == (16, 3)


def test_confidence_falls_with_uncovered_words_one_generic_word_and_a_small_margin() -> None:
    calibrate = ArticleMatcher.calibrate
    strong = calibrate(1.6, 0.5, covered=0.9, words=3, rarest=0.8, learned=0.3)
    assert strong > 0.9
    assert calibrate(1.6, 0.05, covered=0.9, words=3, rarest=0.8, learned=0.3) < strong  # runner-up close
    assert calibrate(1.6, 0.5, covered=0.9, words=1, rarest=0.8, learned=0.3) < strong  # one word carries it
    assert calibrate(1.6, 0.5, covered=0.9, words=3, rarest=0.1, learned=0.3) < strong  # only generic words
    assert calibrate(1.6, 0.5, covered=0.9, words=3, rarest=0.8, learned=-0.3) < strong  # the model disagrees
    assert 0.0 <= calibrate(-50, -50) <= calibrate(50, 50) <= 1.0


def test_one_analysis_gives_the_index_terms_and_the_content_words() -> None:
    from nura_appliance.knowledge.normalize import index_terms
    from nura_appliance.knowledge.retrieval import analyse

    for text in (
        "شلون اعرف رصيدي؟",
        "باڵانسەکەم چەندە",
        "ez çawa krediya xwe kontrol bikim",
        "why is my credit vanishing so fast",
        "رومنج roaming 5G",
        "",
        "🙂🙂 123",
    ):
        terms, units = analyse(text)
        assert terms == index_terms(text)
        assert all(not root.startswith("kc") and (c is None or c.startswith("kc")) for root, c in units)
    assert [root for root, _ in analyse("how do i pay my bill")[1]] == ["pay", "bill"]


async def test_bad_input_gets_a_clear_answer_never_a_confident_wrong_article(default_pipeline: Any) -> None:
    import random

    ctx = default_pipeline
    rng = random.Random(1)
    news = (
        "الحكومة أعلنت اليوم عن خطة جديدة لتطوير البنية التحتية في المدن الكبرى وسيتم تنفيذ المشاريع خلال"
        " السنوات القادمة بالتعاون مع شركات محلية ودولية"
    ).split()
    paste = " ".join(rng.choice(news) for _ in range(700))[:4000]
    answer = await ctx.pipeline.answer(paste, "ar")
    assert answer.kind != "article", (answer.kind, answer.article_id, answer.confidence)
    for text in ("🙂🙂🙂", "12345", "👨‍👩‍👧"):
        answer = await ctx.pipeline.answer(text, "ar")
        assert answer.kind != "article" and answer.response
    mixed = await ctx.pipeline.answer("النت slow جدا today ئینتەرنێت", "ar")
    assert mixed.kind == "article" and mixed.article_id == "internet-slow"
    # a short question is still answered directly
    short = await ctx.pipeline.answer("النت عندي بطيء جدا", "ar")
    assert short.kind == "article" and short.article_id == "internet-slow" and short.confidence >= 0.9
    # coverage evidence: a confident answer may not rest on part of the question — a word no
    # article knows ("instagram", "zorblax"), or an article covering little of it
    for text in ("how do i reset my instagram password", "zorblax password reset", "recharge my car battery"):
        decision = await ctx.pipeline.decide(text, "en")
        assert decision.confidence <= 0.79, (text, decision.article_id, decision.confidence)
    plain = await ctx.pipeline.decide("how do i reset my password", "en")
    assert plain.kind == "article" and plain.confidence >= 0.9 and plain.signals["unknown_words"] == 0


def test_the_background_bank_covers_many_categories_in_every_language() -> None:
    import json

    from nura_appliance.knowledge.normalize import has_sorani_letters
    from nura_appliance.knowledge.retrieval import BANK_PATH, background_bags

    bank = json.loads(BANK_PATH.read_text(encoding="utf-8"))["categories"]
    assert len(bank) >= 15 and sum(len(v) for v in bank.values()) >= 250
    texts = [t for v in bank.values() for t in v]
    assert any(has_sorani_letters(t) for t in texts)  # Sorani
    assert any("ê" in t or "î" in t for t in texts)  # Kurmanji
    assert any(any("\u0600" <= ch <= "\u06ff" for ch in t) and not has_sorani_letters(t) for t in texts)  # Arabic
    assert any(t.isascii() and any(d in t for d in "2357") for t in texts)  # Arabizi
    assert len(background_bags()) == len(bank)  # one background class per category


def test_background_words_count_what_the_article_leaves_out_that_one_question_holds() -> None:
    from nura_appliance.knowledge.retrieval import _question_index, _Snapshot, analyse, background_words

    empty = np.zeros((0, 1), dtype=np.float32)
    snap = _Snapshot(
        "v", "", ["recharge", "bill"], np.zeros(0, dtype=np.int64), empty, empty, np.zeros(0, dtype=np.int64)
    )
    snap.terms = [frozenset(analyse("recharge card top up")[0]), frozenset(analyse("pay my bill")[0])]
    snap.questions = _question_index([frozenset(analyse(q)[0]) for q in ("car battery dead", "weather in erbil")])
    units = analyse("how do i recharge my car battery")[1]
    assert background_words(snap, units, 0) == 2  # "car" and "battery": both in one question
    assert background_words(snap, analyse("recharge my card")[1], 0) == 0
    # words of two different questions do not add up; numbers do not count
    assert background_words(snap, analyse("recharge car weather")[1], 0) == 1
    assert background_words(snap, analyse("recharge 2 car")[1], 0) == 1
    snap.questions = {}
    assert background_words(snap, units, 0) == 0


def test_background_classes_are_rows_after_the_articles() -> None:
    docs = [term_features({"باق": 2.0, "نت": 1.0}), term_features({"رصيد": 1.0, "نت": 1.0})]
    model = SparseModel.build(docs, [term_features({"ذهب": 1.0, "سعر": 1.0})])
    scores = model.score(["سعر", "ذهب"])
    assert scores.shape == (3,) and scores[2] > 0.9 and not scores[:2].any()
    assert np.argmax(model.score(["رصيد", "نت"])) == 1


async def test_near_domain_questions_are_out_of_scope_and_a_pack_can_extend_the_background(
    default_pipeline: Any,
) -> None:
    import pytest

    from nura_appliance.knowledge.pack import PackError, read_pack_file, validate_pack
    from nura_appliance.paths import default_pack_path

    ctx = default_pipeline
    # near-domain questions phrased unlike the bank: no article answer
    for text, lang in (
        ("شكد صار سعر الليرة التركية بالسوق", "ar"),
        ("which company has the cheapest bundles, zain or asiacell", "en"),
        ("nirxê zêrê 24 îro çiqas e", "ku"),
        ("how do i recharge my car battery at home", "en"),  # the card article covers "recharge" only
    ):
        answer = await ctx.pipeline.answer(text, lang)
        assert answer.kind != "article", (text, answer.article_id, answer.confidence)
    # in-scope questions keep their answers
    for text, article in (("النت عندي بطيء جدا", "internet-slow"), ("شلون اعرف رصيدي", "balance-check")):
        answer = await ctx.pipeline.answer(text, "ar")
        assert answer.kind == "article" and answer.article_id == article, (text, answer.article_id)
    question = "how do i pay the school fees online"
    before = await ctx.pipeline.answer(question, "en")
    # a pack's own out-of-scope examples: validated, stored, exported and learnt
    pack = read_pack_file(default_pack_path())
    for bad in ("not a list", [1, 2], ["x" * 400]):
        with pytest.raises(PackError, match="out_of_scope_examples"):
            validate_pack({**pack, "out_of_scope_examples": bad})
    own = ["school fees payment", "pay tuition fees online", "university fees deadline", "school bus fees"]
    await ctx.knowledge.load_pack(validate_pack({**pack, "out_of_scope_examples": own}))
    await ctx.pipeline.refresh(force=True)
    assert (await ctx.knowledge.export_pack())["out_of_scope_examples"] == own
    after = await ctx.pipeline.answer(question, "en")
    assert before.kind == "article", (before.kind, before.confidence)  # the bill article, before
    assert after.kind != "article" and after.confidence < before.confidence, (after.kind, after.confidence)
    still = await ctx.pipeline.answer("how do i pay my bill", "en")
    assert still.kind == "article" and still.article_id == "bill-payment"


async def test_messages_arriving_together_share_one_build_of_the_article_index(default_pipeline: Any) -> None:
    """The first messages after a start (or a knowledge edit) arrive together on several reader
    threads: one of them builds the version's article index and the others wait for it and use
    the same one (each built its own copy before: the CPU of the build times the readers)."""
    import asyncio

    ctx = default_pipeline
    settings = ctx.settings
    # a worker's matcher that has built nothing yet
    matcher = ArticleMatcher(
        ctx.stores.search,
        answer_threshold=settings.answer_threshold,
        ambiguous_threshold=settings.ambiguous_threshold,
    )
    results = await asyncio.gather(*(matcher._versioned_scores("النت عندي بطيء جدا") for _ in range(8)))
    snapshots = {id(snap) for _, _, snap in results}
    assert len(snapshots) == 1, f"{len(snapshots)} article indexes built for one version"
    assert len({version for version, _, _ in results}) == 1
    again = await matcher._versioned_scores("كيف أشحن رصيدي")
    assert id(again[2]) in snapshots  # the version did not change: no new build
