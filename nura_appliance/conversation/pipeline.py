"""The message pipeline (DESIGN.md §5), shared by the web API, Telegram and ``nura eval``.

Tiers, cheapest first: explicit request for a human → rules → article match → handbook
retrieval (grounded LLM or extractive answer) → out of scope / fallback. The pipeline only
decides; persisting, hand-off state changes and events belong to the conversation service.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from nura_appliance.conversation.messages import message
from nura_appliance.conversation.rules import RuleMatcher
from nura_appliance.conversation.signals import sentiment, wants_human
from nura_appliance.knowledge.pack import pick_text
from nura_appliance.knowledge.retrieval import ArticleMatcher, Decision
from nura_appliance.settings import Settings
from nura_appliance.storage.sqlite.knowledge import SqliteKnowledgeStore

KINDS = ("article", "ambiguous", "out_of_scope", "handoff", "rule", "fallback", "rag")


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
    """Tier 6: handbook retrieval answered by an LLM or extractively (set by the AI feature)."""

    async def answer(self, text: str, lang: str, context: dict[str, Any]) -> Answer | None: ...


class Pipeline:
    def __init__(self, settings: Settings, knowledge: SqliteKnowledgeStore, matcher: ArticleMatcher) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.matcher = matcher
        self.retrieval: RetrievalTier | None = None
        self._rules: RuleMatcher | None = None
        self._scope: dict[str, str] = {}
        self._version: str | None = None
        self._checked_at = 0.0
        # Articles by id, valid for one knowledge version (see _article): an answer and its
        # candidates used to cost four reader-pool round trips and JSON decodes per message.
        self._articles: dict[str, dict[str, Any] | None] = {}
        self._articles_version: str | None = None
        # The localized topic tree per language for one knowledge version: the widget asks for it
        # on every open, and building it decodes every article.
        self._trees: dict[str, dict[str, Any] | None] = {}
        self._trees_version: str | None = None

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
        """Reload rules and the scope message when the knowledge base changed (checked every 2 s)."""
        now = time.monotonic()
        if not force and self._rules is not None and now - self._checked_at < 2.0:
            return
        self._checked_at = now
        version = await self.knowledge.version()
        if force or version != self._version or self._rules is None:
            self._rules = RuleMatcher(await self.knowledge.rules())
            self._scope = await self.knowledge.meta("scope_message") or {}
            self._version = version

    def _seen_version(self) -> str | None:
        """The knowledge version the article matcher read for this message (it reads it on every
        call, in the same round trip as its search), else the one :meth:`refresh` saw."""
        snapshot = getattr(self.matcher, "_snapshot", None)
        return getattr(snapshot, "version", None) or self._version

    async def _article(self, article_id: str) -> dict[str, Any] | None:
        """One article, from memory while the knowledge version is unchanged.

        Every article change bumps the version in the same transaction, and the version is read
        before the article, so a cached article is never older than the version it is kept under.
        """
        version = self._seen_version()
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
        cached: bool = False,
    ) -> Answer | None:
        """An article as an answer. ``cached`` only right after the matcher ran for this message
        (it has just read the knowledge version); other callers read the article fresh."""
        article = await (self._article(article_id) if cached else self.knowledge.article(article_id))
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
            article = await self._article(cand.article_id)
            if article:
                title, _ = pick_text(article["title"], lang)
                out.append({"article_id": cand.article_id, "title": title, "score": round(cand.score, 3)})
        return out

    async def answer(self, text: str, lang: str, context: dict[str, Any] | None = None) -> Answer:
        """Run the tiers for one message in language ``lang``."""
        context = context or {}
        await self.refresh()
        mood = sentiment(text)
        handoff_on = self.settings.handoff_enabled and "explicit" in self.settings.handoff_triggers

        # 3. explicit request for a human
        if wants_human(text, lang):
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

        # 4. rules
        assert self._rules is not None
        rule = self._rules.match(text, lang)

        # 5. article match
        decision = await self.matcher.decide(text, lang)
        if rule is not None and (rule.exact or decision.kind != "article"):
            return Answer("rule", rule.response, "rules", 1.0, lang, rule_id=rule.rule_id, sentiment=mood)
        if decision.kind == "article" and decision.article_id:
            found = await self.article_answer(decision.article_id, lang, decision.confidence, cached=True)
            if found is not None:
                found.candidates = await self._candidates(decision, lang)
                found.sentiment = mood
                return found

        # 6. handbook retrieval (grounded LLM or extractive)
        if self.retrieval is not None:
            rag = await self.retrieval.answer(text, lang, context)
            if rag is not None:
                rag.sentiment = mood
                return rag

        if decision.kind == "ambiguous":
            return Answer(
                "ambiguous",
                message("ambiguous", lang),
                "article",
                decision.confidence,
                lang,
                candidates=await self._candidates(decision, lang),
                sentiment=mood,
            )

        # 7. out of scope: the configured scope message, never an invented answer
        return Answer(
            "out_of_scope",
            self.scope_message(lang),
            "fallback",
            decision.confidence,
            lang,
            candidates=await self._candidates(decision, lang),
            sentiment=mood,
        )


def localize_tree(node: dict[str, Any], lang: str, titles: dict[str, str]) -> dict[str, Any]:
    """A topic-tree node with its label (and, for a leaf, the article title) in ``lang``."""
    label, _ = pick_text(node["label"], lang)
    out: dict[str, Any] = {"id": node["id"], "label": label}
    if node.get("article"):
        out["article_id"] = node["article"]
        out["title"] = titles.get(node["article"], label)
    else:
        out["children"] = [localize_tree(c, lang, titles) for c in node.get("children", [])]
    return out
