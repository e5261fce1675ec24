"""The core's extension points (``CoreParts``), contributed by the features' ``before_core`` hooks
and handed to the constructors of the pipeline and the conversation service by the composition
root (``context.build_core``). They live here, beside the core they extend, so a feature that
contributes one names this module and never the composition root above it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nura_appliance.conversation.pipeline import Pipeline, RetrievalFactory
from nura_appliance.conversation.service import HandoffStarter, InsightWriter

__all__ = ["CoreParts"]


@dataclass
class CoreParts:
    """The core's extension points, contributed by the features' ``before_core`` hooks (the AI,
    hand-off and analytics features) and passed to the constructors of ``ctx.pipeline`` and
    ``ctx.conversations`` by ``context.build_core``; None leaves the core's own behaviour."""

    retrieval: RetrievalFactory | None = None  # tier 6 of the pipeline, built from its scope message
    handoff: HandoffStarter | None = None  # starts hand-offs for the conversation service
    insight: Callable[[Pipeline], InsightWriter] | None = None  # the insight writer, given the pipeline
