"""Canned replies: short texts per language that agents insert into a chat, with placeholders
(``{customer_name}``, ``{agent_name}``, ``{company_name}``, ``{session_id}``) filled in for the
session at hand. Unknown placeholders are left as they are, so a typo never breaks a reply."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import apsw

from nura_appliance.errors import Conflict, NotFound, ValidationFailed
from nura_appliance.handoff.inbox import text_field
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.storage.base import like_contains

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
    def __init__(self, db: Any) -> None:
        self.db = db

    async def list(self, *, lang: str | None, query: str | None) -> list[dict[str, Any]]:
        where, params = [], []
        if lang:
            where.append("lang = ?")
            params.append(lang)
        if query:
            where.append("(title LIKE ? ESCAPE '\\' OR text LIKE ? ESCAPE '\\')")
            params.extend([like_contains(query), like_contains(query)])
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return await self.db.fetchall(f"SELECT * FROM canned_replies {clause} ORDER BY lang, title, id", params)

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

        def run(conn: apsw.Connection) -> dict[str, Any]:
            if conn.execute("SELECT 1 FROM canned_replies WHERE id = ?", (row["id"],)).fetchall():
                raise Conflict("a canned reply with this id exists", code="duplicate_id")
            conn.execute(
                "INSERT INTO canned_replies (id, lang, title, text, created_at, updated_at)"
                " VALUES (:id, :lang, :title, :text, :created_at, :updated_at)",
                row,
            )
            return row

        return await self.db.write(run)

    async def update(self, reply_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        values = {**fields, "updated_at": time.time()}

        def run(conn: apsw.Connection) -> dict[str, Any]:
            conn.execute(
                f"UPDATE canned_replies SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                (*values.values(), reply_id),
            )
            if conn.changes() == 0:
                raise NotFound("no canned reply with this id", code="canned_reply_not_found")
            return conn.execute("SELECT * FROM canned_replies WHERE id = ?", (reply_id,)).fetchall()[0]

        return await self.db.write(run)

    async def delete(self, reply_id: str) -> None:
        def run(conn: apsw.Connection) -> None:
            conn.execute("DELETE FROM canned_replies WHERE id = ?", (reply_id,))
            if conn.changes() == 0:
                raise NotFound("no canned reply with this id", code="canned_reply_not_found")

        await self.db.write(run)
