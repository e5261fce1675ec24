"""Canned replies: short texts per language that agents insert into a chat, with placeholders
(``{customer_name}``, ``{agent_name}``, ``{company_name}``, ``{session_id}``) filled in for the
session at hand. Unknown placeholders are left as they are, so a typo never breaks a reply."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from nura_appliance.errors import ValidationFailed
from nura_appliance.handoff.inbox import text_field
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.storage.base import CannedReplyStore

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def render(text: str, values: dict[str, str | None]) -> str:
    """Fill known placeholders; leave unknown or empty ones untouched."""
    return PLACEHOLDER.sub(lambda m: values.get(m[1]) or m[0], text)


def parse_reply(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not partial or "lang" in body:
        if body.get("lang") not in LANGS:
            raise ValidationFailed(
                f"'lang' must be one of {LANG_LIST}", code="invalid_field", details={"field": "lang"}
            )
        out["lang"] = body["lang"]
    for key, limit in (("title", 120), ("text", 4000)):
        if not partial or key in body:
            out[key] = text_field(body, key, limit, required=True)
    if not partial and body.get("id") is not None:
        if not isinstance(body["id"], str) or not _ID.match(body["id"]):
            raise ValidationFailed(
                "'id' must be 1-64 lower-case letters, digits, - or _", code="invalid_field", details={"field": "id"}
            )
        out["id"] = body["id"]
    if partial and not out:
        raise ValidationFailed("send lang, title and/or text", code="missing_field")
    return out


class CannedReplies:
    """Canned replies over the desk's :class:`~nura_appliance.storage.base.CannedReplyStore`."""

    def __init__(self, store: CannedReplyStore) -> None:
        self.store = store

    async def list(self, *, lang: str | None, query: str | None) -> list[dict[str, Any]]:
        return await self.store.list(lang=lang, query=query)

    async def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        row = {
            "id": fields.get("id") or uuid.uuid4().hex[:12],
            "lang": fields["lang"],
            "title": fields["title"],
            "text": fields["text"],
            "created_at": now,
            "updated_at": now,
        }
        return await self.store.create(row)

    async def update(self, reply_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        return await self.store.update(reply_id, {**fields, "updated_at": time.time()})

    async def delete(self, reply_id: str) -> None:
        await self.store.delete(reply_id)
