"""``nura models list|add``: the GGUF chat models of the local LLM provider (``DATA_DIR/models``)."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from nura_appliance.ai.local import find_local_model, inspect_model, llama_available, models_dir
from nura_appliance.cli.main import DataDir, fail, settings_for
from nura_appliance.paths import is_frozen

models_app = typer.Typer(help="Local LLM models (GGUF files for llama.cpp).", no_args_is_help=True)
CHECK_SECONDS = 300  # loading a multi-GB model from a slow disk, then two tokens on a small CPU


def _describe(path: Path, active: Path | None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "file": path.name,
        "path": str(path),
        "bytes": path.stat().st_size,
        "active": active is not None and path.resolve() == active.resolve(),
    }
    if llama_available():
        try:
            info.update({k: v for k, v in inspect_model(path).items() if k not in ("path", "bytes")})
        except Exception as exc:  # noqa: BLE001 - an unreadable file is listed with its problem
            info["error"] = str(exc)[:200]
    return info


@models_app.command("list")
def list_models(
    data_dir: DataDir = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """List the GGUF models in DATA_DIR/models and which one the local provider uses.

    Example: nura models list
    """
    settings = settings_for(data_dir)
    folder = models_dir(settings)
    active = find_local_model(settings)
    files = sorted(folder.glob("*.gguf")) if folder.is_dir() else []
    if active is not None and active.parent.resolve() != folder.resolve():
        files.insert(0, active)  # NURA_LOCAL_MODEL may point outside the models folder
    rows = [_describe(p, active) for p in files]
    if as_json:
        typer.echo(json.dumps({"models_dir": str(folder), "models": rows}, indent=2))
        return
    typer.echo(f"models folder: {folder}")
    if not rows:
        typer.echo("no models; add one with: nura models add PATH/TO/model.gguf")
        return
    for row in rows:
        mark = "*" if row["active"] else " "
        template = "chat template" if row.get("chat_template") else "NO chat template"
        detail = row.get("error") or f"{row.get('architecture') or '?'}, {template}"
        typer.echo(f"{mark} {row['file']:48} {row['bytes'] / 1e6:9.1f} MB  {detail}")
    if not llama_available():
        typer.echo("(llama-cpp-python is not installed: pip install 'nura-appliance[local]')")


@models_app.command("add")
def add_model(
    path: Annotated[
        Path, typer.Argument(help="A GGUF chat model file.", exists=True, dir_okay=False, resolve_path=True)
    ],
    data_dir: DataDir = None,
    link: Annotated[bool, typer.Option("--link", help="Symlink instead of copying.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a model of the same name.")] = False,
) -> None:
    """Copy (or --link) a GGUF chat model into DATA_DIR/models and check that llama.cpp loads it
    and that it has a chat template.

    Example: nura models add ~/Downloads/qwen2.5-1.5b-instruct-q4_k_m.gguf
    """
    settings = settings_for(data_dir)
    if path.suffix.lower() != ".gguf":
        fail(f"{path.name} is not a .gguf file")
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            fail(f"{path.name} is not a GGUF file (bad magic bytes)")
    if not llama_available():
        fail("llama-cpp-python is not installed: pip install 'nura-appliance[local]'")
    folder = models_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists() or target.is_symlink():
        if not force:
            fail(f"{target} exists; use --force to replace it")
        target.unlink()
    partial = target.with_name(target.name + ".partial")
    try:
        if link:
            target.symlink_to(path)
        else:
            # Copy under a temporary name so a half-copied file is never picked up as a model.
            shutil.copyfile(path, partial)
            partial.replace(target)
        problem = _check_loads(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(f"cannot add {path.name}: {exc.strerror or exc}")
    if problem:
        target.unlink(missing_ok=True)
        fail(f"{path.name} was not added: {problem}")
    typer.echo(f"added {target} ({'linked' if link else 'copied'})")
    active = find_local_model(settings)
    if active is not None and active.resolve() != target.resolve():
        typer.echo(f"note: the local provider uses {active.name}; set NURA_LOCAL_MODEL={target.name} to use this one")


def _check_command(path: Path) -> list[str]:
    """How to run ``nura models check PATH`` in a child process (the bundle is its own Python)."""
    command = [sys.executable] if is_frozen() else [sys.executable, "-m", "nura_appliance"]
    return [*command, "models", "check", str(path)]


def _check_loads(path: Path) -> str | None:
    """None when llama.cpp loads the model and it can chat; else the reason it cannot.

    Runs in a child process: llama.cpp can take the whole process down on a model or a CPU it
    mishandles (a segfault, an abort), and the add must still say so and remove the file."""
    try:
        done = subprocess.run(_check_command(path), capture_output=True, text=True, timeout=CHECK_SECONDS)
    except subprocess.TimeoutExpired:
        return f"llama.cpp did not load it and answer a test message within {CHECK_SECONDS} s"
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        return f"llama.cpp crashed ({name}) while loading it or answering a test message (see docs/AI.md)"
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                return json.loads(line).get("problem")
    return f"the check ended without an answer (exit {done.returncode}): {(done.stderr or done.stdout)[-300:].strip()}"


@models_app.command("check", hidden=True)
def check_model(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Load PATH with llama.cpp and ask for two tokens; print {"problem": null | reason}. `add`
    runs it in a child process.

    Example: nura models check data/models/qwen2.5-1.5b-instruct-q4_k_m.gguf
    """
    typer.echo(json.dumps({"problem": _load_and_chat(path)}))


def _load_and_chat(path: Path) -> str | None:
    from llama_cpp import Llama

    try:
        llm = Llama(model_path=str(path), n_ctx=256, n_threads=1, verbose=False)
    except Exception as exc:  # noqa: BLE001 - reported to the admin
        return f"llama.cpp cannot load it ({exc})"
    try:
        if not llm.metadata.get("tokenizer.chat_template"):
            return "it has no chat template (a base model echoes prompts); use an instruct/chat GGUF"
        out = llm.create_chat_completion(messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
        if not isinstance(out, dict) or not out.get("choices"):
            return "it produced no completion"
    except Exception as exc:  # noqa: BLE001 - reported to the admin
        return f"a test completion failed ({exc})"
    finally:
        llm.close()
    return None
