"""The grounded answer tier (the pipeline's ``retrieval``): retrieve, compress, ask the LLM with
numbered context and conversation memory, guard the answer, fall back to an extractive answer.

Returns None when nothing relevant was retrieved, so the pipeline answers with the scope message.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from nura_appliance.ai.guard import Pick, answer_types, check_answer, content_terms, new_values, pick_passage, pick_unit
from nura_appliance.ai.prompts import Passage, build_messages, compress, memory_messages
from nura_appliance.ai.providers import Message
from nura_appliance.ai.service import LLMService
from nura_appliance.conversation.messages import message
from nura_appliance.conversation.pipeline import Answer
from nura_appliance.knowledge.hybrid import passage_terms
from nura_appliance.knowledge.lexicon import carrier_family, carrier_numbers, other_carriers, own_carriers
from nura_appliance.knowledge.normalize import normalize
from nura_appliance.knowledge.places import names_region, place_groups
from nura_appliance.knowledge.retrieval import analyse
from nura_appliance.knowledge.values import (
    identifiers,
    names_other_item,
    names_variant,
    numberless,
    priceless,
    value_kinds,
    without_addresses,
)

if TYPE_CHECKING:  # annotations only: the stores are handed in by the composition root
    from nura_appliance.knowledge.hybrid import HybridRetriever
    from nura_appliance.settings import Settings
    from nura_appliance.storage.base import PassageSearchStore, SessionStore
    from nura_appliance.storage.bus import EventBus

log = logging.getLogger(__name__)
_LINK_TIMEOUT = 30.0
_SYSTEM_OVERHEAD_TOKENS = 250
# The retriever's relevance is calibrated (a probability that the passage answers), so the tier
# decides on it: RAG_ANSWER_THRESHOLD and up answers, RAG_MIN_SCORE and up answers as "here is what
# I found" when no LLM phrases it, below is the scope message. A handbook passage overrules a
# confident article answer only when it covers clearly more of the question (words the article
# lacks: a product name, a place, a code) — by this share of the question's idf-weighted words.
_OUTRANK_MARGIN = 0.05
# The quote model (quote_probability) and its veto: a passage relevant enough to quote is still
# not quoted when the model gives it less than QUOTE_VETO (10-fold cross-validated on dev: keeps 75 of
# the 76 right top passages the thresholds answer, lets 12 out-of-scope ones through; 0.3 let 16).
QUOTE_BIAS, QUOTE_COVERAGE, QUOTE_RARE, QUOTE_COSINE, QUOTE_LONE, QUOTE_BACKGROUND = (
    -4.027,
    5.005,
    0.862,
    2.572,
    -2.146,
    -4.362,
)
QUOTE_VETO = 0.35
# A handbook passage holding the value a confident article lacks is quoted after the article from
# this relevance (docs/KNOWLEDGE.md, round 5).
VALUE_FLOOR = 0.7
# Offline, a passage that holds as much of the question as a confident article (and no value the
# article lacks) follows it from this relevance: RAG_FOUND_THRESHOLD's value before round 13. At
# 0.7 "bade solfe rased, 5olis rasidi" got the emergency-credit article followed by the balance
# transfer limits (docs/KNOWLEDGE.md, round 13).
AFTER_ARTICLE_FLOOR = 0.73
_MAX_REMEMBERED = 512
# The extractive answer's unit may come from any passage within this relevance of the best one (not
# lone, from RAG_MIN_SCORE): every unit of them is scored on one scale (``guard.pick_unit``).
UNIT_MARGIN = 0.25
# The quote model's veto is lifted for a unit holding a value of the asked kind and at least this
# share of the question's weighted words (docs/KNOWLEDGE.md, round 14).
UNIT_LIFT = 0.4


def passage_from_hit(hit: Any) -> Passage:
    """A retriever ``Hit`` (see the contracts: kind, ref, title, text, score, tier, doc) as a Passage."""
    return Passage(
        kind=str(getattr(hit, "kind", "chunk")),
        ref=str(getattr(hit, "ref", "")),
        title=str(getattr(hit, "title", "") or ""),
        text=str(getattr(hit, "text", "") or ""),
        score=float(getattr(hit, "score", 0.0) or 0.0),
        doc=getattr(hit, "doc", None),
        tier=getattr(hit, "tier", None),
        unit=str(getattr(hit, "unit", "text") or "text"),
        coverage=float(getattr(hit, "coverage", 0.0) or 0.0),
        rare=float(getattr(getattr(hit, "evidence", None), "rare", 0.0) or 0.0),
        words=getattr(getattr(hit, "evidence", None), "words", None) or None,
        lone=bool(getattr(getattr(hit, "evidence", None), "lone", False)),
        cosine=float(getattr(hit, "cosine", 0.0) or 0.0),
        by_value=float(getattr(getattr(hit, "evidence", None), "by_value", 0.0) or 0.0),
    )


def quote_probability(passage: Passage, background: float | None) -> float:
    """How likely quoting ``passage`` without an LLM answers the question rather than a question
    about something else: a logistic regression on the passage's evidence and the article tier's
    out-of-scope bank margin (``Decision.signals["background_margin"]``: how much nearer the
    question is to the bank's electricity bills, dollar prices and phones for sale than to the
    pack's best article), fitted on the handbook dev questions (dev + dev2) against the
    out-of-scope dev sets asked of the same installs, with the coverage that counts a value of the
    asked kind (docs/KNOWLEDGE.md, round 6)."""
    z = (
        QUOTE_BIAS
        + QUOTE_COVERAGE * passage.coverage
        + QUOTE_RARE * passage.rare
        + QUOTE_COSINE * max(passage.cosine, 0.0)
        + QUOTE_LONE * passage.lone
        + QUOTE_BACKGROUND * (background or 0.0)
    )
    return 1.0 / (1.0 + math.exp(-z))


def _value_beside(text: str, chunks: list[Passage], article: Passage, floor: float) -> bool:
    """With an LLM: whether a ranked chunk (from ``floor``) holds a value of the kind the question
    asks (a phone number, a price, a code …) that the confident article lacks — lone or not, first
    or not ("fraud reporting number": the numbers passage is third and holds one word of three).
    The article tier's confidence already says the question is the team's; the LLM is told to
    decline what the passages do not answer, and a declined answer leaves the article."""
    kinds = answer_types(text)
    return bool(kinds) and any(c.score >= floor and new_values(c.text, article.text, frozenset(kinds)) for c in chunks)


def valued_topic(passage: Passage, article: Passage) -> bool:
    """Whether a lone passage (one of the question's words held by word) also holds a value of
    the kind the question asks for (``Passage.by_value``) and the question's rarest word that the
    confident ``article`` holds: "رقم قسم الاحتيال" beside the scam article, and the handbook's
    "خط الإبلاغ عن الاحتيال: 4488" — "الاحتيال" by word, "رقم" by the number. The article tier's
    confidence says the question is the team's topic; the passage adds its particular."""
    return (
        passage.lone
        and passage.by_value > 0
        and len(passage.words or {}) == 1
        and article.rare > 0
        and passage.rare >= article.rare
    )


def names_other_operator(text: str, passage: str, company: str = "") -> bool:
    """Whether the question is about another operator or wallet (``lexicon.other_carriers``:
    Korek, Asiacell, Zain …) that the passage does not name: "كم عدد مشتركي كورك" and the
    handbook's own subscriber count, "how much is the korek 5g router" and the desk's own router
    are about two different companies. Not when the operator is the desk's own (``company``, the
    COMPANY_NAME setting) nor when it is the other end of the customer's line ("رقم خدمة
    المشتركين من خط آسياسيل", ``lexicon.carrier_numbers``): those are this desk's questions."""
    names, _ = other_carriers(text)
    if not names:
        return False
    own = own_carriers([company])
    asked = {carrier_family(n) for n in names} - own
    if not asked:
        return False
    terms, units = analyse(text)
    if carrier_numbers(text, units, terms):
        return False
    held = {carrier_family(n) for n in other_carriers(passage)[0]}
    return not asked <= held


def named_beside(text: str, passage: Passage, units: dict[str, frozenset[str]]) -> bool:
    """Whether the question's rarest words the passage holds are held only in its addresses
    (``values.without_addresses``) while the question asks for something else than a place:
    "متى يفتح مصرف الرشيد في البصرة" and the Basra branch "مجاور مصرف الرشيد" (the bank is the
    branch's neighbour, not the branch), "رقم فرع زاگروس في العمارة" and Kirkuk's "عمارة النخيل".
    Likewise when, its addresses left out, the passage holds one of the question's several words.
    A question asking where ("وين فرع شارع كاوا") is about the address and may be answered by it.
    ``units``: the question's words and their forms (``QueryTerms.units``)."""
    if not passage.words or "address" in answer_types(text):
        return False
    rest = without_addresses(passage.text)
    if rest == passage.text:
        return False
    whole = set(passage_terms(f"{passage.title}\n{passage.text}"))
    outside = set(passage_terms(f"{passage.title}\n{rest}"))
    top = max(passage.words.values())
    rarest = [word for word, weight in passage.words.items() if weight >= top]

    def held(word: str, terms: set[str]) -> bool:
        return word in terms or not units.get(word, frozenset()).isdisjoint(terms)

    # only words found in the passage's text (not through its document) can be placed
    if all(held(word, whole) and not held(word, outside) for word in rarest):
        return True
    # ... or, its addresses left out, the passage holds one of the question's several words
    # (as ``Evidence.lone``; in a small handbook every word is as rare as the others)
    placed = [word for word in passage.words if held(word, whole)]
    return len(passage.words) >= 2 and len(placed) == len(passage.words) and sum(held(w, outside) for w in placed) <= 1


async def lexical_passages(store: PassageSearchStore, text: str, k: int) -> list[Passage]:
    """Fallback search over handbook chunks (``PassageSearchStore``) for when no retriever service
    is registered: score = share of the question's content words found in the chunk."""
    words = list(dict.fromkeys(content_terms(text)))
    if not words:
        return []
    try:
        rows = await store.chunk_matches(words, k * 3)
    except Exception:  # noqa: BLE001 - a failed search is "nothing found", not an error
        log.exception("lexical handbook search failed")
        return []
    passages = []
    wanted = set(words)
    for row in rows:
        found = set(content_terms(row["norm"])) | set(normalize(row["norm"]).split())
        score = len(wanted & found) / len(wanted)
        passages.append(
            Passage(
                "chunk",
                str(row["ref"]),
                row["heading"] or "",
                row["text"],
                round(score, 3),
                doc=row["path"],
                tier="fts",
                coverage=round(score, 3),
            )
        )
    passages.sort(key=lambda p: p.score, reverse=True)
    return passages[:k]


class GroundedAnswerTier:
    """Implements ``RetrievalTier.answer(text, lang, context) -> Answer | None``."""

    def __init__(
        self,
        settings: Settings,
        llm: LLMService,
        *,
        passages: PassageSearchStore,
        bus: EventBus,
        sessions_store: SessionStore,
        retriever: HybridRetriever | None,
        scope_message: Callable[[str], str],
    ) -> None:
        self.settings = settings
        self.llm = llm
        self.passages = passages
        self.bus = bus
        self.sessions_store = sessions_store
        # The knowledge feature's hybrid retriever; None: the built-in lexical search (no knowledge
        # feature, or a test pinning the lexical search over a seeded handbook).
        self.retriever = retriever
        self.scope_message = scope_message
        # Retrieved passages per (knowledge version, text, lang, article): customers' questions
        # repeat, and the article tier's own decisions are remembered the same way.
        self._retrieved: dict[tuple[str, str, str, str | None], tuple[list[Passage], list[Passage]]] = {}
        self._retrieved_version: str | None = None
        self._extracted: dict[tuple[Any, ...], Pick | None] = {}
        self._compressed: dict[tuple[Any, ...], list[Passage]] = {}

    async def retrieve(
        self, text: str, lang: str, article_id: str | None = None, version: str | None = None
    ) -> tuple[list[Passage], list[Passage]]:
        """Handbook chunks and articles for ``text``, each list best first by calibrated
        relevance.

        ``article_id``: the article tier is confident in that article. Then only the chunks and
        that one article's evidence are needed (the article list is most of a search's cost),
        which is what an article answer pays for the handbook check. ``version``: the knowledge
        version the caller works on; with it an install without a handbook costs no search and a
        repeated question no second one."""
        k = self.settings.rag_top_k
        retriever = self.retriever
        if retriever is None:
            chunks = await lexical_passages(self.passages, text, k)
            return chunks, []
        if await retriever.chunk_count(version) == 0:
            return [], []
        key = (version or "", text, lang, article_id)
        if version is not None:
            if version != self._retrieved_version:
                self._retrieved, self._retrieved_version = {}, version
            found = self._retrieved.get(key)
            if found is not None:
                return found
        kinds = ("chunk",) if article_id is not None else ("chunk", "article")
        lists = await retriever.search_lists(text, lang, k=k, kinds=kinds, focus_article=article_id)
        chunks = [passage_from_hit(h) for h in lists.get("chunk", []) if (h.text or "").strip()]
        articles = [passage_from_hit(h) for h in lists.get("article", []) if (h.text or "").strip()]
        if version is not None and version == self._retrieved_version:
            if len(self._retrieved) >= _MAX_REMEMBERED:
                self._retrieved.clear()
            self._retrieved[key] = (chunks, articles)
        return chunks, articles

    def _placed(self, text: str, chunks: list[Passage], generating: bool) -> list[Passage]:
        """``chunks`` with those :func:`named_beside` marked lone (not quotable on their own);
        without an LLM they go after the others (with one the order stays: the LLM reads them all)."""
        if self.retriever is None or not any(c.words for c in chunks) or "address" in answer_types(text):
            return chunks
        units = dict(self.retriever.query_terms(text).units)
        beside = [named_beside(text, c, units) for c in chunks]
        if not any(beside):
            return chunks
        marked = [replace(c, lone=True) if away else c for c, away in zip(chunks, beside, strict=True)]
        if generating:
            return marked
        return [c for c, away in zip(marked, beside, strict=True) if not away] + [
            c for c, away in zip(marked, beside, strict=True) if away
        ]

    def _budget(self) -> int:
        budget = self.settings.llm_context_tokens
        for provider in self.llm.usable():
            n_ctx = getattr(provider, "n_ctx", None)
            if n_ctx:
                # The prompt must leave room for the instructions, memory and the answer.
                budget = min(budget, n_ctx - self.settings.llm_max_tokens - _SYSTEM_OVERHEAD_TOKENS - 400)
        return max(100, budget)

    async def answer(self, text: str, lang: str, context: dict[str, Any]) -> Answer | None:
        """The handbook's answer, or None (the pipeline goes on: candidates or the scope message).

        ``context["article_id"]``: the article tier is confident in that article; the handbook
        answers instead only when it clearly covers more of the question."""
        session = context.get("session")
        session_id = getattr(session, "id", None)
        article_id = context.get("article_id")
        generating = bool(self.llm.usable())
        try:
            chunks, articles = await self.retrieve(text, lang, article_id, context.get("knowledge_version"))
        except Exception:  # noqa: BLE001 - a broken retriever must not cost a 500; the pipeline goes on
            log.exception("retrieval failed")
            return None
        # A passage that holds the question's rarest words only in its addresses is about a
        # neighbour of the place ("متى يفتح مصرف الرشيد" and the branch beside the bank): never
        # quoted on its own; offline the passages after it are tried first.
        chunks = self._placed(text, chunks, generating)
        best = chunks[0] if chunks else None
        settings = self.settings
        calibrated = self.retriever is not None
        # With an LLM the passages go to it from RAG_MIN_SCORE (it declines what they do not
        # answer); without one the tier quotes a passage only from RAG_FOUND_THRESHOLD. The
        # fallback search's score is the share of the question's words, not a calibrated
        # relevance: it answers from RAG_MIN_SCORE in both cases.
        floor = settings.rag_min_score if generating or not calibrated else settings.rag_found_threshold
        if best is None or best.score < min(floor, settings.rag_min_score):
            # Articles alone were already judged by the article tier (answer / ambiguous / none);
            # re-answering from them here would overrule its calibrated decision.
            return None
        # Relevant in its own right: quotable without an LLM. A passage holding one of the
        # question's several words is not, however rare that word (the golden *number* for
        # "the price of gold today"); it may still go to an LLM, which declines what it does not answer.
        relevant = best.score >= settings.rag_found_threshold and not best.lone
        # ... nor one the quote model gives under QUOTE_VETO: "شلون ادفع فاتورة الكهرباء" holds
        # "ادفع فاتورة" of the handbook's bill payment, and the bank knows electricity bills.
        vetoed = quote_probability(best, context.get("background_margin")) < QUOTE_VETO
        relevant = relevant and not vetoed
        # ... nor when the article tier found the question names another service's account,
        # password, bill or price ("i forgot my facebook password", "shlon asawi hesab instagram"):
        # the handbook's own passwords and accounts hold its words, not the answer. An LLM still
        # gets the passages and declines what they do not answer.
        elsewhere = bool(context.get("other_services"))
        # ... nor when it found the question is about a subject no telecom desk carries, another
        # operator's or wallet's matter or a government paper ("كم رسوم نقل ملكية السيارة" and the
        # handbook's line-ownership fee, "رقم مطعم بالمنصور مول" and the Mansour branch): the
        # subject is not the team's, whatever words a passage shares with it.
        elsewhere = elsewhere or bool(context.get("elsewhere"))
        # ... nor when it names another operator the passage does not ("كم عدد مشتركي كورك" and
        # the desk's own subscriber count).
        elsewhere = elsewhere or names_other_operator(text, best.text, settings.company_name or "")
        # ... nor one that lacks the number the question names its thing by: "how much is the
        # zone 4 roaming pass" and the zone 3 row are about different passes (an LLM still gets it).
        # ... nor one that lacks the variant the question names ("باقة دجلة بلس" and the Dijla row,
        # "the weekly roaming pass" and the daily one: round 18)
        other_item = names_other_item(identifiers(text), best.text) or names_variant(text, f"{best.title}\n{best.text}")
        # ... nor one without a price when the question names one (the device, not its price)
        hard = elsewhere or other_item or priceless(text, best.text)
        relevant = relevant and not hard
        # ... but the quote model judges the passage as a whole: when, without an article the
        # article tier is confident in, the unit the answer would quote holds a value of the kind
        # the question asks for and UNIT_LIFT of the question's weighted words ("ما شحنت من زمان،
        # كم يوم يبقى رقمي" and "مدة الاحتفاظ بالرقم …: 90 يوماً"), the veto is lifted; it is
        # offered as "here is what I found" below RAG_ANSWER_THRESHOLD as any other.
        if vetoed and article_id is None and calibrated and not hard and not best.lone:
            if best.score >= settings.rag_found_threshold:
                unit = self._pick(text, lang, chunks)
                relevant = (
                    unit is not None
                    and unit.typed
                    and unit.share >= UNIT_LIFT
                    and unit.passage.score >= settings.rag_found_threshold
                )
        # ... nor, without a confident article, a unit without a phone number when the question
        # asks for one and the best passage holds none (round 16): "رقم خدمة المشتركين مالتكم" and
        # the fee row "الخدمة: رقم مميز (حجز)" share "رقم" and the heading's "خدمات … للمشتركين".
        if relevant and article_id is None and calibrated and numberless(text, best.text):
            unit = self._pick(text, lang, chunks)
            relevant = unit is not None and not numberless(text, unit.body)
        confident = best.score >= settings.rag_answer_threshold or not calibrated
        beside: list[Passage] = []  # the confident article, given to the LLM with the handbook
        if article_id is not None:
            chosen = next((a for a in articles if a.ref == article_id), None)
            # To be quoted instead of the article, a handbook passage must be relevant in its own
            # right and hold more of the question: more of its words, or a rarer one (a product
            # name the article lacks).
            held = chosen.coverage if chosen else 0.0
            # A variant of a product ("Pro Mini", "the weekly pass") that neither the article nor
            # a passage holding as much of the question writes is a product the team does not
            # list: the scope message, not the article about its siblings (round 18).
            if (
                chosen is not None
                and calibrated
                and not best.lone
                and best.coverage >= held
                and names_variant(text, f"{best.title}\n{best.text}")
                and names_variant(text, f"{chosen.title}\n{chosen.text}")
            ):
                return Answer("out_of_scope", self.scope_message(lang), "fallback", 0.0, lang)
            rarer = best.rare > (chosen.rare if chosen else 0.0) + _OUTRANK_MARGIN and best.coverage >= held
            # Beside an article the article tier did not stand behind (``article_unsure``: capped
            # for words it lacks), any passage that holds more of the question outranks it.
            more = best.coverage > held if context.get("article_unsure") else best.coverage >= held + _OUTRANK_MARGIN
            outranks = relevant and (more or rarer)
            # The question asks for a value (a price, a code, an address …) that the article does
            # not hold and the passage does, and the passage holds the question's rarest word the
            # article holds: the handbook answers the particular, the article the topic.
            # A passage lone only by word (the asking word held by its value: "رقم قسم الاحتيال"
            # and the internal numbers' "الاحتيال: 4488") holds two things the question names —
            # beside an article on the same topic (the passage holds the article's rarest word of
            # the question) it adds the particular, as a passage that is not lone does.
            if best.lone and chosen is not None and valued_topic(best, chosen):
                best = replace(best, lone=False)
            adds = (
                not outranks
                and chosen is not None
                and not best.lone
                and not other_item
                and best.rare >= chosen.rare - _OUTRANK_MARGIN
                and bool(kinds := answer_types(text))
                and new_values(best.text, chosen.text, frozenset(kinds))
            )
            # ... or the article holds no value at all of a kind the question asks for ("قديش بكلف"
            # beside the eSIM article, which names no fee) and the unit the offline answer would
            # quote holds one with UNIT_LIFT of the question's weighted words, from a passage
            # relevant in its own right (not lone): the handbook's row is shown after the article
            # even when the article holds a rarer word of the question (round 15).
            lacking = (
                chosen is not None and calibrated and not outranks and not adds and not other_item and not elsewhere
            )
            if lacking and chosen is not None:
                missing = frozenset(k for k in answer_types(text) if not value_kinds(chosen.text, {k}))
                unit = self._pick(text, lang, chunks) if missing else None
                if (
                    unit is not None
                    and unit.typed
                    and unit.share >= UNIT_LIFT
                    and not unit.passage.lone
                    and unit.passage.score >= VALUE_FLOOR
                    and value_kinds(unit.body, missing)
                    and not names_other_operator(text, unit.passage.text, settings.company_name or "")
                ):
                    adds, best = True, unit.passage
            if adds and chosen is not None:
                beside = [chosen]
                # Offline its sentence follows the article from VALUE_FLOOR: the article tier's
                # confidence already says the question is the team's.
                if (
                    best.score >= VALUE_FLOOR
                    and not elsewhere
                    and quote_probability(best, context.get("background_margin")) >= QUOTE_VETO
                ):
                    relevant, floor = True, min(floor, VALUE_FLOOR)
            elif not outranks:
                # A passage that holds as much of the question goes with the article: the article
                # answers the topic, the handbook the particulars it may lack (a price, an address,
                # a code). An LLM gets both; offline the article is followed by the handbook's
                # sentence when that passage is relevant in its own right.
                if chosen is None or (
                    best.coverage < held
                    and not (generating and _value_beside(text, chunks, chosen, settings.rag_min_score))
                ):
                    return None
                if not generating and (not relevant or best.score < AFTER_ARTICLE_FLOOR):
                    return None
                beside = [chosen]
        # The prompt's room goes to the confident article, then the handbook's passages, then the
        # other articles as context: those the article tier already judged not to answer must not
        # crowd out (or cut short) a lower-scored chunk that holds the fact.
        wanted = (
            beside
            + sorted((p for p in chunks if p.score >= settings.rag_min_score / 2), key=lambda p: -p.score)
            + sorted(
                (a for a in articles if a.score >= settings.rag_min_score and a.ref != article_id),
                key=lambda p: -p.score,
            )
        )
        budget = self._budget()
        # The same question meets the same passages again: cleaning and de-duplicating them
        # (normalising every line) is most of what an answer from memory costs.
        shape = (budget, *((p.kind, p.ref, p.title, p.text) for p in wanted))
        passages = self._compressed.get(shape)
        if passages is None:
            passages = compress(wanted, budget, ordered=True)
            if len(self._compressed) >= _MAX_REMEMBERED:
                self._compressed.clear()
            self._compressed[shape] = passages
        else:
            # Another question met the same passages: their cleaned text is the same, their
            # evidence (score, the question's words held, lone …) is this question's own. Before
            # round 14 the first question's evidence was kept, and "what mnc do i type in the apn
            # settings" asked after "apn protocol" chose its line by the other question's words.
            current: dict[tuple[str, str], Passage] = {}
            for p in wanted:
                current.setdefault((p.kind, p.ref), p)
            passages = [replace(current[(c.kind, c.ref)], text=c.text, n=c.n) for c in passages]
        if not any(p.kind == "chunk" for p in passages):
            return None
        if "trace" in context:  # nura eval: what the LLM prompt carries, whether or not one is called
            context["trace"].update(best=best.score, passages=passages)
        if best.score < floor:
            return None
        # Below RAG_FOUND_THRESHOLD only the LLM may answer (it declines what the passages do not
        # answer); if it fails or its answer is rejected, the customer gets the scope message.
        quotable = relevant or not calibrated
        if not generating:
            if not quotable:
                return None
            if beside:
                found = self._extractive(text, lang, passages, confident=False)
                return self._after_article(beside[0], found) if found is not None else None
            return self._extractive(text, lang, passages, confident)
        # With the article beside it, a failed generation leaves the answer to the article.
        extractive = self._extractive(text, lang, passages, confident) if quotable and not beside else None

        memory: list[Message] = []
        if session_id and self.settings.llm_memory_turns:
            try:
                memory = memory_messages(
                    await self.sessions_store.recent_turns(session_id, self.settings.llm_memory_turns)
                )
            except Exception:  # noqa: BLE001 - memory is an aid, not a requirement
                log.exception("loading conversation memory failed")
        scope = self.scope_message(lang)
        messages = build_messages(
            question=text,
            lang=lang,
            passages=passages,
            memory=memory,
            company=self.settings.company_name,
            agent=self.settings.agent_name,
            scope=scope,
        )
        if "trace" in context:
            context["trace"]["messages"] = messages
        stream = _TokenStream(self.bus, session_id) if session_id and self.settings.llm_stream else None
        try:
            outcome = await self.llm.chat(
                messages,
                purpose="chat",
                session_id=session_id,
                on_token=stream.push if stream else None,
                on_restart=stream.restart if stream else None,
            )
        except Exception:  # noqa: BLE001 - providers raise ProviderError; anything else is a bug, not a 500
            log.exception("the LLM call failed unexpectedly; answering extractively")
            outcome = None
        if outcome is None:
            if stream:
                stream.finish(accepted=False)
            return extractive
        result, row_id = outcome
        verdict = check_answer(
            result.text, result.finish_reason, lang, passages, scope, min_overlap=self.settings.llm_min_overlap
        )
        if stream:
            stream.finish(accepted=verdict.ok)
        label = "answered" if verdict.ok else "declined" if verdict.declined else f"rejected:{verdict.reason}"
        if row_id:
            await self._settle_ledger(row_id, label, session_id)
        if verdict.declined:
            return None
        if not verdict.ok:
            log.info("guard rejected the %s answer (%s); answering extractively", result.provider, verdict.reason)
            return extractive
        cited = [p for p in passages if p.n in verdict.cited] or passages[:1]
        provider = next((p for p in self.llm.providers if p.name == result.provider), None)
        confidence = min(0.95, 0.6 * max(p.score for p in cited) + 0.4 * verdict.overlap)
        return Answer(
            "rag",
            verdict.text,
            provider.source if provider else result.provider,
            round(confidence, 3),
            lang,
            article_id=beside[0].ref if beside else None,  # the article the tier was confident in
            sources=[p.source() for p in cited],
            source_doc=cited[0].doc or cited[0].title,
        )

    def _extractive(self, text: str, lang: str, passages: list[Passage], confident: bool) -> Answer | None:
        """The sentence or table row that answers, from the best handbook passage (in the
        customer's language when one is nearly as good); below RAG_ANSWER_THRESHOLD it is
        offered as "here is what I found in our handbook"."""
        chunks = [p for p in passages if p.kind == "chunk"]
        first = pick_passage(chunks, lang)
        if first is None:
            return None
        found = self._pick(text, lang, chunks, first)
        if found is None or not found.body:
            return None
        best, body = found.passage, found.body
        # A row or sentence that names other places and not the one asked about answers for
        # them: "شكد سعر يوم التجوال بتركيا" and "باقة يوم التجوال في الكويت 5,500 دينار".
        asked = place_groups(text)
        if asked and not names_region(body):
            named = place_groups(body)
            if named and not named & asked:
                return None
        # Quoted as the answer only from a passage relevant enough in its own right (the fallback
        # search's score is no calibrated relevance).
        if self.retriever is not None:
            confident = confident and best.score >= self.settings.rag_answer_threshold
        if not confident:
            body = f"{message('handbook_found', lang)}\n{body}"
        return Answer(
            "rag",
            body,
            "rag",
            round(min(0.9, best.score), 3),
            lang,
            sources=[best.source()],
            source_doc=best.doc or best.title,
        )

    def _pick(self, text: str, lang: str, chunks: list[Passage], first: Passage | None = None) -> Pick | None:
        """The unit the offline answer quotes (``guard.pick_unit``). It may come from any passage
        within UNIT_MARGIN of the best (and not lone): the passage ranking counts the question's
        words wherever they stand in a passage, the answer is one unit that should hold them
        together, and every unit is scored on one scale."""
        first = first or pick_passage(chunks, lang)
        if first is None:
            return None
        floor = max(self.settings.rag_min_score, first.score - UNIT_MARGIN)
        candidates = [first, *(p for p in chunks if p is not first and p.score >= floor and not p.lone)]
        # The unit chosen depends on the question and the passages only: a repeated question
        # (and every confident article it follows) pays for it once.
        key = (text, lang, *((p.ref, p.title, p.text, p.score) for p in candidates))
        if key in self._extracted:
            return self._extracted[key]
        retriever = self.retriever
        query = retriever.query_terms(text) if retriever is not None else None
        found = pick_unit(text, candidates, query=query, lang=lang)
        if len(self._extracted) >= _MAX_REMEMBERED:
            self._extracted.clear()
        self._extracted[key] = found
        return found

    @staticmethod
    def _after_article(article: Passage, found: Answer) -> Answer:
        """The confident article's answer, then what the handbook adds ("here is what I found in
        our service handbook: …" and its sentence or row)."""
        return Answer(
            "rag",
            f"{article.text.strip()}\n\n{found.response}",
            "rag",
            found.confidence,
            found.lang,
            article_id=article.ref,
            sources=[article.source(), *found.sources],
            source_doc=found.source_doc,
        )

    async def _settle_ledger(self, row_id: int, label: str, session_id: str | None) -> None:
        try:
            await self.llm.ledger.set_outcome(row_id, label)
        except Exception:  # noqa: BLE001 - bookkeeping only
            log.exception("updating the ledger outcome failed")
        if session_id:
            self._link_when_persisted(session_id, [row_id])

    def _link_when_persisted(self, session_id: str, row_ids: list[int]) -> None:
        """The bot message id exists only after the conversation service persists the turn, which
        it announces as a ``message`` event on the session channel: link the ledger rows then."""
        channel = f"session:{session_id}"
        try:
            buffered = self.bus.replay(channel, 0)
        except Exception:  # noqa: BLE001 - a bus without replay only loses the message link
            log.debug("event bus replay failed", exc_info=True)
            buffered = []
        after = buffered[-1].id if buffered else 0

        async def link() -> None:
            try:
                async with asyncio.timeout(_LINK_TIMEOUT):
                    async for event in self.bus.subscribe(channel, after_id=after):
                        message = event.data.get("message") if event.type == "message" else None
                        if message and message.get("role") == "bot" and message.get("id"):
                            await self.llm.ledger.link_message(row_ids, int(message["id"]))
                            return
            except TimeoutError:
                log.debug("no persisted answer for session %s within %.0f s", session_id, _LINK_TIMEOUT)
            except Exception:  # noqa: BLE001 - bookkeeping only
                log.exception("linking ledger rows to the message failed")

        self.llm._spawn(link())


class _TokenStream:
    """Publishes generated tokens as ``token`` events on the session's SSE channel.

    Tokens are provisional: the final ``done`` event says whether the streamed text was accepted
    by the guard; the persisted ``message`` event that follows is the answer of record. Tokens are
    sent in small batches: the channel's replay buffer (for ``Last-Event-ID`` resumes) holds a
    fixed number of events, and one event per token would push the messages out of it."""

    BATCH_TOKENS = 8

    def __init__(self, bus: Any, session_id: str) -> None:
        self.bus = bus
        self.session_id = session_id
        self.channel = f"session:{session_id}"
        self.stream_id = uuid.uuid4().hex[:12]
        self.index = 0
        self.pending: list[str] = []

    def push(self, delta: str) -> None:
        self.pending.append(delta)
        if len(self.pending) >= self.BATCH_TOKENS or "\n" in delta:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        self.bus.publish(
            self.channel,
            "token",
            {
                "session_id": self.session_id,
                "stream_id": self.stream_id,
                "index": self.index,
                "delta": "".join(self.pending),
            },
        )
        self.pending = []
        self.index += 1

    def restart(self) -> None:
        """A fallback provider takes over: the widget drops what it showed so far."""
        if self.index or self.pending:
            self.bus.publish(
                self.channel, "token", {"session_id": self.session_id, "stream_id": self.stream_id, "reset": True}
            )
        self.stream_id = uuid.uuid4().hex[:12]
        self.index = 0
        self.pending = []

    def finish(self, *, accepted: bool) -> None:
        self._flush()
        if self.index:
            self.bus.publish(
                self.channel,
                "token",
                {"session_id": self.session_id, "stream_id": self.stream_id, "done": True, "accepted": accepted},
            )
