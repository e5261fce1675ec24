"""The composition root (docs/DEVELOPING.md, "Composition root"): the pipeline and the conversation
service are built once with the features' extension points as constructor arguments, and no
feature reassigns an attribute of them afterwards."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from conftest import running_app

from nura_appliance import context
from nura_appliance.ai.grounded import GroundedAnswerTier
from nura_appliance.analytics.jobs import InlineInsight
from nura_appliance.conversation.pipeline import Pipeline
from nura_appliance.conversation.service import BasicHandoff, ConversationService
from nura_appliance.handoff.service import HandoffService

PACKAGE = Path(__file__).resolve().parent.parent / "nura_appliance"
CORE = ("pipeline", "conversations")  # the AppContext fields built by context.build_core
EXTENSION_POINTS = {"pipeline": {"retrieval"}, "conversations": {"handoff", "inline_insight"}}


def _chain(node: ast.expr) -> list[str]:
    """``ctx.pipeline.matcher.embedder`` -> ["ctx", "pipeline", "matcher", "embedder"]."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return names[::-1]


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        found: list[ast.expr] = []
        for target in node.targets:
            found.extend(target.elts if isinstance(target, ast.Tuple | ast.List) else [target])
        return found
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return [node.target]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" and node.args:
        return [node.args[0]] if isinstance(node.args[0], ast.Attribute) else []
    return []


def core_assignments(source: str) -> list[str]:
    """Assignments to an attribute of a core object reached through a context
    (``ctx.pipeline.retrieval = ...``, ``self.ctx.conversations.handoff = ...``, a ``setattr``
    on ``ctx.pipeline``), or to an attribute of something inside one."""
    hits = []
    for node in ast.walk(ast.parse(source)):
        for target in _targets(node):
            names = _chain(target)
            if isinstance(node, ast.Call):
                names = [*names, "<setattr>"]
            # ctx.pipeline itself is set by the composition root; anything below it is the core's.
            if any(name in CORE for name in names[1:-1]):
                hits.append(f"line {node.lineno}: {'.'.join(names)}")
    return hits


def test_the_check_finds_the_overwrites_it_forbids():
    assert core_assignments("ctx.pipeline.retrieval = tier") == ["line 1: ctx.pipeline.retrieval"]
    assert core_assignments("self.ctx.conversations.handoff = service")
    assert core_assignments("ctx.conversations.inline_insight: Any = writer")
    assert core_assignments("ctx.pipeline.matcher.embedder = embedder")
    assert core_assignments("setattr(ctx.pipeline, 'retrieval', tier)")
    assert not core_assignments("ctx.handoff = service\nparts.retrieval = factory\nctx.matcher.embedder = e")


def test_no_feature_reassigns_an_attribute_of_the_core_objects():
    """Features contribute the core's extension points to ``CoreParts`` in their ``before_core``
    hooks; none assigns to ``ctx.pipeline.<x>`` or ``ctx.conversations.<x>`` (the pipeline and
    the conversation service own their attributes: conversation/ is not scanned)."""
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "conversation":
            continue
        hits = core_assignments(path.read_text(encoding="utf-8"))
        if hits:
            offenders[str(relative)] = hits
    assert not offenders, f"features reassign attributes of the core objects: {offenders}"


def _guarded(cls: type, names: set[str], built: list[Any]) -> type:
    """A subclass of ``cls`` that records each instance and refuses to have ``names`` set again
    once its constructor has returned."""

    class Guarded(cls):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.__dict__["_constructed"] = True
            built.append(self)

        def __setattr__(self, name: str, value: Any) -> None:
            if name in names and self.__dict__.get("_constructed"):
                raise AssertionError(f"{cls.__name__}.{name} reassigned after construction")
            super().__setattr__(name, value)

    return Guarded


async def test_the_app_builds_the_core_once_with_its_extension_points(settings, monkeypatch: pytest.MonkeyPatch):
    pipelines: list[Any] = []
    services: list[Any] = []
    monkeypatch.setattr(context, "Pipeline", _guarded(Pipeline, EXTENSION_POINTS["pipeline"], pipelines))
    monkeypatch.setattr(
        context,
        "ConversationService",
        _guarded(ConversationService, EXTENSION_POINTS["conversations"], services),
    )
    async with running_app(settings) as (app, client):
        ctx = app.ctx.nura
        assert pipelines == [ctx.pipeline] and services == [ctx.conversations]  # built once
        assert isinstance(ctx.pipeline.retrieval, GroundedAnswerTier)
        assert ctx.pipeline.retrieval.scope_message == ctx.pipeline.scope_message
        assert ctx.pipeline.retrieval.retriever is ctx.retriever and ctx.retriever is not None
        assert isinstance(ctx.conversations.handoff, HandoffService)
        assert ctx.conversations.handoff is ctx.handoff
        assert isinstance(ctx.conversations.inline_insight, InlineInsight)
        assert ctx.conversations.inline_insight.pipeline is ctx.pipeline
        assert ctx.conversations.inline_insight.llm is ctx.llm
        assert ctx.conversations.pipeline is ctx.pipeline
        # The message path runs through what was built (and the guards would fail a late overwrite).
        reply = await client.post("/v1/message", json={"message": "hello"})
        assert reply.status_code == 200, reply.text
        assert reply.json()["session_id"]


async def test_without_the_features_the_core_keeps_its_own_behaviour(settings):
    """A context built without feature hooks (the CLI, tests): no retrieval tier, the basic
    hand-off queue, no insight writer."""
    ctx = context.build_context(settings)
    try:
        assert ctx.pipeline.retrieval is None
        assert isinstance(ctx.conversations.handoff, BasicHandoff)
        assert ctx.conversations.inline_insight is None
        assert ctx.pipeline.matcher is ctx.matcher
    finally:
        ctx.close()
