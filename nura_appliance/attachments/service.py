"""Attachments: photos and PDFs in a conversation, from customers (widget, Telegram) and agents.

One request is **all or nothing**: every file is checked and cleaned (``files.prepare``) before
anything touches the disk; the files are then written under their random names, and the rows are
written in the same database transaction as the transcript turn that shows them. When any step
fails, the files written so far are removed, so a refused part leaves nothing behind. A crash
between writing a file and the commit leaves an orphan file without a row, which
:meth:`AttachmentService.sweep_orphans` (run at start-up and by ``nura purge``) removes.

A file is served back only to the holder of its session's token and to agents and admins
(``routes.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nura_appliance.attachments.files import PreparedFile, accepted_types, prepare
from nura_appliance.auth.uploads import stored_path
from nura_appliance.errors import NotFound, PayloadTooLarge, ValidationFailed
from nura_appliance.paths import DataPaths
from nura_appliance.settings import Settings
from nura_appliance.storage.base import AttachmentRecord, AttachmentStore, SessionRecord, Transaction, TurnRecord

if TYPE_CHECKING:  # annotations only (features below this one)
    from nura_appliance.conversation.service import ConversationService
    from nura_appliance.handoff.service import Actor, HandoffService


class AttachmentSite(Protocol):
    """What :class:`AttachmentService` uses of the app context: the core's conversation service and
    the hand-off service (read when a file comes in: both are built before this feature)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def paths(self) -> DataPaths: ...
    @property
    def conversations(self) -> ConversationService: ...
    @property
    def handoff(self) -> HandoffService | None: ...


log = logging.getLogger(__name__)

FOLDER = "attachments"
ORPHAN_GRACE_SECONDS = 3600  # a file younger than this may belong to a request still in flight


def placeholder(records: list[AttachmentRecord]) -> str:
    """The transcript text of an attachment turn without a caption: "(photo)", "(document)" …"""
    photos = sum(1 for r in records if r.kind != "pdf")
    if photos == len(records):
        return "(photo)" if photos == 1 else "(photos)"
    if photos == 0:
        return "(document)" if len(records) == 1 else "(documents)"
    return "(files)"


def remove_orphans(folder: Path, keep: set[str], grace_seconds: float = ORPHAN_GRACE_SECONDS) -> int:
    """Delete files in ``folder`` that no row names and that are older than ``grace_seconds``
    (younger ones may belong to an upload whose transaction is still running); returns how many."""
    if not folder.is_dir():
        return 0
    cutoff = time.time() - grace_seconds
    gone = 0
    for path in folder.iterdir():
        if path.is_file() and path.name not in keep and path.stat().st_mtime < cutoff:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                gone += 1
    return gone


