"""PostgreSQL mode's database copy for backups: ``pg_dump`` (custom format) and its restore.

The client programs must be at least the server's major version (``pg_dump`` refuses to dump a
newer server); :func:`client_version` and the error text say which one is installed. The password
never appears on a command line (other users of the machine can read those in ``ps``): it goes to
the programs in ``PGPASSWORD``, the rest of the URL as a libpq connection string.

A restore replaces the whole ``public`` schema in **one transaction**: ``pg_restore`` turns the
dump into SQL, ``psql --single-transaction`` runs ``DROP SCHEMA public CASCADE; CREATE SCHEMA
public;`` and then that SQL, stopping at the first error. Either the database is exactly what the
archive held, or nothing changed (a table a newer version added is not left behind either).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from nura_appliance.errors import NuraError

DUMP_NAME = "postgres.dump"
# A dump of a big database can take long; the backup job's lease is renewed meanwhile.
TIMEOUT_SECONDS = 6 * 3600
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?")


class PgToolError(NuraError):
    """pg_dump / pg_restore / psql missing or failing."""

    status = 500
    code = "pg_tool_failed"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise PgToolError(
            f"{name} is not installed: PostgreSQL mode needs the PostgreSQL client programs (Debian/Ubuntu:"
            " apt install postgresql-client, the same major version as the server)",
            code="pg_tool_missing",
        )
    return found


def connection(url: str) -> tuple[str, dict[str, str]]:
    """``(conninfo without the password, environment with PGPASSWORD)`` for a postgresql:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise PgToolError("NURA_DATABASE_URL must be a postgresql:// URL", code="pg_url_invalid", status=400)
    values: dict[str, str] = {}
    if parts.hostname:
        values["host"] = parts.hostname
    if parts.port:
        values["port"] = str(parts.port)
    if parts.username:
        values["user"] = unquote(parts.username)
    database = unquote(parts.path.lstrip("/"))
    if database:
        values["dbname"] = database
    for key, value in parse_qsl(parts.query):
        if key != "password":
            values[key] = value
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    password = unquote(parts.password) if parts.password else dict(parse_qsl(parts.query)).get("password")
    if password:
        env["PGPASSWORD"] = password
    conninfo = " ".join(f"{k}='{_quote(v)}'" for k, v in values.items())
    return conninfo, env


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise PgToolError(f"{what} took longer than {TIMEOUT_SECONDS} s and was stopped") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout or "").strip().splitlines()
        raise PgToolError(f"{what} failed: {' / '.join(detail[-3:]) or f'exit status {done.returncode}'}")
    return done.stdout


def client_version(program: str = "pg_dump") -> str:
    """``pg_dump --version``'s number, e.g. ``15.20``."""
    out = _run([_tool(program), "--version"], dict(os.environ), f"{program} --version")
    match = _VERSION.search(out)
    return match.group(0) if match else out.strip()


def dump(url: str, target: Path) -> None:
    """``pg_dump --format=custom`` of the database into ``target`` (a consistent snapshot: pg_dump
    reads in one repeatable-read transaction while the server keeps writing)."""
    conninfo, env = connection(url)
    _run(
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target}",
            f"--dbname={conninfo}",
        ],
        env,
        "pg_dump",
    )


def check_dump(path: Path) -> int:
    """Read the dump's table of contents (``pg_restore --list``); returns how many entries it has.

    Raises:
        PgToolError: the file is not a readable custom-format dump.
    """
    out = _run([_tool("pg_restore"), "--list", str(path)], dict(os.environ), "pg_restore --list")
    return sum(1 for line in out.splitlines() if line and not line.startswith(";"))


def has_data(url: str) -> bool:
    """Whether the database already holds NURA tables (what a restore would replace)."""
    conninfo, env = connection(url)
    out = _run(
        [
            _tool("psql"),
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            conninfo,
        ],
        env,
        "psql",
    )
    return int(out.strip() or 0) > 0


def restore(url: str, path: Path) -> None:
    """Replace the database's ``public`` schema with the dump's, in one transaction.

    The dump is turned into a complete SQL file first: psql reading a pipe that ``pg_restore``
    stopped writing half-way would commit the half it got."""
    conninfo, env = connection(url)
    with tempfile.TemporaryDirectory(prefix="nura-pgrestore-", dir=path.parent) as work:
        script = Path(work) / "restore.sql"
        _run(
            [_tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(path)],
            env,
            "pg_restore",
        )
        _run(
            [
                _tool("psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-c",
                "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;",
                "-f",
                str(script),
                conninfo,
            ],
            env,
            "restoring the database (psql)",
        )
