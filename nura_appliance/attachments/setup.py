"""Attachments feature wiring: ``ctx.attachments`` (on the configured database's attachment store), the
upload and download routes, and the start-up sweep of orphaned files."""

from __future__ import annotations

import logging
from typing import Protocol

from sanic import Sanic

from nura_appliance.attachments.routes import bp
from nura_appliance.attachments.service import AttachmentService, AttachmentSite
from nura_appliance.http import on_context
from nura_appliance.storage.stores import Stores

log = logging.getLogger(__name__)


class AttachmentsSetupSite(AttachmentSite, Protocol):
    """What this feature's hook uses of the app context: ``attachments`` is set here."""

    @property
    def stores(self) -> Stores: ...

    attachments: AttachmentService | None


async def _attach(app: Sanic, ctx: AttachmentsSetupSite) -> None:
    service = AttachmentService(ctx, ctx.stores.attachments)
    ctx.attachments = service


def setup(app: Sanic) -> None:
    on_context(app, _attach)
    app.blueprint(bp)

    @app.after_server_start
    async def sweep(app: Sanic) -> None:
        ctx = getattr(app.ctx, "nura", None)
        if ctx is not None and ctx.attachments is not None:
            try:
                await ctx.attachments.sweep_orphans()
            except Exception:  # noqa: BLE001 - housekeeping must never stop start-up
                log.warning("attachment sweep failed", exc_info=True)
