"""``nura user add|list|set-role|disable|enable|passwd``: staff accounts from the command line.

The commands use the same :class:`~nura_appliance.auth.service.UserService` as the API, so the
same rules apply (password rules in production, never leaving no active admin) and every change
lands in the audit log with the actor ``cli:<os user>``. They work while the server runs.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from nura_appliance.auth.audit import AuditService
from nura_appliance.auth.service import UserService
from nura_appliance.errors import NuraError
from nura_appliance.settings import load_settings
from nura_appliance.storage.stores import open_main_database, stores_for

users_app = typer.Typer(help="Staff accounts: admins, agents and viewers.", no_args_is_help=True)
T = TypeVar("T")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $NURA_DATA_DIR, else ./data).", show_default=False),
]
PasswordOpt = Annotated[
    str | None,
    typer.Option("--password", help="The password (prompted for, hidden, when omitted).", show_default=False),
]
GenerateOpt = Annotated[bool, typer.Option("--generate", help="Generate a password and print it once.")]


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _with_users(data_dir: Path | None, work: Callable[[UserService], Coroutine[Any, Any, T]]) -> T:
    """Open the configured database (SQLite, or PostgreSQL with ``NURA_DATABASE_URL``), run ``work``
    with a UserService, close; domain errors become one line."""
    try:
        settings = load_settings(data_dir=data_dir)
        _, db = open_main_database(settings)
    except NuraError as exc:
        _fail(exc.message)
    try:
        store = stores_for(db).auth
        service = UserService(settings, store, AuditService(store))
        return asyncio.run(work(service))
    except NuraError as exc:
        _fail(exc.message)
    finally:
        db.close()


def _ask_password(password: str | None, generate: bool) -> str | None:
    if generate:
        return None
    if password is not None:
        return password
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin, agent or viewer.")] = "agent",
    display_name: Annotated[
        str | None,
        typer.Option("--name", "--display-name", help='Name shown to customers and colleagues (e.g. "Layla").'),
    ] = None,
    password: PasswordOpt = None,
    generate: GenerateOpt = False,
    data_dir: DataDir = None,
) -> None:
    """Create a staff account.

    Example: nura user add omar --role agent --name "Omar"
    """
    secret = _ask_password(password, generate)
    user, generated = _with_users(data_dir, lambda s: s.create(username, secret, role, display_name, actor=_actor()))
    typer.echo(f"created {user.role} {user.username}")
    if user.role != "viewer" and not user.display_name:
        typer.echo('no display name: customers see "customer service"; add one with --name (or on the Users page)')
    if generated:
        typer.secho(f"one-time password: {generated}", fg=typer.colors.YELLOW)


@users_app.command("list")
def list_users(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List staff accounts.

    Example: nura user list --json
    """
    users = _with_users(data_dir, lambda s: s.list())
    rows: list[dict[str, Any]] = [u.public() for u in users]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        state = "active" if row["active"] else "disabled"
        typer.echo(f"{row['username']:24} {row['role']:7} {state:9} {row['display_name']}")
    if not rows:
        typer.echo("no users yet: nura user add NAME --role admin")


@users_app.command("set-role")
def set_role(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Argument(help="admin, agent or viewer.")],
    data_dir: DataDir = None,
) -> None:
    """Change a user's role (takes effect on the user's next request).

    Example: nura user set-role omar viewer
    """
    user = _with_users(data_dir, lambda s: s.update(username, role=role, actor=_actor()))
    typer.echo(f"{user.username} is now {user.role}")


@users_app.command("disable")
def disable(
    username: Annotated[str, typer.Argument(help="Login name.")],
    data_dir: DataDir = None,
) -> None:
    """Disable an account and revoke its tokens at once.

    Example: nura user disable omar
    """
    user = _with_users(data_dir, lambda s: s.update(username, active=False, actor=_actor()))
    typer.echo(f"{user.username} is disabled; its tokens no longer work")


@users_app.command("enable")
def enable(
    username: Annotated[str, typer.Argument(help="Login name.")],
    data_dir: DataDir = None,
) -> None:
    """Enable a disabled account (it signs in again with its password).

    Example: nura user enable omar
    """
    user = _with_users(data_dir, lambda s: s.update(username, active=True, actor=_actor()))
    typer.echo(f"{user.username} is enabled")


@users_app.command("passwd")
def passwd(
    username: Annotated[str, typer.Argument(help="Login name.")],
    password: PasswordOpt = None,
    generate: GenerateOpt = False,
    data_dir: DataDir = None,
) -> None:
    """Set a user's password; the user's existing tokens stop working at once.

    Example: nura user passwd omar --generate
    """
    from nura_appliance.auth.passwords import generate_password

    secret = _ask_password(password, generate)
    new = secret if secret is not None else generate_password()
    user = _with_users(data_dir, lambda s: s.set_password(username, new, actor=_actor()))
    typer.echo(f"password of {user.username} changed; existing tokens are revoked")
    if secret is None:
        typer.secho(f"one-time password: {new}", fg=typer.colors.YELLOW)
