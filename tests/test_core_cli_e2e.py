"""The `nura` CLI and one end-to-end run of `nura serve` as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import httpx
import pytest
from conftest import free_port, health_answers

# `system` (docs/DEVELOPING.md, "Test lanes"): in `make test`, not in `make test-fast`.
pytestmark = pytest.mark.system

NURA = [sys.executable, "-m", "nura_appliance"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NURA, *args], capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )


def test_version():
    out = run_cli("version")
    assert out.returncode == 0 and out.stdout.startswith("nura-appliance ")


def test_init_creates_everything_and_prints_a_one_time_password(tmp_path):
    data = tmp_path / "d"
    out = run_cli("init", "--data-dir", str(data))
    assert out.returncode == 0, out.stderr
    assert "one-time admin password:" in out.stdout
    assert (data / "nura.db").is_file() and (data / "cache").is_dir()
    again = run_cli("init", "--data-dir", str(data))
    assert again.returncode == 0 and "one-time admin password" not in again.stdout
    assert "kept as it was" in again.stdout


def test_init_uses_admin_password_from_env(tmp_path):
    out = run_cli("init", "--data-dir", str(tmp_path / "d"), env={"ADMIN_PASSWORD": "a-strong-pass-4567"})
    assert out.returncode == 0 and "one-time admin password" not in out.stdout


def test_doctor_masks_secrets_and_checks(tmp_path):
    out = run_cli(
        "doctor", "--json", "--data-dir", str(tmp_path / "d"), env={"OPENAI_API_KEY": "sk-topsecret-value-123"}
    )
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert all(check["ok"] for check in report["checks"].values()), report["checks"]
    assert "topsecret" not in out.stdout
    assert report["origins"]["OPENAI_API_KEY"] == "environment"


def test_db_migrate_and_stats(tmp_path):
    data = str(tmp_path / "d")
    out = run_cli("db", "migrate", "--data-dir", data)
    assert out.returncode == 0 and "schema up to date" in out.stdout
    stats = run_cli("db", "stats", "--json", "--data-dir", data)
    assert stats.returncode == 0
    assert "sessions" in json.loads(stats.stdout)["tables"]


def test_bad_setting_is_a_clean_cli_error(tmp_path):
    out = run_cli("doctor", "--data-dir", str(tmp_path / "d"), env={"NURA_PORT": "not-a-port"})
    assert out.returncode == 1
    assert "NURA_PORT" in out.stderr and "Traceback" not in out.stderr


class Served:
    """``nura serve`` as a subprocess whose output a thread keeps reading: an undrained pipe fills
    (64 KB) and blocks the server's next log line, which looks exactly like a server that ignores
    its SIGTERM or never starts."""

    def __init__(self, data, port):
        env = {**os.environ, "NURA_DATA_DIR": str(data), "APP_ENV": "test"}
        self.proc = subprocess.Popen(
            [*NURA, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace"))

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.proc.poll() is None, f"nura serve exited ({self.proc.returncode}):\n{self.output[-3000:]}"
            assert time.monotonic() < deadline, f"no {text!r} from nura serve in {timeout} s:\n{self.output[-3000:]}"
            time.sleep(0.02)

    def terminate(self) -> None:
        self.proc.terminate()

    def wait(self, timeout: float) -> int:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(10)  # the rest of the output
        return code


def _start(data, port, timeout: float = 120) -> Served:
    """Start and wait until the health check answers (a first start indexes the default knowledge:
    seconds on a quiet machine, more beside the rest of the suite)."""
    served = Served(data, port)
    deadline = time.monotonic() + timeout
    while True:
        if health_answers(f"http://127.0.0.1:{port}"):
            return served
        if served.proc.poll() is not None or time.monotonic() > deadline:
            served.proc.kill()
            served.wait(10)
            raise AssertionError(f"nura serve did not start in {timeout} s:\n{served.output[-3000:]}")
        time.sleep(0.05)


def test_serve_end_to_end_and_restart(tmp_path):
    data = tmp_path / "e2e"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The first answer of a fresh server warms the article tier; beside the rest of the suite on
    # two cores that has taken longer than httpx's default 5 s (a budget, not a speed check).
    client = httpx.Client(timeout=60, limits=httpx.Limits(max_keepalive_connections=0))  # no reuse across a restart
    proc = _start(data, port)
    try:
        assert client.get(f"{base}/v1/health").json()["status"] == "ok"
        answer = client.post(
            f"{base}/v1/message",
            json={"session_id": None, "customer_id": "cust-001", "channel": "web", "message": "ما هي الباقات المتاحة؟"},
        ).json()
        assert answer["lang"] == "ar" and answer["source"] and answer["response"]
        assert client.get(f"{base}/widget.js").status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 0
    proc = _start(data, port)
    try:
        resp = client.get(
            f"{base}/v1/session/{answer['session_id']}/messages", headers={"X-Session-Token": answer["session_token"]}
        )
        assert resp.status_code == 200
        assert resp.json()["messages"][0]["text"] == "ما هي الباقات المتاحة؟"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        client.close()


def test_a_stop_during_start_up_is_carried_out_once_started(tmp_path):
    """Sanic answers requests before its start-up is over. A SIGTERM sent as soon as the health
    check answered used to be lost (the server ran on until SIGKILL) or, a moment earlier, killed
    it without its shut-down. Now each ends in an orderly stop (exit status 0): sent right after
    the first answer (first start and restart), and sent while the server is still starting."""
    data = tmp_path / "stop"
    for _ in range(2):
        proc = _start(data, free_port())
        proc.terminate()
        _assert_orderly_stop(proc)
    proc = Served(data, free_port())
    proc.wait_for_line("Starting worker")  # Sanic is starting: the context and knowledge come next
    proc.terminate()
    output = _assert_orderly_stop(proc)
    assert "a stop signal came during start-up" in output, output


def _assert_orderly_stop(proc: Served) -> str:
    # An ignored SIGTERM leaves the server running for good; an orderly stop on a busy machine
    # (the whole suite in one process) can take longer than a quiet one, so the limit is generous
    # and a failure shows the server's own output.
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.proc.kill()
        proc.wait(10)
        raise AssertionError(f"nura serve ignored a SIGTERM sent during its start-up:\n{proc.output[-3000:]}") from None
    output = proc.output
    assert code == 0, f"exit status {code} (a negative one is the signal's default action):\n{output}"
    assert "Server Stopped" in output  # Sanic's shut-down ran
    return output


def test_start_up_log_names_the_widget_admin_and_docs_addresses(live_server):
    """The server's start-up log says where the widget demo, the admin and the API docs are (it
    used to print only sanic-ext's /docs line)."""
    base = live_server["url"]
    wanted = [f"{base}/widget.html", f"{base}/admin/", f"{base}/docs"]
    deadline = time.monotonic() + 20
    while True:
        log = live_server["log"].read_text(errors="replace")
        lines = [line for line in log.splitlines() if "NURA is serving" in line or "  - " in line]
        if all(any(url in line for line in lines) for url in wanted):
            break
        assert time.monotonic() < deadline, log[-3000:]
        time.sleep(0.1)
    for url in wanted:
        assert httpx.get(url, timeout=10).status_code == 200, url
