"""Rules API (``/v1/knowledge/rules``): explicit phrases and their answers, edited in the admin.

Reads are for agents, writes admin-only and audited (``knowledge.rule.create|save|delete``). A rule
is validated with the knowledge-pack rules (docs/KNOWLEDGE_FORMAT.md) plus the editor's limits;
every change bumps the knowledge version, so the pipeline answers with it at once (this process)
or within two seconds (other workers). ``POST /v1/knowledge/rules/test`` shows what a message
would trigger — the saved rules, a draft still being edited, and the pipeline's actual answer.
"""

from __future__ import annotations

import secrets
from typing import Any

from sanic import Blueprint, Request
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.auth.access import ADMIN, AGENT, access
from nura_appliance.errors import Conflict, NotFound, ValidationFailed
from nura_appliance.http import json_object
from nura_appliance.knowledge.pack import FORMAT, PackError, validate_pack
from nura_appliance.knowledge.rules import RuleHit, RuleMatcher
from nura_appliance.knowledge.site import knowledge_site, tried_text
from nura_appliance.languages import LANG_LIST
from nura_appliance.storage.base import RuleStore

bp = Blueprint("knowledge_rules", url_prefix="/v1/knowledge")
MAX_PHRASES = 100
MAX_PHRASE_CHARS = 200
MAX_ANSWER_CHARS = 4000


def _store(request: Request) -> RuleStore:
    return knowledge_site(request).stores.rules


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in ("id", "patterns", "response", "match", "enabled") if k in body}


def clean_rule(body: dict[str, Any], rule_id: str | None = None) -> dict[str, Any]:
    """Validate one rule; errors name the field. Without an id one is generated."""
    unknown = sorted(set(body) - {"id", "patterns", "response", "match", "enabled", "position", "updated_at"})
    if unknown:
        raise ValidationFailed(f"unknown field {unknown[0]!r}", code="invalid_field", details={"field": unknown[0]})
    if rule_id is not None:
        if body.get("id") not in (None, rule_id):
            raise ValidationFailed(
                "the id in the body differs from the id in the path", code="invalid_field", details={"field": "id"}
            )
        body = {**body, "id": rule_id}
    elif not body.get("id"):
        body = {**body, "id": f"rule-{secrets.token_hex(4)}"}
    try:
        rule: dict[str, Any] = validate_pack({"format": FORMAT, "articles": [], "rules": [_fields(body)]})["rules"][0]
    except PackError as exc:
        field = next((f for f in ("patterns", "response", "match", "enabled", "id") if f in exc.message), None)
        raise ValidationFailed(exc.message, code="invalid_rule", details={"field": field} if field else None) from None
    phrases = [p for items in rule["patterns"].values() for p in items]
    if not phrases:
        raise ValidationFailed(
            f"a rule needs at least one phrase (in one of {LANG_LIST})",
            code="invalid_rule",
            details={"field": "patterns"},
        )
    if len(phrases) > MAX_PHRASES or any(len(p) > MAX_PHRASE_CHARS for p in phrases):
        raise ValidationFailed(
            f"at most {MAX_PHRASES} phrases of at most {MAX_PHRASE_CHARS} characters",
            code="invalid_rule",
            details={"field": "patterns"},
        )
    if any(len(text) > MAX_ANSWER_CHARS for text in rule["response"].values()):
        raise ValidationFailed(
            f"an answer has at most {MAX_ANSWER_CHARS} characters", code="invalid_rule", details={"field": "response"}
        )
    return rule


