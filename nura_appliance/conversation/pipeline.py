"""The message pipeline (DESIGN.md §5), shared by the web API, Telegram and ``nura eval``.

Tiers, cheapest first: explicit request for a human → rules → article match → handbook
retrieval (grounded LLM or extractive answer) → out of scope / fallback. The pipeline only
decides; persisting, hand-off state changes and events belong to the conversation service.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from nura_appliance.conversation.anger import is_outage
from nura_appliance.conversation.messages import message
from nura_appliance.conversation.signals import about_the_bot, matching_text, sentiment, wants_human
from nura_appliance.knowledge.arabizi import NO_VOCABULARY, vocabulary_of
from nura_appliance.knowledge.folding import normalize
from nura_appliance.knowledge.language import has_letters
from nura_appliance.knowledge.pack import pick_text
from nura_appliance.knowledge.retrieval import ArticleMatcher, Decision
from nura_appliance.knowledge.rules import RuleMatcher
from nura_appliance.settings import Settings
from nura_appliance.storage.base import KnowledgeStore

KINDS = ("article", "ambiguous", "out_of_scope", "handoff", "rule", "fallback", "rag")
REFRESH_SECONDS = 2.0  # how soon another process's knowledge change is noticed
MAX_DECISIONS = 8192  # remembered article decisions per knowledge version
# An article answer at or under this confidence is one the article tier capped (UNCOVERED_CAP,
# BACKGROUND_CAP: the article lacks words of the question) or barely passed: the handbook tier
# lets a passage that holds more of the question answer instead (docs/KNOWLEDGE.md, round 17).
ARTICLE_UNSURE = 0.79


@dataclass
class Answer:
    """What the pipeline decided for one customer message."""

    kind: str
    response: str
    source: str
    confidence: float
    lang: str
    article_id: str | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    handoff_reason: str | None = None
    sentiment: str = "neutral"
    rule_id: str | None = None
    source_doc: str | None = None


class RetrievalTier(Protocol):
    """Tier 6: handbook retrieval answered by an LLM or extractively (the AI feature's)."""

    async def answer(self, text: str, lang: str, context: dict[str, Any]) -> Answer | None: ...


# Builds the retrieval tier from the pipeline's scope message (``scope_message(lang)``), the one
# thing the tier needs from the pipeline it belongs to.
RetrievalFactory = Callable[[Callable[[str], str]], RetrievalTier]


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        knowledge: KnowledgeStore,
        matcher: ArticleMatcher,
        retrieval: RetrievalFactory | None = None,
    ) -> None:
        """``retrieval``: builds tier 6 (the AI feature contributes it to the composition root);
        None: no handbook retrieval tier."""
        self.settings = settings
        self.knowledge = knowledge
        self.matcher = matcher
        self.retrieval: RetrievalTier | None = retrieval(self.scope_message) if retrieval is not None else None
        self._rules: RuleMatcher | None = None
        self._scope: dict[str, str] = {}
        self._version: str | None = None
        self._checked_at = 0.0
        # One reload at a time: two interleaved reloads could otherwise finish in the wrong order
        # and leave the older knowledge version (and its remembered decisions) in place.
        self._refresh_lock = asyncio.Lock()
        # Articles by id, valid for one knowledge version (see _article): an answer and its
        # candidates used to cost four reader-pool round trips and JSON decodes per message.
        self._articles: dict[str, dict[str, Any] | None] = {}
        self._articles_version: str | None = None
        # The localized topic tree per language for one knowledge version: the widget asks for it
        # on every open, and building it decodes every article.
        self._trees: dict[str, dict[str, Any] | None] = {}
        self._trees_version: str | None = None
        # Article-tier decisions per message text for one knowledge version. Support traffic
        # repeats itself ("the internet is slow", tree labels, greetings), and a decision costs a
        # BM25 query and a scan of every article vector. Only where this process can notice its
        # own knowledge writes at once (the SQLite writer's change counter, see refresh); other
        # processes' writes are noticed within REFRESH_SECONDS.
        self._generation = getattr(knowledge.db, "generation", None)
        if self._generation is not None:
            knowledge.db.watch("kb_meta")  # every knowledge change bumps kb_meta's version
        self._seen_generation = -1
        self._decisions: dict[tuple[str, str], Decision] = {}
        # The knowledge version and COMPANY_NAME's operators the remembered decisions were made
        # with: an admin's new COMPANY_NAME changes which operator is the desk's own.
        self._decisions_stamp: tuple[str | None, frozenset[str]] | None = None
        # The knowledge base's own Arabic words, for reading Arabizi (an operator's product words
        # are in no dialect dictionary); rebuilt when an article changes.
        self.vocabulary: frozenset[str] = NO_VOCABULARY
        self._vocabulary_stamp: tuple[int, float] | None = None

    async def topic_tree(self, lang: str) -> tuple[dict[str, Any] | None, str]:
        """The topic tree with labels and leaf titles in ``lang``, and the knowledge version."""
        version = await self.knowledge.version()
        if version != self._trees_version:
            self._trees, self._trees_version = {}, version
        trees = self._trees
        if lang not in trees:
            tree = await self.knowledge.tree()
            if tree is not None:
                titles = {a["id"]: pick_text(a["title"], lang)[0] for a in await self.knowledge.articles()}
                tree = localize_tree(tree, lang, titles)
            trees[lang] = tree
        return trees[lang], version

    async def refresh(self, force: bool = False) -> None:
        """Reload rules and the scope message when the knowledge base changed: at once after a
        knowledge write in this process, every REFRESH_SECONDS for other processes' writes.

        Reloads run one at a time (a message that finds one running waits for it and then checks
        again), so a slow reload that began on an older version can never finish after a newer one
        and put the older version back."""
        if not force and self._fresh():
            return
        async with self._refresh_lock:
            if not force and self._fresh():  # the reload this call waited for covered it
                return
            generation = self._generation("kb_meta") if self._generation is not None else 0
            self._checked_at = time.monotonic()
            self._seen_generation = generation  # read before the version: a later write bumps it again
            version = await self.knowledge.version()
            if force or version != self._version or self._rules is None:
                self._rules = RuleMatcher(await self.knowledge.rules())
                self._scope = await self.knowledge.meta("scope_message") or {}
                stamp = await self.knowledge.articles_stamp()
                if stamp != self._vocabulary_stamp:
                    articles = await self.knowledge.articles()
                    self.vocabulary = await asyncio.to_thread(arabic_vocabulary, articles)
                    self._vocabulary_stamp = stamp
                self._version = version

    def _fresh(self) -> bool:
        """Whether what was loaded is still current: no knowledge write of this process since, and
        checked for other processes' writes less than REFRESH_SECONDS ago."""
        generation = self._generation("kb_meta") if self._generation is not None else 0
        return (
            self._rules is not None
            and generation == self._seen_generation
            and time.monotonic() - self._checked_at < REFRESH_SECONDS
        )

    @property
    def follows_writes(self) -> bool:
        """True when the database counts its writes: a knowledge change is noticed at once and
        article decisions are remembered per knowledge version."""
        return self._generation is not None

    def remembers(self, text: str, lang: str) -> bool:
        """Whether the article tier's decision for ``text`` in ``lang`` is remembered now."""
        return (text, lang) in self._decisions

    async def decide(self, text: str, lang: str) -> Decision:
        """The article tier's decision for ``text``, remembered for this knowledge version."""
        if self._generation is None:
            return await self.matcher.decide(text, lang)
        version = self._version
        stamp = (version, self.matcher.company_carriers())
        if stamp != self._decisions_stamp:
            self._decisions, self._decisions_stamp = {}, stamp
        decisions = self._decisions  # this version's dict, even if a newer one replaces it meanwhile
        key = (text, lang)
        found = decisions.get(key)
        if found is not None:
            return found
        decision = await self.matcher.decide(text, lang)
        if decision.version == version:  # decided on the version the cache is kept under
            if len(decisions) >= MAX_DECISIONS:
                decisions.clear()
            decisions[key] = decision
        return decision

    async def article(self, article_id: str, version: str | None) -> dict[str, Any] | None:
        """An article as of the knowledge version a decision was made on (from memory), or read
        fresh when ``version`` is None."""
        return await self._article(article_id, version)

    async def _article(self, article_id: str, version: str | None) -> dict[str, Any] | None:
        """One article, from memory while the knowledge version is unchanged.

        ``version`` is the one the article tier decided on (it was read before any article is):
        every article change bumps the version in the same transaction, so a cached article is
        never older than the version it is kept under.
        """
        if version is None:
            return await self.knowledge.article(article_id)
        if version != self._articles_version:
            self._articles = {}
            self._articles_version = version
        cache = self._articles  # this version's dict, even if a newer version replaces it meanwhile
        if article_id in cache:
            return cache[article_id]
        if len(cache) >= 4096:  # bound memory for huge knowledge bases
            cache.clear()
        article = cache[article_id] = await self.knowledge.article(article_id)
        return article

    def _complaint_handoff(self) -> bool:
        settings = self.settings
        return settings.handoff_enabled and "sentiment" in settings.handoff_triggers

    def scope_message(self, lang: str) -> str:
        text, _ = pick_text(self._scope, lang)
        return text or message("scope_default", lang)

    async def article_answer(
        self,
        article_id: str,
        lang: str,
        confidence: float,
        kind: str = "article",
        source: str = "article",
        *,
        version: str | None = None,
    ) -> Answer | None:
        """An article as an answer. ``version``: the knowledge version a decision was made on (the
        article then comes from memory); without it the article is read fresh."""
        article = await self._article(article_id, version)
        if article is None:
            return None
        title, _ = pick_text(article["title"], lang)
        body, used = pick_text(article["body"], lang)
        return Answer(
            kind=kind,
            response=body,
            source=source,
            confidence=confidence,
            lang=lang,
            article_id=article_id,
            sources=[{"kind": "article", "id": article_id, "title": title, "score": confidence}],
            source_doc=title,
        )

    async def _candidates(self, decision: Decision, lang: str) -> list[dict[str, Any]]:
        out = []
        for cand in decision.candidates[:3]:
            article = await self._article(cand.article_id, decision.version)
            if article:
                title, _ = pick_text(article["title"], lang)
                out.append({"article_id": cand.article_id, "title": title, "score": round(cand.score, 3)})
        return out

    async def answer(self, text: str, lang: str, context: dict[str, Any] | None = None) -> Answer:
        """Run the tiers for one message in language ``lang``."""
        context = context or {}
        await self.refresh()
        vocabulary = self.vocabulary
        mood = sentiment(text, vocabulary)
        handoff_on = self.settings.handoff_enabled and "explicit" in self.settings.handoff_triggers

        # 3. explicit request for a human
        if wants_human(text, lang, vocabulary):
            key = "handoff_started" if handoff_on else "handoff_disabled"
            return Answer(
                "handoff",
                message(key, lang),
                "rules",
                1.0,
                lang,
                handoff_reason="explicit_request" if handoff_on else None,
                sentiment=mood,
            )

        # 4. rules (an exact rule phrase answers without the article tier)
        assert self._rules is not None
        rule = self._rules.match(text, lang)
        if rule is not None and rule.exact:
            return Answer("rule", rule.response, "rules", 1.0, lang, rule_id=rule.rule_id, sentiment=mood)

        # 4b. a question about the bot itself ("what's your name", "are you a robot", "ناوت چییە"):
        # what the bot is (or the pack's own rule that came close), never an article that shares a
        # word with it ("اسمك" was the line-ownership article's "اسم" at 0.79)
        if about_the_bot(text, vocabulary):
            if rule is not None:
                return Answer("rule", rule.response, "rules", 1.0, lang, rule_id=rule.rule_id, sentiment=mood)
            offer = message("complaint_offer", lang) if handoff_on else ""  # ... and the offer of a person
            return Answer("rule", f"{message('about_bot', lang)} {offer}".strip(), "rules", 1.0, lang, sentiment=mood)

        # 5. article match (Arabizi in Arabic script; an upset customer's insults left out). Digits,
        # emoji and symbols alone are no question: "123" must not match an article about *123#.
        if not has_letters(text):
            return Answer("fallback", message("no_words", lang), "fallback", 0.0, lang, sentiment=mood)
        decision = await self.decide(matching_text(text, mood, vocabulary), lang)
        if rule is not None and decision.kind != "article":
            return Answer("rule", rule.response, "rules", 1.0, lang, rule_id=rule.rule_id, sentiment=mood)
        if decision.kind == "article" and decision.article_id:
            # ... unless the handbook answers what this article cannot: a handbook passage holding
            # words of the question the article lacks (a product name, a place, a code).
            if self.retrieval is not None:
                rag = await self.retrieval.answer(text, lang, handbook_context(context, decision, decision.article_id))
                # (the handbook tier's scope message for a product nobody lists is never given to
                # an upset customer: the article answers, as step 7 below would have it)
                if rag is not None and not (rag.kind == "out_of_scope" and mood == "negative"):
                    rag.sentiment = mood
                    return rag
            found = await self.article_answer(decision.article_id, lang, decision.confidence, version=decision.version)
            if found is not None:
                found.candidates = await self._candidates(decision, lang)
                found.sentiment = mood
                return found

        # 6. handbook retrieval (grounded LLM or extractive)
        if self.retrieval is not None:
            rag = await self.retrieval.answer(text, lang, handbook_context(context, decision))
            if rag is not None:
                rag.sentiment = mood
                return rag

        # 7. an upset customer (a complaint, an outage) is never told "out of scope". An outage
        # complaint no article answers outright goes to a person (only people can check an area's
        # network); other complaints get an apology, topics to pick and the offer of a person, and
        # a second negative message hands off (HANDOFF_NEGATIVE_SENTIMENT_COUNT)
        if (
            mood == "negative"
            and self._complaint_handoff()
            and is_outage(normalize(matching_text(text, mood, vocabulary)))
        ):
            return Answer(
                "handoff",
                message("handoff_started", lang),
                "rules",
                decision.confidence,
                lang,
                handoff_reason="negative_sentiment",
                sentiment=mood,
            )

        if decision.kind == "ambiguous":
            return Answer(
                "ambiguous",
                f"{message('apology', lang)} {message('ambiguous', lang)}"
                if mood == "negative"
                else message("ambiguous", lang),
                "article",
                decision.confidence,
                lang,
                candidates=await self._candidates(decision, lang),
                sentiment=mood,
            )

        # (7, continued) other complaints: an apology, topics to pick and the offer of a person
        if mood == "negative":
            offer = message("complaint_offer", lang) if handoff_on else ""
            return Answer(
                "fallback",
                f"{message('complaint', lang)} {offer}".strip(),
                "fallback",
                decision.confidence,
                lang,
                candidates=await self._candidates(decision, lang),
                sentiment=mood,
            )

        # 8. out of scope: the configured scope message, never an invented answer
        return Answer(
            "out_of_scope",
            self.scope_message(lang),
            "fallback",
            decision.confidence,
            lang,
            candidates=await self._candidates(decision, lang),
            sentiment=mood,
        )


