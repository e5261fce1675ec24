"""Widget telemetry: validation and storage of ``POST /v1/analytics/click`` events."""

from __future__ import annotations

import json
import re
from typing import Any

from nura_appliance.errors import BadRequest, ValidationFailed
from nura_appliance.knowledge.legacy_ids import article_id_for
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.storage.base import ClickEvent

__all__ = ["WIDGET_EVENT_TYPES", "ClickEvent", "parse_click"]

# The widget sends these; other names are accepted (custom telemetry) if they look like names.
WIDGET_EVENT_TYPES = (
    "open",
    "close",
    "lang_switch",
    "tree_click",
    "article_view",
    "feedback",
    "handoff_button",
    "quick_reply",
    "start_over",
)
_EVENT = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
_ID = re.compile(r"^[\w.@:+-]{1,128}$")
_CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")
MAX_LABEL = 300
MAX_META = 2000


def _field(
    body: dict[str, Any],
    key: str,
    *,
    pattern: re.Pattern[str] | None = None,
    max_len: int = 128,
    allow_int: bool = False,
) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        kinds = "a string or an integer" if allow_int else "a string"
        raise ValidationFailed(f"'{key}' must be {kinds}", code="invalid_field", details={"field": key})
    if len(value) > max_len or (pattern is not None and not pattern.match(value)):
        raise ValidationFailed(f"'{key}' is malformed or too long", code="invalid_field", details={"field": key})
    return value


def parse_click(body: Any) -> ClickEvent:
    """Validate a click body (the original NURA's shape plus optional ``lang`` and ``channel``)."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object", code="invalid_body")
    event_type = body.get("event_type")
    if event_type is None:
        raise ValidationFailed("'event_type' is required", code="missing_field", details={"field": "event_type"})
    if not isinstance(event_type, str) or not _EVENT.match(event_type):
        raise ValidationFailed(
            "'event_type' must be a short lower-case name like 'tree_click'",
            code="invalid_field",
            details={"field": "event_type"},
        )
    meta = body.get("meta")
    if meta is not None and not isinstance(meta, str):
        meta = json.dumps(meta, ensure_ascii=False)
    if meta is not None and len(meta) > MAX_META:
        raise ValidationFailed(
            f"'meta' is longer than {MAX_META} characters", code="invalid_field", details={"field": "meta"}
        )
    label = _field(body, "label", max_len=MAX_LABEL)
    lang = _field(body, "lang", max_len=3)
    position = body.get("article_id")
    if isinstance(position, int) and not isinstance(position, bool) and position >= 0:
        # The original NURA widget names a tree leaf's article by its position in articals.json.
        body = {**body, "article_id": article_id_for(position)}
    if lang is not None and lang not in LANGS:
        raise ValidationFailed(f"'lang' must be one of {LANG_LIST}", code="invalid_field", details={"field": "lang"})
    return ClickEvent(
        event_type=event_type,
        session_id=_field(body, "session_id", pattern=_ID),
        customer_id=_field(body, "customer_id", pattern=_ID),
        label=label,
        meta=meta or None,
        topic_id=_field(body, "topic_id", pattern=_ID, allow_int=True),
        article_id=_field(body, "article_id", pattern=_ID, allow_int=True),
        lang=lang,
        channel=_field(body, "channel", pattern=_CHANNEL, max_len=20) or "web",
    )