async def _audit(request: Request, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
    audit = knowledge_site(request).audit
    if audit is not None:
        await audit.record(getattr(request.ctx.principal, "username", "admin"), action, target, detail)


async def _changed(request: Request) -> None:
    """Let this process's pipeline answer with the change before the response goes out."""
    await knowledge_site(request).pipeline.refresh(force=True)


@bp.get("/rules")
@access(AGENT)
async def list_rules(request: Request) -> HTTPResponse:
    """Every rule in the order the pipeline tries them: `{rules: [{id, patterns, response, match,
    enabled, position, updated_at}], total}`."""
    rules = await _store(request).list()
    return json_response({"rules": rules, "total": len(rules)})


@bp.get("/rules/<rule_id:str>")
@access(AGENT)
async def get_rule(request: Request, rule_id: str) -> HTTPResponse:
    """One rule."""
    rule = await _store(request).get(rule_id)
    if rule is None:
        raise NotFound(f"no rule {rule_id!r}", code="rule_not_found")
    return json_response(rule)


@bp.post("/rules")
@access(ADMIN)
async def create_rule(request: Request) -> HTTPResponse:
    """Add a rule `{id?, patterns: {lang: [phrase]}, response: {lang: text}, match?: exact|contains,
    enabled?}` at the end of the list; 409 when the id exists.

    openapi:
    ---
    summary: Add a rule
    tags: [knowledge]
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [patterns, response]
            properties:
              id: {type: string, pattern: "^[a-z0-9][a-z0-9_-]{0,79}$"}
              patterns:
                type: object
                description: phrases per language (ar, ckb, ku, en)
                additionalProperties: {type: array, items: {type: string, maxLength: 200}}
              response:
                type: object
                description: the answer per language
                additionalProperties: {type: string, maxLength: 4000}
              match: {type: string, enum: [exact, contains]}
              enabled: {type: boolean}
    """
    store = _store(request)
    rule = clean_rule(json_object(request))
    if await store.get(rule["id"]) is not None:
        raise Conflict(f"rule {rule['id']!r} already exists", code="rule_exists")
    saved = await store.save(rule)
    await _changed(request)
    await _audit(request, "knowledge.rule.create", rule["id"], {"match": rule["match"], "enabled": rule["enabled"]})
    return json_response(saved, status=201)


@bp.put("/rules/<rule_id:str>")
@access(ADMIN)
async def save_rule(request: Request, rule_id: str) -> HTTPResponse:
    """Create or replace a rule (it keeps its place in the list).

    openapi:
    ---
    summary: Create or replace a rule
    tags: [knowledge]
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [patterns, response]
            properties:
              id: {type: string, pattern: "^[a-z0-9][a-z0-9_-]{0,79}$"}
              patterns:
                type: object
                description: phrases per language (ar, ckb, ku, en)
                additionalProperties: {type: array, items: {type: string, maxLength: 200}}
              response:
                type: object
                description: the answer per language
                additionalProperties: {type: string, maxLength: 4000}
              match: {type: string, enum: [exact, contains]}
              enabled: {type: boolean}
    """
    store = _store(request)
    before = await store.get(rule_id)
    rule = clean_rule(json_object(request), rule_id)
    saved = await store.save(rule)
    await _changed(request)
    detail = {"match": rule["match"], "enabled": rule["enabled"]}
    if before is not None and before["enabled"] != rule["enabled"]:
        detail["switched"] = "on" if rule["enabled"] else "off"
    await _audit(request, "knowledge.rule.save", rule_id, detail)
    return json_response(saved)


@bp.delete("/rules/<rule_id:str>")
@access(ADMIN)
async def delete_rule(request: Request, rule_id: str) -> HTTPResponse:
    """Delete a rule."""
    if not await _store(request).delete(rule_id):
        raise NotFound(f"no rule {rule_id!r}", code="rule_not_found")
    await _changed(request)
    await _audit(request, "knowledge.rule.delete", rule_id)
    return json_response({"ok": True, "deleted": rule_id})


def _hit(hit: RuleHit) -> dict[str, Any]:
    return {
        "rule_id": hit.rule_id,
        "phrase": hit.phrase,
        "match": hit.match,
        "whole_message": hit.exact,
        "response": hit.response,
        "lang": hit.lang,
    }


@bp.post("/rules/test")
@access(AGENT)
async def test_rules(request: Request) -> HTTPResponse:
    """What a customer message would trigger: `{text, lang?, rule?}` → `{lang, rules: [hits of the
    saved rules, in order], draft: hit of the unsaved `rule` or null, answer: {kind, tier,
    response, rule_id, article_id, confidence}}` — the answer is the real pipeline's, without a
    session or any logging. A hit that is not the whole message answers only when no article
    matches (`answer` shows which won).

    openapi:
    ---
    summary: What a message would trigger
    tags: [knowledge]
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [text]
            properties:
              text: {type: string}
              lang: {type: string, enum: [ar, ckb, ku, en]}
              rule: {type: object, description: an unsaved rule (same shape as POST /v1/knowledge/rules)}
    """
    ctx = knowledge_site(request)
    body = json_object(request)
    text, lang = tried_text(body, ctx.settings)
    draft_hit = None
    if body.get("rule") is not None:
        if not isinstance(body["rule"], dict):
            raise ValidationFailed("'rule' must be an object", code="invalid_field", details={"field": "rule"})
        draft = {**clean_rule({**body["rule"], "id": body["rule"].get("id") or "draft"}), "enabled": True}
        hits = RuleMatcher([draft]).matches(text, lang)
        draft_hit = _hit(hits[0]) if hits else None
    saved = RuleMatcher(await _store(request).list()).matches(text, lang)
    answer = await ctx.pipeline.answer(text, lang, {"try": True})
    return json_response(
        {
            "lang": lang,
            "rules": [_hit(h) for h in saved],
            "draft": draft_hit,
            "answer": {
                "kind": answer.kind,
                "tier": answer.source,
                "response": answer.response,
                "rule_id": answer.rule_id,
                "article_id": answer.article_id,
                "confidence": answer.confidence,
            },
        }
    )
