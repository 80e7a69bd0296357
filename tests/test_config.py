"""crmlytics.yaml is validated: unknown keys and bad values are errors that name the key."""

from __future__ import annotations

import pytest

from crmlytics.config import Config, ConfigError, load_config


def test_defaults_apply_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config() == Config()


def test_a_known_setting_is_read(tmp_path):
    path = tmp_path / "crmlytics.yaml"
    path.write_text("locale: zh\nfacts:\n  window_days: 365\n", encoding="utf-8")
    config = load_config(path)
    assert config.locale == "zh" and config.facts.window_days == 365


def test_an_unknown_key_is_an_error_naming_it(tmp_path):
    path = tmp_path / "crmlytics.yaml"
    path.write_text("facts:\n  windows_days: 365\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"facts\.windows_days"):
        load_config(path)


def test_an_invalid_value_is_an_error_naming_the_key(tmp_path):
    path = tmp_path / "crmlytics.yaml"
    path.write_text("locale: fr\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="locale"):
        load_config(path)


def test_the_digest_changes_with_any_setting():
    assert Config().digest() == Config().digest()
    assert Config().digest() != Config(locale="zh").digest()
