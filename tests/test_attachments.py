"""Attachments (issue 20): photos and PDFs from customers and agents, checked by content, cleaned,
stored under random names, served only to the session's token holder and staff, all or nothing."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from auth_helpers import bearer, login, make_user
from conftest import fetch_rows, initialised_copy, make_settings, new_session, write_sql
from PIL import Image

API_KEY = "attachments-test-api-key-0123456789"
STAFF = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def settings(ready_data_dir):
    return make_settings(
        ready_data_dir, API_KEY=API_KEY, ATTACHMENT_MAX_BYTES=200_000, RATE_LIMIT_UPLOADS_PER_MINUTE=1000
    )


def photo(
    width: int = 40, height: int = 20, *, fmt: str = "JPEG", orientation: int | None = None, gps: bool = True
) -> bytes:
    """A real image with EXIF (camera, serial, GPS position) like a phone photo."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    for x in range(width // 2):  # a left half that tells which way up the stored image is
        for y in range(height):
            image.putpixel((x, y), (20, 20, 220))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0xA431] = "SERIAL-12345"  # BodySerialNumber
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (33.0, 18.0, 54.0), 3: "E", 4: (44.0, 21.0, 58.0)}
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif.tobytes())
    return out.getvalue()


CLEAN_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def files(*items: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("file", (name, data, "application/octet-stream")) for name, data in items]


def stored_files(data_dir: Path) -> list[Path]:
    folder = data_dir / "uploads" / "attachments"
    return sorted(p for p in folder.iterdir()) if folder.is_dir() else []


async def rows(app, sql: str, *args: Any) -> list[dict[str, Any]]:
    return await fetch_rows(app.ctx.nura.db, sql, args)


async def test_a_customer_photo_is_cleaned_stored_and_answered_by_the_bot(app, client, data_dir):
    session = await new_session(client, "مرحبا")
    sid, token = session["session_id"], session["session_token"]
    resp = await client.post(
        f"/v1/session/{sid}/attachments",
        files=files(("IMG_0001.HEIC.jpg", photo(40, 20, orientation=6))),
        data={"lang": "ar"},
        headers={"X-Session-Token": token},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    [attachment] = body["attachments"]
    assert attachment["kind"] == "jpeg" and attachment["content_type"] == "image/jpeg"
    assert (attachment["width"], attachment["height"]) == (20, 40)  # turned upright from EXIF orientation 6
    assert body["message"]["role"] == "customer" and body["message"]["text"] == "(photo)"
    assert body["message"]["attachments"][0]["id"] == attachment["id"]
    # No person owns the chat: the bot does not look at the photo and suggests asking for one.
    assert body["reply"]["role"] == "bot" and "موظف" in body["reply"]["text"]
    assert body["reply"]["kind"] == "attachment_reply"

    [path] = stored_files(data_dir)
    assert path.name == f"{attachment['id']}.jpg" and "IMG" not in path.name
    with Image.open(path) as stored:
        assert stored.getexif() == {} and "exif" not in stored.info
    assert b"PhoneMaker" not in path.read_bytes() and b"SERIAL-12345" not in path.read_bytes()

    url = attachment["url"]
    got = await client.get(url, headers={"X-Session-Token": token})
    assert got.status_code == 200 and got.content == path.read_bytes()
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert "no-store" in got.headers["cache-control"]
    assert (
        (await client.get(url + "?download=1", headers={"X-Session-Token": token}))
        .headers["content-disposition"]
        .startswith("attachment;")
    )

    # The transcript shows the photo to the customer (and to agents).
    transcript = (await client.get(f"/v1/session/{sid}/messages", headers={"X-Session-Token": token})).json()
    assert [m["attachments"][0]["id"] for m in transcript["messages"] if m["attachments"]] == [attachment["id"]]


async def test_only_the_session_holder_and_staff_can_read_an_attachment(app, client):
    a = await new_session(client, "hello")
    b = await new_session(client, "hello")
    resp = await client.post(
        f"/v1/session/{a['session_id']}/attachments",
        files=files(("card.png", photo(fmt="PNG"))),
        headers={"X-Session-Token": a["session_token"]},
    )
    url = resp.json()["attachments"][0]["url"]
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers={"X-Session-Token": b["session_token"]})).status_code == 403
    # Session B's token with B's session in the path finds nothing of A's.
    other = url.replace(a["session_id"], b["session_id"])
    assert (await client.get(other, headers={"X-Session-Token": b["session_token"]})).status_code == 404
    assert (await client.get(url, headers=STAFF)).status_code == 200
    viewer = bearer(await login(client, "vic", await make_user(app, "vic", "viewer")))
    assert (await client.get(url, headers=viewer)).status_code == 401
    agent = bearer(await login(client, "sam", await make_user(app, "sam", "agent")))
    assert (await client.get(url, headers=agent)).status_code == 200
    listed = await client.get(f"/v1/sessions/{a['session_id']}/attachments", headers=agent)
    assert listed.status_code == 200 and listed.json()["attachments"][0]["kind"] == "png"


