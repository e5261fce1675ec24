"""Settings registry: precedence, validation, documentation."""

from __future__ import annotations

import re

import pytest
from conftest import REPO

from nura_appliance.errors import ConfigError
from nura_appliance.settings import SETTINGS, load_settings


def test_defaults(tmp_path):
    s = load_settings(data_dir=tmp_path, environ={})
    assert s.nura_port == 8080 and s.nura_host == "127.0.0.1"
    assert s.handoff_triggers == ["explicit", "sentiment", "low_confidence", "feedback", "button"]
    assert s.cors_origins == ["*"]
    assert s.origins["NURA_PORT"] == "default"


def test_precedence_defaults_toml_env_override(tmp_path):
    (tmp_path / "nura.toml").write_text('COMPANY_NAME = "From Toml"\nagent_name = "TomlAgent"\nRAG_TOP_K = 7\n')
    s = load_settings(data_dir=tmp_path, environ={})
    assert (s.company_name, s.agent_name, s.rag_top_k) == ("From Toml", "TomlAgent", 7)
    assert s.origins["COMPANY_NAME"] == "nura.toml"
    s = load_settings(data_dir=tmp_path, environ={"COMPANY_NAME": "From Env"})
    assert s.company_name == "From Env" and s.agent_name == "TomlAgent"
    assert s.origins["COMPANY_NAME"] == "environment"
    s = load_settings(data_dir=tmp_path, environ={"COMPANY_NAME": "From Env"}, overrides={"COMPANY_NAME": "From Flag"})
    assert s.company_name == "From Flag" and s.origins["COMPANY_NAME"] == "override"


def test_data_dir_from_env_locates_toml(tmp_path):
    (tmp_path / "nura.toml").write_text("NURA_PORT = 9999\n")
    s = load_settings(environ={"NURA_DATA_DIR": str(tmp_path)})
    assert s.nura_port == 9999 and s.data_dir == tmp_path.resolve()


def test_original_nura_names_and_aliases(tmp_path):
    env = {
        "OPENAI_MODEL": "gpt-x",
        "HANDOFF_ENABLED": "false",
        "HANDOFF_TRIGGERS": "explicit, button",
        "JOB_MAX_ATTEMPTS": "3",
        "NURA_MESSAGE_MAX_CHARS": "500",
        "CORS_ORIGINS": "https://a.example,https://b.example",
    }
    s = load_settings(data_dir=tmp_path, environ=env)
    assert s.openai_model == "gpt-x" and s.handoff_enabled is False
    assert s.handoff_triggers == ["explicit", "button"] and s.job_max_attempts == 3
    assert s.message_max_chars == 500
    assert s.cors_origins == ["https://a.example", "https://b.example"]


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"NURA_PORT": "eighty"}, "NURA_PORT"),
        ({"NURA_PORT": "0"}, "at least"),
        ({"APP_ENV": "prod"}, "one of"),
        ({"HANDOFF_ENABLED": "maybe"}, "true/false"),
    ],
)
def test_invalid_values_are_refused_with_the_setting_name(tmp_path, env, fragment):
    with pytest.raises(ConfigError) as info:
        load_settings(data_dir=tmp_path, environ=env)
    assert fragment in info.value.message


def test_broken_toml_names_the_file(tmp_path):
    (tmp_path / "nura.toml").write_text("COMPANY_NAME = \n")
    with pytest.raises(ConfigError) as info:
        load_settings(data_dir=tmp_path, environ={})
    assert "nura.toml" in info.value.message


def test_unknown_override_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        load_settings(data_dir=tmp_path, environ={}, overrides={"NO_SUCH_SETTING": 1})


def test_secrets_are_masked(tmp_path):
    s = load_settings(data_dir=tmp_path, environ={"OPENAI_API_KEY": "sk-verysecretvalue"})
    shown = s.masked()
    assert "verysecret" not in str(shown["OPENAI_API_KEY"])


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    missing = [s.name for s in SETTINGS if s.name not in documented]
    assert not missing, f"settings missing from the README's table: {missing}"
    unknown = documented - {s.name for s in SETTINGS}
    assert not unknown, f"README documents settings that do not exist: {sorted(unknown)}"


def test_setting_reads_follow_values_at_once() -> None:
    """Each setting is a property reading ``values`` (no copy to go stale): a runtime change made
    to ``values`` shows on the next read; a name that is no setting is still AttributeError."""
    settings = load_settings(environ={})
    settings.values["COMPANY_NAME"] = "Renamed Telecom"
    settings.values["HANDOFF_ENABLED"] = False
    assert settings.company_name == "Renamed Telecom"
    assert settings.handoff_enabled is False
    assert getattr(settings, "no_such_setting", "absent") == "absent"
    del settings.values["AGENT_NAME"]
    with pytest.raises(AttributeError):
        _ = settings.agent_name
