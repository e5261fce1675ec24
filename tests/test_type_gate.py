"""The type gate: mypy passes on the package (config in pyproject.toml), its debt list only shrinks,
and the strict scope (packages checked with everything ``mypy --strict`` turns on) only grows."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Modules exempt from the gate (``ignore_errors`` overrides): 56 when it was introduced (issue 22),
# none since h22types. Never raise it — new code is type-checked from its first line.
EXEMPT_CEILING = 0

# Packages held to strict typing (issue 22: storage, conversation, handoff, knowledge). Add a
# package when its modules pass; never remove one.
STRICT_SCOPE = (
    "nura_appliance.storage",
    "nura_appliance.handoff",
    "nura_appliance.conversation",
    "nura_appliance.knowledge",
)
# Modules of the strict scope still on the debt list above; lower as they are typed, never raise.
STRICT_EXEMPT_CEILING = 0
# What ``mypy --strict`` turns on that mypy accepts per module (``implicit_reexport`` off).
STRICT_OPTIONS = {
    "disallow_any_generics": True,
    "disallow_subclassing_any": True,
    "disallow_untyped_calls": True,
    "disallow_untyped_defs": True,
    "disallow_incomplete_defs": True,
    "check_untyped_defs": True,
    "disallow_untyped_decorators": True,
    "warn_unused_ignores": True,
    "warn_return_any": True,
    "implicit_reexport": False,
    "strict_equality": True,
    "extra_checks": True,
}


def _overrides() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    overrides: list[dict[str, Any]] = config["tool"]["mypy"].get("overrides", [])
    return overrides


def _exempt_modules() -> list[str]:
    modules: list[str] = []
    for override in _overrides():
        if override.get("ignore_errors"):
            modules.extend(override["module"])
    return modules


def _in_scope(module: str) -> bool:
    return any(module == package or module.startswith(package + ".") for package in STRICT_SCOPE)


def test_the_debt_list_only_shrinks_and_names_real_modules() -> None:
    exempt = _exempt_modules()
    assert len(exempt) <= EXEMPT_CEILING, "a module was added to the mypy debt list: type it instead"
    assert len(set(exempt)) == len(exempt)
    for module in exempt:
        assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), (
            f"{module} no longer exists: drop it from the list"
        )


def test_the_strict_scope_has_every_strict_option_and_its_debt_only_shrinks() -> None:
    for package in STRICT_SCOPE:
        assert (ROOT / package.replace(".", "/")).is_dir(), f"{package} is not a package"
        pattern = package + ".*"
        matching = [o for o in _overrides() if pattern in o["module"] and not o.get("ignore_errors")]
        assert matching, f"pyproject.toml has no strict override for {pattern}"
        options = {key: value for o in matching for key, value in o.items() if key != "module"}
        missing = {k: v for k, v in STRICT_OPTIONS.items() if options.get(k) != v}
        assert not missing, f"{pattern}: strict options missing or off: {missing}"
    in_scope = [m for m in _exempt_modules() if _in_scope(m)]
    assert len(in_scope) <= STRICT_EXEMPT_CEILING, f"a strict-scope module was added to the debt list: {in_scope}"


def _probe(tmp_path: Path, package: str, source: str) -> subprocess.CompletedProcess[str]:
    """mypy with the project's configuration on one module named ``package.gate_probe``."""
    parts = package.split(".")
    directory = tmp_path
    for part in parts:
        directory = directory / part
        directory.mkdir(exist_ok=True)
        (directory / "__init__.py").write_text("", encoding="utf-8")
    (directory / "gate_probe.py").write_text(source, encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / ".cache"),
            "--no-error-summary",
            str(directory / "gate_probe.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_the_strict_scope_fails_an_untyped_function_that_the_default_passes(tmp_path: Path) -> None:
    """The gate is what the configuration says: in the strict scope an unannotated function is
    an error; outside it the same module passes (the non-strict default)."""
    source = "def echo(value):\n    return value\n"
    for package in STRICT_SCOPE:
        strict = _probe(tmp_path, package, source)
        assert strict.returncode == 1, strict.stdout + strict.stderr
        assert "[no-untyped-def]" in strict.stdout, strict.stdout
    outside = _probe(tmp_path, "nura_appliance.gate_outside", source)
    assert outside.returncode == 0, outside.stdout + outside.stderr


@pytest.mark.slow
def test_mypy_passes_on_the_package() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
