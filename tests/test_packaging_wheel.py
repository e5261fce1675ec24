"""The built wheel is a whole appliance: it carries both migration sets (SQLite, and PostgreSQL for
scale-out mode), the widget, the admin and the default knowledge. The test builds the wheel from a
copy of the source tree, installs it into a fresh venv (no download: the wheel without its
dependencies, which come from the dev venv's site-packages), and runs scale-out mode from it
against a new PostgreSQL database and Redis prefix: ``nura init`` migrates PostgreSQL and prints
the admin's password, ``nura serve --workers 2`` answers health, a customer message and a sign-in
with that password, and serves the widget and the admin from the installed package."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import free_port
from test_scale_workers import wait_healthy
from test_store_contract import scale_backends

REPO = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.postgres]
# What a source checkout holds besides what a wheel is built from.
_NOT_SOURCE = {".git", ".venv", "build", "dist", "data", "tests", "node_modules", "test-artifacts", "bench-results"}


def _copy_source(target: Path) -> Path:
    """The checkout without its venv, data and tests (top level), and without any caches."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".egg-info")) or n.endswith("_cache")}
        if Path(folder) == REPO:
            skipped |= {n for n in names if n in _NOT_SOURCE}
        return skipped

    shutil.copytree(REPO, target, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = _copy_source(work / "source")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"]
        + ["-w", str(work / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (found,) = (work / "dist").glob("nura_appliance-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its ``bin`` folder."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
        # Not the caller's PYTHONPATH: a checkout on it (its nura_appliance.egg-info) made pip find the
        # package "already installed" and install nothing into the new venv.
        env=_clean_env(),
    )
    # The dependencies come from the dev venv, added as a plain path: its .pth files are not run,
    # so its editable install of this checkout stays out of the new venv.
    purelib = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    dev = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "dev-venv-dependencies.pth").write_text("\n".join(sorted(dev)) + "\n", encoding="utf-8")
    return venv / "bin"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NURA_", "ADMIN_", "APP_ENV", "API_KEY", "PYTHON"))}
    env.update(extra)
    return env


def test_the_wheel_carries_both_migration_sets_and_the_bundled_folders(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for backend in ("sqlite", "postgres"):
        folder = REPO / "nura_appliance" / "storage" / backend / "migrations"
        expected = {f"nura_appliance/storage/{backend}/migrations/{p.name}" for p in folder.glob("*.sql")}
        assert expected and expected <= names, sorted(expected - names)
    assert "nura_appliance/knowledge/oos_bank.json" in names  # the article tier's background class
    # Every file of the three folders, sub-folders included (setuptools warns that it may one day
    # leave out sub-folders whose names look like packages, such as admin_static/js/pages).
    for folder in ("widget", "admin_static", "knowledge"):
        on_disk = {
            f"nura_appliance/_bundled/{p.relative_to(REPO).as_posix()}"
            for p in (REPO / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert on_disk and on_disk <= names, sorted(on_disk - names)[:10]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    # Every code folder of the checkout is a package of the wheel (pyproject lists them by hand).
    folders = {p.parent.relative_to(REPO).as_posix() for p in (REPO / "nura_appliance").rglob("*.py")}
    missing = {f for f in folders if not any(n.startswith(f + "/") and n.endswith(".py") for n in names)}
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


@contextlib.contextmanager
def _serving(nura: Path, env: dict[str, str], log: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(nura), "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)


def test_scale_out_mode_migrates_and_serves_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    python, nura = installed / "python", installed / "nura"
    where = subprocess.run(
        [str(python), "-c", "import nura_appliance.paths as p; print(p.__file__); print(p.resource_root())"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(),
        timeout=60,
    )
    module, resources = where.stdout.split()
    assert module.startswith(str(installed.parent)) and resources.startswith(str(installed.parent)), where.stdout

    with scale_backends() as backend:
        env = _clean_env(
            NURA_DATA_DIR=str(tmp_path / "data"),
            NURA_DATABASE_URL=backend["NURA_DATABASE_URL"],
            NURA_REDIS_URL=backend["NURA_REDIS_URL"],
            NURA_REDIS_PREFIX=backend["NURA_REDIS_PREFIX"],
            APP_ENV="test",
            BUSINESS_HOURS="",
        )
        init = subprocess.run([str(nura), "init"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=180)
        assert init.returncode == 0, init.stdout + init.stderr
        assert "knowledge: default pack loaded" in init.stdout
        password = re.search(r"one-time admin password: (\S+)", init.stdout)
        assert password, init.stdout
        with psycopg.connect(backend["NURA_DATABASE_URL"]) as conn:
            applied = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
            users = [r[0] for r in conn.execute("SELECT username FROM users")]
        shipped = sorted(p.stem for p in (REPO / "nura_appliance/storage/postgres/migrations").glob("*.sql"))
        assert applied == shipped and users == ["admin"]

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = tmp_path / "serve.log"
        with _serving(nura, env, log, port) as proc:
            wait_healthy(base, proc, log, timeout=120)
            answer = httpx.post(
                f"{base}/v1/message",
                json={"session_id": None, "customer_id": "wheel-1", "channel": "web", "message": "الإنترنت بطيء جداً"},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["lang"] == "ar" and answer.json()["response"]
            login = httpx.post(
                f"{base}/v1/auth/login", json={"username": "admin", "password": password.group(1)}, timeout=30
            )
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            health = httpx.get(f"{base}/v1/health", headers=headers, timeout=30).json()
            assert health["status"] == "ok" and health["components"]["database"]["kind"] == "postgresql", health
            for path in ("/widget.js", "/admin/"):
                assert httpx.get(f"{base}{path}", timeout=30).status_code == 200, path
