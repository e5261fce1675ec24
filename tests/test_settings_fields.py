"""Every setting has a declared type (settings_fields.py), generated from and agreeing with SETTINGS."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from nura_appliance import settings as settings_module
from nura_appliance import settings_fields
from nura_appliance.settings import SETTINGS, load_settings


def test_the_declarations_file_is_the_one_generated_from_settings() -> None:
    written = Path(settings_fields.__file__).read_text(encoding="utf-8")
    assert written == settings_module.render_fields(), "run `make settings-fields` after changing SETTINGS"


def test_every_setting_is_declared_once_with_the_type_its_value_has(tmp_path: Path) -> None:
    hints = typing.get_type_hints(settings_fields.SettingFields)
    assert set(hints) == {s.name.lower() for s in SETTINGS}
    loaded = load_settings(environ={}, data_dir=tmp_path)
    for setting in SETTINGS:
        declared = hints[setting.name.lower()]
        value = getattr(loaded, setting.name.lower())
        origin = typing.get_origin(declared) or declared
        assert isinstance(value, origin), (setting.name, declared, value)
        if origin is list:
            assert all(isinstance(item, str) for item in value), setting.name


def test_a_name_that_is_not_a_setting_is_an_attribute_error(tmp_path: Path) -> None:
    loaded = load_settings(environ={}, data_dir=tmp_path)
    with pytest.raises(AttributeError):
        loaded.no_such_setting  # type: ignore[attr-defined]  # noqa: B018
    assert loaded.company_name == loaded.get("COMPANY_NAME")
