"""The article tier's learned parts (issue 16): the per-pack term model and ridge model, the
coverage evidence behind the calibrated confidence, and what they do to decisions."""

from __future__ import annotations

import math

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


async def test_bad_input_gets_a_clear_answer_never_a_confident_wrong_article(data_dir) -> None:  # noqa: ANN001
    import random

    from conftest import make_settings

    from nura_appliance.context import build_context, load_default_knowledge
    from nura_appliance.knowledge.service import install_knowledge

    ctx = build_context(make_settings(data_dir))
    try:
        await load_default_knowledge(ctx)
        await install_knowledge(ctx, background_reindex=False)
        await ctx.pipeline.refresh(force=True)
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
    finally:
        ctx.close()
