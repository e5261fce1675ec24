"""Packaging: the bundle's data lists, and the Linux installer/uninstaller run against a temp ROOT
(no root, no systemd) with a fake bundle; the Windows and macOS scripts are checked for shape."""

from __future__ import annotations

import os
import plistlib
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nura_appliance import __version__
from nura_appliance.auth.production import production_problems
from nura_appliance.settings import load_settings

REPO = Path(__file__).resolve().parent.parent
LINUX = REPO / "packaging" / "linux"
sys.path.insert(0, str(REPO / "packaging"))
import build_info  # noqa: E402

FAKE_NURA = """#!/bin/sh
# A stand-in for the bundled `nura` executable: enough of `version` and `init` for the installer.
cmd="$1"; shift
data=""
while [ $# -gt 0 ]; do [ "$1" = "--data-dir" ] && data="$2"; shift; done
case "$cmd" in
  version) echo "nura-appliance 9.9.9" ;;
  init)
    echo "data directory: $data"
    echo "database: $data/nura.db (migrations applied: 7)"
    if [ -f "$data/nura.db" ]; then echo "knowledge: kept as it was"; exit 0; fi
    : > "$data/nura.db"
    echo "knowledge: default pack loaded"
    echo "admin user: admin"
    echo "one-time admin password: Fake-Once-Pass-8271"
    ;;
  *) echo "unexpected command $cmd" >&2; exit 3 ;;
esac
"""


@pytest.fixture
def fake_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "bundle" / "nura"
    (bundle / "_internal" / "widget").mkdir(parents=True)
    (bundle / "_internal" / "widget" / "widget.js").write_text("// widget", encoding="utf-8")
    exe = bundle / "nura"
    exe.write_text(FAKE_NURA, encoding="utf-8")
    exe.chmod(0o755)
    return bundle