async def test_one_refused_part_refuses_the_request_and_nothing_stays(app, client, data_dir):
    session = await new_session(client, "hello")
    sid, token = session["session_id"], session["session_token"]
    before = await rows(app, "SELECT count(*) AS n FROM chat_turns WHERE session_id = ?", sid)
    cases = [
        (
            files(("ok.jpg", photo()), ("fake.png", b"<html><script>alert(1)</script></html>")),
            415,
            "attachment_type_not_allowed",
        ),
        (
            files(
                ("ok.jpg", photo()), ("bad.pdf", CLEAN_PDF.replace(b"/Count 0", b"/OpenAction<</JS(app.alert(1))>>"))
            ),
            415,
            "attachment_rejected",
        ),
        (files(("ok.jpg", photo()), ("broken.jpg", photo()[:300])), 415, "attachment_damaged"),
        (files(("ok.jpg", photo()), ("big.png", Image_noise_png(400, 400))), 413, "attachment_too_large"),
        (files(*[(f"p{i}.jpg", photo()) for i in range(5)]), 413, "too_many_files"),
        (files(("empty.jpg", b"")), 422, "empty_upload"),
        ([], 422, "missing_file"),
    ]
    for parts, status, code in cases:
        resp = await client.post(
            f"/v1/session/{sid}/attachments",
            files=parts or None,
            data={"caption": "x"},
            headers={"X-Session-Token": token},
        )
        assert resp.status_code == status, (code, resp.text)
        assert resp.json()["error"]["code"] == code
    assert stored_files(data_dir) == []
    assert await rows(app, "SELECT id FROM attachments") == []
    after = await rows(app, "SELECT count(*) AS n FROM chat_turns WHERE session_id = ?", sid)
    assert after == before


def Image_noise_png(width: int, height: int) -> bytes:  # noqa: N802 - reads as a noun in the table above
    """A PNG that does not compress (random pixels): larger than the 200 kB test limit."""
    import os

    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def test_a_failed_commit_removes_the_written_files(app, client, data_dir):
    session = await new_session(client, "hello")
    service = app.ctx.nura.attachments
    original = service.store.insert_in

    def broken(conn, records, turn_id):
        original(conn, records, turn_id)
        raise RuntimeError("disk full while writing the rows")

    service.store.insert_in = broken
    with pytest.raises(RuntimeError):
        prepared = await service.prepare_all([("a.jpg", photo()), ("b.pdf", CLEAN_PDF)])
        record = await app.ctx.nura.sessions.get(session["session_id"])
        await service.from_customer(record, prepared, caption=None, lang="en", channel="web")
    assert stored_files(data_dir) == []
    assert await rows(app, "SELECT id FROM attachments") == []


