"""Support for the original-NURA tests: the app served on a real socket, a reader for the original
stream's unnamed SSE frames, and knowledge files in the original's formats.

The files below are written for these tests in the original's shapes (``articals.json``: a list of
``{title, content_ar, ...}`` where the position is the article's number; ``topic_tree.json``: a root
``{id, label, children}`` whose leaves name an article position and whose action nodes say
``agent`` or ``complaint``). Their content is ours, not the original's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from conftest import free_port, make_settings

from nura_appliance.app import create_app

API_KEY = "original-compat-api-key-0123456789"
STAFF = {"Authorization": f"Bearer {API_KEY}"}

ORIGINAL_ARTICLES: list[dict[str, Any]] = [
    {
        "title": "تفعيل باقة الإنترنت",
        "content_ar": "لتفعيل باقة الإنترنت افتح تطبيق الخدمة الذاتية، اختر الباقات، ثم اضغط تفعيل.",
        "content_ku": "Ji bo çalakirina pakêta înternetê sepanê veke, pakêtan hilbijêre û çalak bike.",
    },
    {
        "title": "بطء الإنترنت",
        "content_ar": "إذا كان الإنترنت بطيئاً: أعد تشغيل الجهاز، أوقف الـ VPN، وتحقق من رصيد الباقة.",
    },
    {
        "title": "إعدادات APN",
        "content_ar": "اسم نقطة الوصول الصحيح هو internet. احذف الإعدادات القديمة وأضف واحداً جديداً.",
    },
    {
        "title": "ساعات عمل المراكز",
        "content_ar": "مراكز الخدمة تعمل من الثامنة صباحاً حتى العاشرة مساءً، والجمعة عطلة.",
    },
    {
        "title": "استبدال الشريحة",
        "content_ar": "لاستبدال الشريحة زر أقرب مركز خدمة مع هويتك الشخصية.",
    },
]

ORIGINAL_TREE: dict[str, Any] = {
    "id": "root",
    "label": "بماذا نساعدك اليوم؟",
    "children": [
        {
            "id": "net",
            "label": "الإنترنت",
            "children": [
                {"id": "net_activate", "label": "تفعيل الباقة", "article": 0},
                {"id": "net_slow", "label": "الإنترنت بطيء", "article": 1},
                {"id": "net_apn", "label": "إعدادات APN", "article": 2},
            ],
        },
        {"id": "hours", "label": "ساعات العمل", "article": 3},
        {"id": "sim_swap", "label": "استبدال الشريحة", "article": 4},
        {
            "id": "more",
            "label": "أخرى",
            "children": [
                {"id": "more_complaint", "label": "شكوى أو اقتراح", "action": "complaint"},
                {"id": "more_agent", "label": "التحدث مع موظف", "action": "agent"},
            ],
        },
    ],
}


@contextlib.asynccontextmanager
async def served(data_dir: Any, **overrides: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The whole app on 127.0.0.1:<free port> in this event loop, and an HTTP client on it
    (streams need a real socket: the ASGI test transport buffers whole responses)."""
    settings = make_settings(data_dir, API_KEY=API_KEY, SSE_PING_SECONDS=0.25, **overrides)
    app = create_app(settings)
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield app, client
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


@dataclass
class OriginalStream:
    """Reads the original-shaped stream: unnamed ``data:`` frames, as ``EventSource.onmessage``
    receives them (a frame with an ``event:`` name would never reach that handler)."""

    response: httpx.Response
    frames: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    named: list[str] = field(default_factory=list)
    pings: int = 0
    task: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        data: list[str] = []
        async for line in self.response.aiter_lines():
            if line == "":
                if data:
                    await self.frames.put(json.loads("\n".join(data)))
                data = []
            elif line.startswith(": ping"):
                self.pings += 1
            elif line.startswith(":"):
                continue
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            else:
                self.named.append(line)  # event:/id:/retry: lines: the original never sent them

    async def next(self, frame_type: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """The next frame of ``frame_type`` whose fields (or whose ``turn``'s) equal ``match``."""
        while True:
            frame = await asyncio.wait_for(self.frames.get(), timeout)
            if frame.get("type") != frame_type:
                continue
            fields = frame.get("turn", frame)
            if all(fields.get(k) == v for k, v in match.items()):
                return frame


@contextlib.asynccontextmanager
async def original_stream(client: httpx.AsyncClient, url: str) -> AsyncIterator[OriginalStream]:
    async with client.stream("GET", url) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = OriginalStream(response)
        stream.task = asyncio.create_task(stream._read())
        try:
            yield stream
        finally:
            stream.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await stream.task


def tree_label(node: dict[str, Any], lang: str) -> str:
    """What the original widget shows as a node's label (``label[lang] || label.ar``)."""
    label = node["label"]
    if isinstance(label, str):
        return label
    return label.get(lang) or label["ar"]


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node.get("children", []):
        out.extend(walk(child))
    return out
