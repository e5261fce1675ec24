"""The storage seam holds (docs/DEVELOPING.md, "Storage seam"): modules whose SQL moved into store
classes stay free of SQL and of the database drivers, and the number of modules outside
``storage/`` that still import ``apsw`` only goes down."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "nura_appliance"

# Feature modules that talk to store Protocols only (ported in issue 22). Add a module when its SQL
# moves into a store; never take one out.
PORTED = (
    "ai/doctor.py",
    "ai/grounded.py",
    "ai/ledger.py",
    "ai/service.py",
    "analytics/*.py",
    "attachments/*.py",
    "auth/*.py",
    "channels/*.py",
    "cli/migrate_data.py",
    "cli/setup.py",
    "handoff/canned.py",
    "handoff/customer.py",
    "handoff/inbox.py",
    "handoff/lifecycle.py",
    "handoff/service.py",
    "jobs/*.py",
    "health.py",
    "knowledge/chunking.py",
    "knowledge/hybrid.py",
    "knowledge/indexer.py",
    "knowledge/ingest.py",
    "knowledge/pack.py",
    "knowledge/pdf.py",
    "knowledge/retrieval.py",
    "knowledge/routes.py",
    "knowledge/rules.py",
    "knowledge/rules_routes.py",
    "knowledge/service.py",
    "ops/admin_settings.py",
    "ops/doctor.py",
    "ops/export.py",
    "ops/metrics.py",
    "ops/retention.py",
    "ops/scheduled_backups.py",
    "ops/support.py",
    "original/*.py",
)
# Modules outside storage/ that still import apsw (none now; 20 when this test was written, 26 before the
# first stores of issue 22). Lower it as modules are ported; never raise it.
APSW_CEILING = 0

_DRIVERS = ("apsw", "psycopg", "nura_appliance.storage.sqlite", "nura_appliance.storage.postgres")
_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE)\b.*\b(FROM|INTO|SET|VALUES)\b", re.I | re.S)


def _ported() -> list[Path]:
    paths = sorted({p for pattern in PORTED for p in PACKAGE.glob(pattern)})
    assert len(paths) >= len(PORTED)
    return paths


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def _sql_literals(tree: ast.AST) -> list[str]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    found: list[str] = []
    for node in ast.walk(tree):
        if id(node) in docstrings:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        else:
            continue
        if _SQL.match(text):
            found.append(text[:60])
    return found


def test_ported_modules_hold_no_sql_and_no_driver() -> None:
    problems: list[str] = []
    for path in _ported():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(PACKAGE).as_posix()
        problems += [f"{rel} imports {name}" for name in _imports(tree) if name.startswith(_DRIVERS)]
        problems += [f"{rel} holds SQL: {text!r}" for text in _sql_literals(tree)]
    assert not problems, "\n".join(problems)


# Above the features: the composition root and the command line open the configured backend.
_MAY_NAME_A_BACKEND = ("context.py", "cli/")


def test_no_feature_module_imports_a_database_driver_or_backend() -> None:
    """Issue 22's rule for every module, not only the PORTED list: outside ``storage/`` (and the
    composition root and CLI that open it) nothing imports apsw, psycopg or a backend package."""
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("storage/") or rel.startswith(_MAY_NAME_A_BACKEND):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        problems += [f"{rel} imports {name}" for name in _imports(tree) if name.startswith(_DRIVERS)]
    assert not problems, "\n".join(problems)


def test_modules_importing_apsw_outside_storage_only_get_fewer() -> None:
    importing = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if not path.relative_to(PACKAGE).as_posix().startswith("storage/")
        and any(name == "apsw" or name.startswith("apsw.") for name in _imports(ast.parse(path.read_text("utf-8"))))
    )
    assert len(importing) <= APSW_CEILING, f"a module outside storage/ started importing apsw: {importing}"


def test_the_sql_translator_is_gone() -> None:
    """PostgreSQL gets only text a native store wrote (issue 22): the SQLite-to-PostgreSQL
    translator and the connection methods that ran translated text are gone, so SQLite text sent to
    PostgreSQL fails at once (``AttributeError``) rather than being rewritten."""
    from nura_appliance.storage.postgres import db

    for name in ("translate", "_rewrite_params", "_blank_coalesce", "_alias_subqueries", "_closing"):
        assert not hasattr(db, name), name
    for name in ("execute", "executemany", "last_insert_rowid", "_text"):
        assert not hasattr(db.PgConnection, name), f"PgConnection.{name}"
    for name in ("fetchall", "fetchone", "execute", "refresh_schema"):
        assert not hasattr(db.PgDatabase, name), f"PgDatabase.{name}"
    assert {"sql", "sql_many", "sql_pipeline", "sql_deferred"} <= set(dir(db.PgConnection))
    # no PostgreSQL store calls a connection's execute (a psycopg cursor's or raw connection's is fine)
    calls = re.compile(r"\b(?:conn|c|connection)\.execute(?:many)?\(")
    offenders = [
        path.name
        for path in sorted((PACKAGE / "storage" / "postgres").glob("*.py"))
        if calls.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders


def test_a_backend_never_imports_the_other() -> None:
    """What both backends share (the migration record and reader, the Protocols, the row helpers)
    lives in ``storage/`` itself: the PostgreSQL package imports no SQLite module, nor the reverse."""
    problems = []
    for own, other in (("postgres", "sqlite"), ("sqlite", "postgres")):
        for path in sorted((PACKAGE / "storage" / own).glob("*.py")):
            names = _imports(ast.parse(path.read_text(encoding="utf-8")))
            problems += [
                f"storage/{own}/{path.name} imports {name}"
                for name in names
                if name.startswith(f"nura_appliance.storage.{other}")
                or (own == "postgres" and name.startswith("apsw"))
                or (own == "sqlite" and name.startswith("psycopg"))
            ]
    assert not problems, "\n".join(problems)


def test_connections_at_the_seam_are_typed() -> None:
    """A connection crosses the seam as ``storage.base.Transaction``, never ``Any``: every ``conn``
    parameter of the Protocols (``storage/base.py``) and of the modules outside ``storage/`` is
    annotated without ``Any``, and no callback type in ``storage/base.py`` takes an ``Any`` first
    (the connection a ``read``/``write`` callback, a session command or an outcome hook gets), so
    mypy checks what features pass on and features see no driver type."""
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("storage/") and rel != "storage/base.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                if arg.arg != "conn":
                    continue
                annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                if not annotation or "Any" in annotation:
                    problems.append(f"{rel}:{node.lineno} {node.name}(conn: {annotation or '?'})")
    base = (PACKAGE / "storage" / "base.py").read_text(encoding="utf-8")
    problems += [f"storage/base.py: {m.group(0)}" for m in re.finditer(r"Callable\[\[Any\b[^\]]*\]", base)]
    assert not problems, "\n".join(problems)
