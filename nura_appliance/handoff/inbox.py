"""Things customers leave for the team outside a live chat: suggestions, complaints and
compliments, and offline requests (contact details + a description when no agent is available).
Both are listed for agents with a status they move forward."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from nura_appliance.errors import NotFound, ValidationFailed
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.storage.base import InboxRowStore
from nura_appliance.text_policy import describe, forbidden_character

# Phone numbers as people type them, Western or Arabic-Indic digits.
_PHONE = re.compile(r"^\+?[0-9\u0660-\u0669\u06f0-\u06f9 ()./-]{5,30}$")
_DIGITS = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")


@dataclass(frozen=True)
class InboxKind:
    """One inbox table: its name, the statuses it moves through, and the first one."""

    table: str
    statuses: tuple[str, ...]
    initial: str


SUGGESTIONS = InboxKind("suggestions", ("new", "reviewed", "closed"), "new")
OFFLINE_REQUESTS = InboxKind("offline_requests", ("open", "contacted", "closed"), "open")
SUGGESTION_KINDS = ("suggestion", "complaint", "compliment")


def text_field(body: dict[str, Any], key: str, max_chars: int, *, required: bool) -> str | None:
    value = body.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationFailed(f"'{key}' is required", code="missing_field", details={"field": key})
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"'{key}' must be a string", code="invalid_field", details={"field": key})
    value = value.strip()
    bad = forbidden_character(value)
    if bad is not None:
        raise ValidationFailed(
            f"'{key}' contains a character that cannot be stored or shown ({describe(bad)})",
            code="invalid_characters",
            details={"field": key, "character": describe(bad)},
        )
    if len(value) > max_chars:
        raise ValidationFailed(
            f"'{key}' is longer than {max_chars} characters",
            code="invalid_field",
            details={"field": key, "max_chars": max_chars},
        )
    return value


def lang_field(body: dict[str, Any]) -> str | None:
    lang = body.get("lang")
    if lang is not None and lang not in LANGS:
        raise ValidationFailed(f"'lang' must be one of {LANG_LIST}", code="invalid_field", details={"field": "lang"})
    return lang


def parse_suggestion(body: dict[str, Any]) -> dict[str, Any]:
    kind = body.get("kind", "suggestion")
    if kind not in SUGGESTION_KINDS:
        raise ValidationFailed(
            "'kind' must be suggestion, complaint or compliment", code="invalid_field", details={"field": "kind"}
        )
    return {
        "kind": kind,
        "text": text_field(body, "text", 4000, required=True),
        "contact": text_field(body, "contact", 200, required=False),
        "lang": lang_field(body),
    }


def parse_offline_request(body: dict[str, Any]) -> dict[str, Any]:
    phone = text_field(body, "phone", 30, required=True)
    assert phone is not None
    if not _PHONE.match(phone) or len(_DIGITS.findall(phone)) < 5:
        raise ValidationFailed("'phone' must be a phone number", code="invalid_field", details={"field": "phone"})
    return {
        "name": text_field(body, "name", 100, required=True),
        "phone": phone,
        "description": text_field(body, "description", 4000, required=True),
        "lang": lang_field(body),
    }


def parse_update(body: dict[str, Any], kind: InboxKind) -> dict[str, Any]:
    """A PATCH body: ``status`` and/or ``note``."""
    changes: dict[str, Any] = {}
    if "status" in body:
        if body["status"] not in kind.statuses:
            raise ValidationFailed(
                f"'status' must be one of {', '.join(kind.statuses)}",
                code="invalid_field",
                details={"field": "status", "allowed": list(kind.statuses)},
            )
        changes["status"] = body["status"]
    if "note" in body:
        changes["note"] = text_field(body, "note", 4000, required=False)
    if not changes:
        raise ValidationFailed("send 'status' and/or 'note'", code="missing_field", details={"field": "status"})
    return changes


class InboxStore:
    """Create, list and update rows of one inbox table (over the desk's ``InboxRowStore``)."""

    def __init__(self, rows: InboxRowStore, kind: InboxKind) -> None:
        self.rows = rows
        self.kind = kind

    async def create(self, fields: dict[str, Any], session_id: str | None) -> dict[str, Any]:
        now = time.time()
        row = {**fields, "session_id": session_id, "status": self.kind.initial, "created_at": now, "updated_at": now}
        return await self.rows.insert(self.kind.table, row)

    async def list(self, *, status: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        if status is not None and status not in self.kind.statuses:
            raise ValidationFailed(
                f"'status' must be one of {', '.join(self.kind.statuses)}",
                code="invalid_field",
                details={"field": "status"},
            )
        return await self.rows.page(self.kind.table, status, limit, offset)

    async def update(self, item_id: int, changes: dict[str, Any], actor: str) -> dict[str, Any]:
        values = {**changes, "handled_by": actor, "updated_at": time.time()}
        row = await self.rows.update(self.kind.table, item_id, values)
        if row is None:
            raise NotFound(f"no {self.kind.table[:-1].replace('_', ' ')} with this id", code="not_found")
        return row
