"""Customer-facing conversation API: messages, topic tree, articles and session reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanic import Blueprint, Request
from sanic import json as json_response
from sanic.response import HTTPResponse

from nura_appliance.auth.access import PUBLIC, SESSION, access
from nura_appliance.conversation.service import parse_message, session_summary, turn_payload
from nura_appliance.conversation.site import conversation_site
from nura_appliance.errors import NotFound, ValidationFailed
from nura_appliance.http import INT_MAX, int_arg, json_body, session_token
from nura_appliance.knowledge.pack import pick_text
from nura_appliance.languages import LANG_LIST, LANGS

if TYPE_CHECKING:  # annotations only
    from types import SimpleNamespace

    from sanic import Sanic
    from sanic.config import Config

    App = Sanic[Config, SimpleNamespace]  # what Sanic("nura") is: the default config and ctx

bp = Blueprint("conversation", url_prefix="/v1")


def lang_arg(request: Request, default: str) -> str:
    lang = request.args.get("lang") or default
    if lang not in LANGS:
        raise ValidationFailed(f"'lang' must be one of {LANG_LIST}", code="invalid_field", details={"field": "lang"})
    return lang


@bp.post("/message")
@access(PUBLIC)
async def post_message(request: Request) -> HTTPResponse:
    """Send a customer message; a null session_id starts a new session.

    openapi:
    ---
    summary: Send a customer message and get the bot's answer
    tags: [conversation]
    """
    ctx = conversation_site(request)
    limiter = ctx.limits
    # This route counts its per-IP limit itself (auth.routes.IP_COUNTED_BY_ROUTE): with the
    # new-session or per-session count in one cache call once the message is parsed, alone on
    # every other path — first, so that over the IP limit a malformed request is a 429 as before.
    counted = False
    try:
        body = json_body(request)
        original = ctx.original
        if original is not None and original.wants_attachment_message(body):
            counted = True
            if limiter is not None:
                await limiter.check_public(request)
            # The original NURA widget's confirmation of its upload (docs/WIDGET.md, "Original NURA embeds").
            return await original.attachment_message(request, body)
        incoming = parse_message(body, ctx.settings.message_max_chars, session_token(request))
    except Exception:
        if limiter is not None and not counted:
            await limiter.check_public(request)
        raise
    if limiter is not None:
        await limiter.check_message(request, incoming, with_ip=True)
    result = await ctx.conversations.handle(incoming)
    identities = ctx.identities
    if identities is not None:  # the widget's customer identity (channels/identity.py)
        await identities.remember_from_body(result["session_id"], body, new_session=result["new_session"])
    return json_response(result)


@bp.get("/topic-tree")
@access(PUBLIC)
async def topic_tree(request: Request) -> HTTPResponse:
    """The guided topic tree in one language (labels localized, leaves name their article).

    openapi:
    ---
    summary: The guided topic tree
    description: >
      With `?lang=ar|ku|en`: `{lang, tree, version}`, labels in that language, leaves with
      `article_id`, action nodes with `action` (`agent` or `complaint`). Without `lang` (the
      original NURA widget's call): the bare root `{id, label, children}` with a label per
      language, leaves with `article` (docs/WIDGET.md, "Original NURA embeds").
    tags: [conversation]
    """
    ctx = conversation_site(request)
    original = ctx.original
    if original is not None and original.wants_tree(request):
        return await original.topic_tree(request)
    lang = lang_arg(request, ctx.settings.default_lang)
    tree, version = await ctx.pipeline.topic_tree(lang)
    return json_response(
        {"lang": lang, "tree": tree, "version": version},
        headers={"Cache-Control": "public, max-age=60"},
    )


@bp.get("/articles/<article_id:str>")
@access(PUBLIC)
async def get_article(request: Request, article_id: str) -> HTTPResponse:
    """One article in one language."""
    ctx = conversation_site(request)
    lang = lang_arg(request, ctx.settings.default_lang)
    article = await ctx.knowledge.article(article_id)
    if article is None:
        raise NotFound("no article with this id", code="article_not_found")
    title, title_lang = pick_text(article["title"], lang)
    body, body_lang = pick_text(article["body"], lang)
    return json_response(
        {
            "id": article["id"],
            "article_id": article["id"],
            "category": article["category"],
            "title": title,
            "body": body,
            "lang": body_lang,
            "requested_lang": lang,
        }
    )


@bp.get("/session/<session_id:str>")
@access(SESSION)
async def get_session(request: Request, session_id: str) -> HTTPResponse:
    """A session's state; needs that session's token."""
    ctx = conversation_site(request)
    session = await ctx.sessions.authorize(session_id, session_token(request))
    return json_response(session_summary(session))


@bp.get("/session/<session_id:str>/messages")
@access(SESSION)
async def get_messages(request: Request, session_id: str) -> HTTPResponse:
    """A session's transcript; needs that session's token. ``after`` returns only newer messages."""
    ctx = conversation_site(request)
    session = await ctx.sessions.authorize(session_id, session_token(request))
    after = int_arg(request, "after", 0, 0, INT_MAX)
    turns = await ctx.sessions_store.turns(session.id, after_id=after)
    # A bot answer withheld because a person took the chat meanwhile is for the agent's eyes only.
    shown = [turn_payload(t) for t in turns if t.meta.get("kind") != "withheld"]
    return json_response({"session_id": session.id, "status": session.status, "messages": shown})


def setup(app: App) -> None:
    app.blueprint(bp)