async def test_a_pdf_and_a_caption_go_to_the_agent_when_a_person_owns_the_chat(app, client):
    session = await new_session(client, "I want to talk to a person")
    sid, token = session["session_id"], session["session_token"]
    assert session["status"] == "pending_handoff"
    resp = await client.post(
        f"/v1/session/{sid}/attachments",
        files=files(("invoice.pdf", CLEAN_PDF), ("screen.webp", photo(fmt="WEBP"))),
        data={"caption": "فاتورة الشهر وصورة الخطأ"},
        headers={"X-Session-Token": token},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["reply"] is None and body["escalated"] is True  # no bot turn: it waits for the agent
    assert body["message"]["text"] == "فاتورة الشهر وصورة الخطأ"
    assert [a["kind"] for a in body["attachments"]] == ["pdf", "webp"]
    queue = (await client.get("/v1/queue", headers=STAFF)).json()
    [item] = [s for s in queue["pending"] if s["session_id"] == sid]
    assert item["last_customer_message"] == "فاتورة الشهر وصورة الخطأ"
    pdf = await client.get(body["attachments"][0]["url"], headers=STAFF)
    assert pdf.content == CLEAN_PDF and pdf.headers["content-type"] == "application/pdf"


async def test_a_photo_without_a_session_starts_one(app, client):
    resp = await client.post("/v1/attachments", files=files(("sim.jpg", photo())), data={"lang": "en"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["new_session"] is True and body["session_token"]
    assert body["message"]["text"] == "(photo)" and "agent" in body["reply"]["text"]
    got = await client.get(body["attachments"][0]["url"], headers={"X-Session-Token": body["session_token"]})
    assert got.status_code == 200
    # The session continues with text as usual.
    more = await client.post(
        "/v1/message",
        json={"session_id": body["session_id"], "session_token": body["session_token"], "message": "balance"},
    )
    assert more.status_code == 200


async def test_agents_attach_files_to_a_chat_they_hold(app, client):
    session = await new_session(client, "I want to talk to a person")
    sid, token = session["session_id"], session["session_token"]
    early = await client.post(
        f"/v1/session/{sid}/agent-attachments", files=files(("a.png", photo(fmt="PNG"))), headers=STAFF
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_accepted"
    assert (await client.post(f"/v1/handoff/{sid}/accept", headers=STAFF)).status_code == 200
    resp = await client.post(
        f"/v1/session/{sid}/agent-attachments",
        files=files(("how-to.png", photo(fmt="PNG"))),
        data={"caption": "هذه خطوات تفعيل الباقة"},
        headers=STAFF,
    )
    assert resp.status_code == 200, resp.text
    message = resp.json()["message"]
    assert message["role"] == "agent" and message["attachments"][0]["uploader_role"] == "agent"
    transcript = (await client.get(f"/v1/session/{sid}/messages", headers={"X-Session-Token": token})).json()
    shown = [m for m in transcript["messages"] if m["role"] == "agent"]
    assert shown[-1]["text"] == "هذه خطوات تفعيل الباقة"
    got = await client.get(message["attachments"][0]["url"], headers={"X-Session-Token": token})
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"


async def test_heic_photos_are_converted_to_jpeg(app, client):
    pillow_heif = pytest.importorskip("pillow_heif", reason="the heic extra (pillow-heif) is a dev dependency")
    image = Image.new("RGB", (64, 48), (10, 120, 60))
    heif = pillow_heif.from_pillow(image)
    out = io.BytesIO()
    heif.save(out, quality=80)
    session = await new_session(client, "hello")
    resp = await client.post(
        f"/v1/session/{session['session_id']}/attachments",
        files=files(("IMG_4031.HEIC", out.getvalue())),
        headers={"X-Session-Token": session["session_token"]},
    )
    assert resp.status_code == 200, resp.text
    attachment = resp.json()["attachments"][0]
    assert attachment["kind"] == "jpeg" and attachment["name"] == "IMG_4031.jpg"
    assert (attachment["width"], attachment["height"]) == (64, 48)


async def test_a_decompression_bomb_is_refused_before_decoding(app, client):
    image = Image.new("1", (12_000, 12_000))  # 144 megapixels, a few kB as PNG
    out = io.BytesIO()
    image.save(out, format="PNG")
    assert len(out.getvalue()) < 200_000
    session = await new_session(client, "hello")
    resp = await client.post(
        f"/v1/session/{session['session_id']}/attachments",
        files=files(("bomb.png", out.getvalue())),
        headers={"X-Session-Token": session["session_token"]},
    )
    assert resp.status_code == 415 and resp.json()["error"]["code"] == "attachment_rejected"


async def test_orphan_files_are_swept_and_purged_sessions_take_their_files(app, client, data_dir):
    import os
    import time

    session = await new_session(client, "hello")
    resp = await client.post(
        f"/v1/session/{session['session_id']}/attachments",
        files=files(("a.jpg", photo())),
        headers={"X-Session-Token": session["session_token"]},
    )
    kept = stored_files(data_dir)[0]
    orphan = kept.parent / ("0" * 32 + ".jpg")
    orphan.write_bytes(b"left by a crash before the commit")
    old = time.time() - 7200
    os.utime(orphan, (old, old))
    service = app.ctx.nura.attachments
    assert await service.sweep_orphans() == 1
    assert stored_files(data_dir) == [kept]
    # Retention: the session goes (its rows cascade), the sweep takes the file.
    await write_sql(app.ctx.nura.db, "DELETE FROM sessions WHERE id = ?", (session["session_id"],))
    assert await rows(app, "SELECT id FROM attachments") == []
    os.utime(kept, (old, old))
    assert await service.sweep_orphans() == 1 and stored_files(data_dir) == []
    assert resp.status_code == 200


async def test_attachments_can_be_turned_off(data_dir):
    from conftest import running_app

    async with running_app(make_settings(initialised_copy(data_dir), ATTACHMENTS_ENABLED=False)) as (app, client):
        session = await new_session(client, "hello")
        resp = await client.post(
            f"/v1/session/{session['session_id']}/attachments",
            files=files(("a.jpg", photo())),
            headers={"X-Session-Token": session["session_token"]},
        )
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "attachments_disabled"
        config = (await client.get("/v1/widget/config")).json()
        assert config["attachments"]["enabled"] is False


@pytest.mark.postgres
async def test_the_stores_work_on_postgresql(tmp_path):
    """The same SQL through PgDatabase: attachment rows with their turn, identities, retention."""
    import time

    from test_store_contract import backend_settings, scale_backends

    with scale_backends() as env:
        settings = backend_settings(tmp_path / "pg", env, ATTACHMENT_MAX_BYTES=200_000)
        from conftest import running_app

        async with running_app(settings) as (app, client):
            session = await new_session(client, "hello", customer={"name": "Layla"})
            sid, token = session["session_id"], session["session_token"]
            resp = await client.post(
                f"/v1/session/{sid}/attachments",
                files=files(("a.jpg", photo()), ("b.pdf", CLEAN_PDF)),
                headers={"X-Session-Token": token},
            )
            assert resp.status_code == 200, resp.text
            ids = [a["id"] for a in resp.json()["attachments"]]
            got = await client.get(resp.json()["attachments"][1]["url"], headers={"X-Session-Token": token})
            assert got.content == CLEAN_PDF
            store = app.ctx.nura.attachments.store
            listed = await store.for_session(sid)
            assert [r.id for r in listed] == ids and listed[0].turn_id == resp.json()["message"]["id"]
            assert await store.totals() == {"count": 2, "bytes": sum(r.size for r in listed)}
            identity = await app.ctx.nura.identities.store.get(sid)
            assert identity is not None and identity.name == "Layla" and identity.verified is False
            assert await app.ctx.nura.attachments.purge_older(time.time() + 1) == 2
            assert await store.for_session(sid) == []


async def test_backup_export_and_purge_include_attachments(app, client, data_dir, tmp_path):
    """Backups carry the files, `nura export files` lists them, `nura purge --attachments`
    removes rows and files (and purged sessions take theirs)."""
    import json
    import tarfile

    from typer.testing import CliRunner

    from nura_appliance.cli.main import app as cli
    from nura_appliance.ops.backup import create_backup

    session = await new_session(client, "hello")
    resp = await client.post(
        f"/v1/session/{session['session_id']}/attachments",
        files=files(("sim.jpg", photo()), ("bill.pdf", CLEAN_PDF)),
        headers={"X-Session-Token": session["session_token"]},
    )
    stored = {p.name for p in stored_files(data_dir)}
    assert len(stored) == 2 and resp.status_code == 200

    result = create_backup(data_dir, tmp_path / "backups")
    with tarfile.open(result.path, "r:gz") as archive:
        names = {Path(n).name for n in archive.getnames() if "/attachments/" in n}
    assert names == stored

    runner = CliRunner()
    # `nura export` runs its own event loop too (asyncio.run): off this test's loop, like `purge` below.
    out = await asyncio.to_thread(
        runner.invoke, cli, ["export", "files", "--format", "json", "--data-dir", str(data_dir)]
    )
    assert out.exit_code == 0, out.output
    exported = json.loads(out.stdout)
    assert sorted(r["kind"] for r in exported) == ["jpeg", "pdf"] and "stored_name" not in exported[0]

    # Not old enough: nothing goes. Then --attachments with a cut-off in the future takes both.
    # `nura purge` runs its own event loop (asyncio.run): invoke it off this test's loop, as a
    # separate command would run.
    out = await asyncio.to_thread(
        runner.invoke, cli, ["purge", "--older-than", "1h", "--attachments", "--yes", "--data-dir", str(data_dir)]
    )
    assert out.exit_code == 0 and len(stored_files(data_dir)) == 2
    import os
    import time

    old = time.time() - 7200
    await write_sql(app.ctx.nura.db, "UPDATE attachments SET created_at = ?", (old,))
    for path in stored_files(data_dir):
        os.utime(path, (old, old))
    out = await asyncio.to_thread(
        runner.invoke,
        cli,
        ["purge", "--older-than", "1h", "--attachments", "--yes", "--json", "--data-dir", str(data_dir)],
    )
    assert out.exit_code == 0, out.output
    counts = json.loads(out.stdout)["rows"]
    assert counts["attachments"] == 2 and counts["attachment files"] == 2
    assert stored_files(data_dir) == []