def handbook_context(context: dict[str, Any], decision: Decision, article_id: str | None = None) -> dict[str, Any]:
    """What the handbook tier is told of the article tier's decision: the knowledge version, the
    background margin, other services, whether the subject is elsewhere (``elsewhere``) and, when
    an article was confident, its id. One place, so the two handbook calls cannot drift apart."""
    found = {
        **context,
        "knowledge_version": decision.version,
        "background_margin": decision.signals.get("background_margin"),
        "other_services": decision.signals.get("other_services"),
        "elsewhere": elsewhere(decision),
    }
    if article_id:
        found["article_id"] = article_id
        # an article the article tier capped (words of the question it lacks) or barely passed
        found["article_unsure"] = decision.confidence <= ARTICLE_UNSURE
    return found


def elsewhere(decision: Decision) -> bool:
    """Whether the article tier found the message is about a subject that is not the desk's: a
    subject no telecom desk carries, another operator's or wallet's matter, a government paper
    (its ``foreign_topics``, ``other_carriers`` and ``papers`` signals). The handbook tier quotes
    no passage for such a message (it may still go to an LLM, which declines it)."""
    return any(decision.signals.get(key) for key in ("foreign_topics", "other_carriers", "papers"))


def arabic_vocabulary(articles: list[dict[str, Any]]) -> frozenset[str]:
    """The words of the articles' Arabic titles, bodies, example questions and keywords (what an
    Arabizi message is read against, besides the dialect lexicon)."""
    texts: list[str] = []
    for article in articles:
        for field_name in ("title", "body", "examples"):
            value = (article.get(field_name) or {}).get("ar")
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, list):
                texts.extend(v for v in value if isinstance(v, str))
        texts.extend(k for k in article.get("keywords") or [] if isinstance(k, str))
    return vocabulary_of(texts)


def localize_tree(node: dict[str, Any], lang: str, titles: dict[str, str]) -> dict[str, Any]:
    """A topic-tree node with its label (and, for a leaf, the article title) in ``lang``."""
    label, _ = pick_text(node["label"], lang)
    out: dict[str, Any] = {"id": node["id"], "label": label}
    if node.get("article"):
        out["article_id"] = node["article"]
        out["title"] = titles.get(node["article"], label)
    elif node.get("action"):
        out["action"] = node["action"]
    else:
        out["children"] = [localize_tree(c, lang, titles) for c in node.get("children", [])]
    return out
