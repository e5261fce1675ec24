"""Knowledge-gap review: list groups, approve with an answer (a new article, or the questions
become example questions of an existing article), reject, resolve. Approved knowledge is written
through the knowledge store, which re-indexes it at once, so the next message can match it."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, Protocol

from nura_appliance.analytics.gaps import gap_groups
from nura_appliance.errors import Conflict, NotFound, ValidationFailed
from nura_appliance.settings import Settings
from nura_appliance.storage.base import GapStore, KnowledgeStore, ReportFilters
from nura_appliance.storage.stores import Stores

if TYPE_CHECKING:  # annotations only (features below this one)
    from nura_appliance.auth.audit import AuditService
    from nura_appliance.conversation.pipeline import Pipeline

MAX_ANSWER = 8000
_ARTICLE_ID = re.compile(r"^[\w.-]{1,64}$")
REVIEW_STATUSES = ("open", "approved", "rejected", "resolved")
Gaps = list[dict[str, Any]]  # knowledge_gaps rows (GapReview.list shadows the builtin in its body)
# Intents that do not name a topic: a new article takes its category from the others.
NOT_A_CATEGORY = ("out_of_scope", "human_request", "smalltalk")


def parse_approval(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """``(mode, answer, article_id)`` from ``{answer, article_id?, mode: "example"|"article"}``."""
    mode = body.get("mode") or ("example" if body.get("article_id") and not body.get("answer") else "article")
    if mode not in ("example", "article"):
        raise ValidationFailed("'mode' must be 'example' or 'article'", code="invalid_field", details={"field": "mode"})
    answer = body.get("answer")
    if answer is not None and not isinstance(answer, str):
        raise ValidationFailed("'answer' must be a string", code="invalid_field", details={"field": "answer"})
    answer = (answer or "").strip() or None
    if answer and len(answer) > MAX_ANSWER:
        raise ValidationFailed(
            f"'answer' is longer than {MAX_ANSWER} characters", code="invalid_field", details={"field": "answer"}
        )
    article_id = body.get("article_id")
    if isinstance(article_id, int) and not isinstance(article_id, bool):
        article_id = str(article_id)
    if article_id is not None and (not isinstance(article_id, str) or not _ARTICLE_ID.match(article_id)):
        raise ValidationFailed(
            "'article_id' must be 1-64 letters, digits, '.', '_' or '-'",
            code="invalid_field",
            details={"field": "article_id"},
        )
    if mode == "article" and not answer:
        raise ValidationFailed(
            "'answer' is required to create an article", code="missing_field", details={"field": "answer"}
        )
    if mode == "example" and not article_id:
        raise ValidationFailed(
            "'article_id' is required to add example questions", code="missing_field", details={"field": "article_id"}
        )
    return mode, answer, article_id


class ReviewSite(Protocol):
    """What the gap review uses of the app context. It keeps the context, not the pipeline: the
    analytics service is built before the core (``before_core``), and reads ``pipeline`` only when
    an admin turns a gap into an article."""

    @property
    def settings(self) -> Settings: ...
    @property
    def stores(self) -> Stores: ...
    @property
    def knowledge(self) -> KnowledgeStore: ...
    @property
    def pipeline(self) -> Pipeline: ...
    @property
    def audit(self) -> AuditService | None: ...


class GapReview:
    def __init__(self, ctx: ReviewSite) -> None:
        self.ctx = ctx
        self.store: GapStore = ctx.stores.gaps

    async def list(self, *, status: str | None, lang: str | None, limit: int, offset: int) -> dict[str, Any]:
        if status is not None and status not in REVIEW_STATUSES:
            raise ValidationFailed(
                "'status' must be open, approved, rejected or resolved",
                code="invalid_query",
                details={"field": "status"},
            )
        groups, total = await gap_groups(
            self.store, status=status, filters=ReportFilters(lang=lang), limit=limit, offset=offset
        )
        return {"groups": groups, "total": total}

    async def _open_group(self, gap_id: int) -> tuple[dict[str, Any], Gaps]:
        gap, members = await self.store.members(gap_id)
        if gap is None:
            raise NotFound(f"knowledge gap {gap_id} does not exist", code="gap_not_found")
        if not members:
            raise Conflict(f"knowledge gap {gap_id} is already {gap['status']}", code="gap_not_open")
        return gap, members

    async def _close(
        self,
        members: Gaps,
        status: str,
        reviewer: str,
        *,
        answer: str | None = None,
        article_id: str | None = None,
    ) -> int:
        ids = [m["id"] for m in members]
        return await self.store.close(ids, status, reviewer, time.time(), answer=answer, article_id=article_id)

    async def approve(
        self, gap_id: int, mode: str, answer: str | None, article_id: str | None, reviewer: str
    ) -> dict[str, Any]:
        gap, members = await self._open_group(gap_id)
        knowledge = self.ctx.knowledge
        default_lang = gap["lang"] or self.ctx.settings.default_lang
        questions: dict[str, list[str]] = {}
        for member in members:
            lang = member["lang"] or default_lang
            if member["question"] not in questions.setdefault(lang, []):
                questions[lang].append(member["question"])
        if mode == "example":
            # parse_approval requires an article_id in this mode; a missing one is "not found" here
            article = await knowledge.article(article_id) if article_id is not None else None
            if article is None:
                raise NotFound(f"article {article_id} does not exist", code="article_not_found")
            examples = {lang: list(items) for lang, items in (article.get("examples") or {}).items()}
            for lang, items in questions.items():
                for question in items:
                    if question not in examples.setdefault(lang, []):
                        examples[lang].append(question)
            article = {**article, "examples": examples}
        else:
            article_id = article_id or f"gap-{gap['id']}"
            if await knowledge.article(article_id) is not None:
                raise Conflict(
                    f"article {article_id} already exists; use mode 'example' to extend it", code="article_exists"
                )
            article = {
                "id": article_id,
                "category": await self._category(members),
                "title": {default_lang: gap["question"][:200]},
                "body": {default_lang: answer},
                "examples": questions,
                "keywords": [],
            }
        await knowledge.save_article(article)
        await self.ctx.pipeline.refresh(force=True)
        closed = await self._close(members, "approved", reviewer, answer=answer, article_id=article_id)
        await self._audit(
            reviewer, "knowledge_gap.approve", gap_id, {"mode": mode, "article_id": article_id, "gaps": closed}
        )
        return {
            "ok": True,
            "gap_id": gap_id,
            "status": "approved",
            "mode": mode,
            "article_id": article_id,
            "gaps": closed,
        }

    async def _category(self, members: Gaps) -> str:
        ids = [m["message_id"] for m in members if m["message_id"] is not None]
        return await self.store.top_intent(ids, NOT_A_CATEGORY) or "faq"

    async def close(self, gap_id: int, status: str, reviewer: str) -> dict[str, Any]:
        """Reject (not worth answering) or resolve (fixed elsewhere) a gap and its open group."""
        _, members = await self._open_group(gap_id)
        closed = await self._close(members, status, reviewer)
        action = "knowledge_gap.reject" if status == "rejected" else "knowledge_gap.resolve"
        await self._audit(reviewer, action, gap_id, {"gaps": closed})
        return {"ok": True, "gap_id": gap_id, "status": status, "gaps": closed}

    async def _audit(self, actor: str, action: str, gap_id: int, detail: dict[str, Any]) -> None:
        audit = self.ctx.audit
        if audit is not None:
            await audit.record(actor, action, str(gap_id), detail)