def run_script(script: str, root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROOT": str(root)}
    return subprocess.run(
        ["bash", str(LINUX / script), *args], env=env, capture_output=True, text=True, input=stdin, timeout=60
    )


def test_build_info_lists_everything_the_bundle_needs() -> None:
    assert build_info.version() == __version__
    datas = build_info.data_files()
    destinations = {dest for _, dest in datas}
    assert {"widget", "admin_static", "knowledge"} <= destinations
    for backend in ("sqlite", "postgres"):
        shipped = sorted(
            Path(src).name for src, dest in datas if dest == f"nura_appliance/storage/{backend}/migrations"
        )
        on_disk = sorted(p.name for p in (REPO / "nura_appliance" / "storage" / backend / "migrations").glob("*.sql"))
        assert shipped == on_disk and shipped[0] == "0001_core.sql", backend
    # Data files read beside the code (missing from the bundle, the first message answered 500).
    shipped_data = {(Path(src).name, dest) for src, dest in datas}
    assert ("oos_bank.json", "nura_appliance/knowledge") in shipped_data
    assert ("exemplars.json", "nura_appliance/conversation") in shipped_data
    modules = build_info.own_modules()
    assert "nura_appliance.channels.telegram_routes" in modules and "nura_appliance.ops.metrics" in modules
    binaries = build_info.native_libraries()
    assert any(Path(src).name.startswith("vec0.") and dest == "sqlite_vec" for src, dest in binaries)
    if build_info.has_llama():
        assert any("libllama" in Path(src).name and dest == "llama_cpp/lib" for src, dest in binaries)
    spec = (REPO / "nura.spec").read_text(encoding="utf-8")
    assert "build_info.data_files()" in spec and "build_info.native_libraries()" in spec


def test_install_into_a_temp_root_then_upgrade_then_uninstall(tmp_path: Path, fake_bundle: Path) -> None:
    root = tmp_path / "root"
    first = run_script("install.sh", root, "--bundle", str(fake_bundle), "--port", "8099")
    assert first.returncode == 0, first.stderr + first.stdout
    out = first.stdout
    assert "installing nura-appliance 9.9.9" in out
    assert re.search(r"admin: +http://[^ ]+:8099/admin/", out)
    assert "one-time password: Fake-Once-Pass-8271" in out
    assert "systemd is not running here" in out

    prefix, data = root / "opt" / "nura", root / "var" / "lib" / "nura"
    assert os.access(prefix / "nura", os.X_OK)
    assert (prefix / "_internal" / "widget" / "widget.js").is_file()
    assert (prefix / "uninstall.sh").is_file()
    link = root / "usr" / "local" / "bin" / "nura"
    assert link.is_symlink() and Path(os.readlink(link)) == prefix / "nura"
    assert stat.S_IMODE(data.stat().st_mode) == 0o750

    unit = (root / "etc" / "systemd" / "system" / "nura.service").read_text(encoding="utf-8")
    assert "@" not in unit.replace("@system-service", "")
    assert f"ExecStart={prefix}/nura serve --data-dir {data}" in unit
    for line in (
        "Restart=on-failure",
        "User=nura",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        f"ReadWritePaths={data}",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
        "WantedBy=multi-user.target",
    ):
        assert line in unit.splitlines(), line

    toml = data / "nura.toml"
    assert stat.S_IMODE(toml.stat().st_mode) == 0o600
    settings = load_settings(data_dir=data, environ={})
    assert settings.is_production and settings.nura_port == 8099 and settings.nura_host == "0.0.0.0"
    assert production_problems(settings) == []  # the generated settings start in production as they are
    secret = settings.admin_secret_key

    second = run_script("install.sh", root, "--bundle", str(fake_bundle), "--port", "8099")
    assert second.returncode == 0, second.stderr
    assert "existing data kept" in second.stdout and "one-time password" not in second.stdout
    assert load_settings(data_dir=data, environ={}).admin_secret_key == secret  # settings survive upgrades
    assert (root / "opt" / "nura.previous" / "nura").is_file()

    removed = run_script("uninstall.sh", root)
    assert removed.returncode == 0, removed.stderr
    assert not prefix.exists() and not link.exists()
    assert not (root / "etc" / "systemd" / "system" / "nura.service").exists()
    assert (data / "nura.db").exists() and toml.exists()  # data is kept by default

    refused = run_script("uninstall.sh", root, "--purge", stdin="no\n")
    assert refused.returncode == 1 and (data / "nura.db").exists()
    purged = run_script("uninstall.sh", root, "--purge", "--yes")
    assert purged.returncode == 0, purged.stderr
    assert not data.exists() and not (root / "etc" / "nura").exists()


def test_installer_refuses_bad_input_clearly(tmp_path: Path, fake_bundle: Path) -> None:
    root = tmp_path / "root"
    missing = run_script("install.sh", root, "--bundle", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no bundle found" in missing.stderr
    bad_port = run_script("install.sh", root, "--bundle", str(fake_bundle), "--port", "http")
    assert bad_port.returncode == 1 and "--port must be a number" in bad_port.stderr
    unknown = run_script("install.sh", root, "--colour")
    assert unknown.returncode == 2 and "unknown option" in unknown.stderr
    assert not (root / "opt" / "nura").exists()
    helped = run_script("install.sh", root, "--help")
    assert helped.returncode == 0 and "/opt/nura" in helped.stdout


def test_windows_and_macos_packaging_scripts_are_complete() -> None:
    iss = (REPO / "packaging" / "windows" / "nura.iss").read_text(encoding="utf-8")
    for needle in (
        "#define AppVersion",
        "[Files]",
        "dist\\nura\\*",
        "[Icons]",
        "/admin/",
        "[Run]",
        "service.ps1",
        "[UninstallRun]",
    ):
        assert needle in iss, needle
    ps = (REPO / "packaging" / "windows" / "service.ps1").read_text(encoding="utf-8")
    assert "nura-service.exe" in ps and "nura.exe" in ps and "init --data-dir" in ps and "onfailure" in ps
    plist = plistlib.loads((REPO / "packaging" / "macos" / "com.nura.appliance.plist").read_bytes())
    assert plist["Label"] == "com.nura.appliance"
    assert plist["ProgramArguments"][1:3] == ["serve", "--data-dir"]
    assert plist["KeepAlive"] and plist["UserName"] == "_nura"
    for script in (
        REPO / "packaging" / "macos" / "install.sh",
        LINUX / "install.sh",
        LINUX / "uninstall.sh",
        LINUX / "make-tarball.sh",
    ):
        check = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert check.returncode == 0, (script, check.stderr)