class AttachmentService:
    """Checks, stores and serves attachments; the turn itself goes through the conversation
    service (customers) or the hand-off service (agents), which own the transcript."""

    def __init__(self, ctx: AttachmentSite, store: AttachmentStore) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.store = store
        self.folder: Path = ctx.paths.uploads / FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)

    # -- limits the widget shows ----------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        return {
            "enabled": bool(self.settings.attachments_enabled),
            "types": accepted_types(),
            "max_bytes": int(self.settings.attachment_max_bytes),
            "max_files": int(self.settings.attachment_max_files),
        }

    # -- checking and writing ---------------------------------------------------------------------
    async def prepare_all(self, files: list[tuple[str, bytes]]) -> list[PreparedFile]:
        """Check and clean every file; the first refusal refuses the request (nothing written)."""
        if not self.settings.attachments_enabled:
            raise NotFound("attachments are turned off on this server", code="attachments_disabled")
        if not files:
            raise ValidationFailed("attach at least one file (multipart field 'file')", code="missing_file")
        limit = int(self.settings.attachment_max_files)
        if len(files) > limit:
            raise PayloadTooLarge(
                f"at most {limit} files per message", code="too_many_files", details={"max_files": limit}
            )
        prepared = []
        for name, data in files:
            prepared.append(
                await asyncio.to_thread(prepare, name, data, max_bytes=int(self.settings.attachment_max_bytes))
            )
        return prepared

    def _write_files(self, prepared: list[PreparedFile]) -> list[Path]:
        written: list[Path] = []
        try:
            for item in prepared:
                path = stored_path(self.folder, item.stored_name)
                with open(path, "xb") as handle:  # never overwrite: names are random and new
                    handle.write(item.data)
                    handle.flush()
                    os.fsync(handle.fileno())
                written.append(path)
        except BaseException:
            self._remove(written)
            raise
        return written

    @staticmethod
    def _remove(paths: list[Path]) -> None:
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _records(
        self, prepared: list[PreparedFile], session_id: str, role: str, uploader: str | None, channel: str
    ) -> list[AttachmentRecord]:
        now = time.time()
        return [
            AttachmentRecord(
                id=p.attachment_id,
                session_id=session_id,
                uploader_role=role,
                uploader=uploader,
                channel=channel,
                kind=p.kind,
                content_type=p.content_type,
                stored_name=p.stored_name,
                original_name=p.original_name,
                size=p.size,
                width=p.width,
                height=p.height,
                sha256=p.sha256,
                created_at=now + index * 1e-6,  # keeps the upload order when listed by time
            )
            for index, p in enumerate(prepared)
        ]

    async def _stored(self, prepared: list[PreparedFile], write: Callable[[], Any]) -> Any:
        """Write the files, then run ``write`` (the database transaction); undo the files if it fails."""
        paths = await asyncio.to_thread(self._write_files, prepared)
        try:
            return await write()
        except BaseException:
            await asyncio.to_thread(self._remove, paths)
            raise

    # -- customers and agents ---------------------------------------------------------------------
    async def from_customer(
        self, session: SessionRecord, prepared: list[PreparedFile], *, caption: str | None, lang: str, channel: str
    ) -> tuple[list[TurnRecord], list[AttachmentRecord]]:
        """The customer's files as one turn (caption or "(photo)"), plus the bot's suggestion when
        no person owns the chat. Returns the written turns and the attachment records."""
        records = self._records(prepared, session.id, "customer", None, channel)
        public = [r.public() for r in records]
        turn = TurnRecord(
            session.id,
            "customer",
            caption or placeholder(records),
            time.time(),
            meta={"lang": lang, "kind": "attachment", "attachments": public},
        )

        def rows(conn: Transaction, turns: list[TurnRecord]) -> None:
            self.store.insert_in(conn, records, turns[0].id)

        turns = await self._stored(
            prepared, lambda: self.ctx.conversations.attachment_turn(session, turn, lang, after=rows)
        )
        return turns, records

    async def from_agent(
        self,
        session_id: str,
        prepared: list[PreparedFile],
        *,
        caption: str | None,
        sender_name: str | None,
        actor: Actor,
    ) -> tuple[TurnRecord, list[AttachmentRecord]]:
        """An agent's files as one agent turn (the hand-off service checks status and holder)."""
        records = self._records(prepared, session_id, "agent", actor.name, "web")

        def rows(conn: Transaction, turn: TurnRecord) -> None:
            self.store.insert_in(conn, records, turn.id)

        handoff = self.ctx.handoff
        if handoff is None:  # the agent routes are the hand-off feature's; it is set up before this one
            raise RuntimeError("the hand-off feature is not set up (ctx.handoff)")
        turn = await self._stored(
            prepared,
            lambda: handoff.agent_message(
                session_id,
                caption or placeholder(records),
                sender_name,
                actor,
                attachments=[r.public() for r in records],
                after=rows,
            ),
        )
        return turn, records

    # -- reading ------------------------------------------------------------------------------
    async def open(self, session_id: str, attachment_id: str) -> tuple[AttachmentRecord, Path]:
        record = await self.store.get(session_id, attachment_id)
        if record is None:
            raise NotFound("no attachment with this id in this session", code="attachment_not_found")
        path = stored_path(self.folder, record.stored_name)
        if not path.is_file():
            raise NotFound("the attachment's file is missing", code="attachment_not_found")
        return record, path

    async def read_bytes(self, record: AttachmentRecord) -> bytes:
        return await asyncio.to_thread(stored_path(self.folder, record.stored_name).read_bytes)

    # -- retention ----------------------------------------------------------------------------
    async def purge_older(self, cutoff: float) -> int:
        """Delete attachments created before ``cutoff`` (rows, then files); returns how many."""
        removed = 0
        while True:
            names = await self.store.delete_older(cutoff)
            await asyncio.to_thread(self._remove, [self.folder / n for n in names])
            removed += len(names)
            if len(names) < 2000:
                return removed

    async def sweep_orphans(self, *, grace_seconds: float = ORPHAN_GRACE_SECONDS) -> int:
        """Remove files without a row (their session was purged, or a crash came before the commit)."""
        keep = await self.store.stored_names()
        gone = await asyncio.to_thread(remove_orphans, self.folder, keep, grace_seconds)
        if gone:
            log.info("removed %d attachment files without a row", gone)
        return gone
