"""Configuration: defaults, INI file, environment overrides, $state_path expansion, bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.common import config


def test_defaults_need_no_file(tmp_path: Path) -> None:
    cfg = config.load(state_path=str(tmp_path), environ={})
    assert cfg.default.transport_url == "memory://"
    assert cfg.database.connection == f"sqlite:///{tmp_path}/stratus.sqlite"
    assert cfg.default.report_interval == 10 and cfg.default.service_down_time == 60
    assert cfg.default.cpu_allocation_ratio == 16.0 and cfg.default.ram_allocation_ratio == 1.5
    assert cfg.identity.port == 5000 and cfg.image.port == 9292
    assert cfg.fernet_tokens.key_repository == f"{tmp_path}/fernet-keys"


def test_file_then_environment(tmp_path: Path) -> None:
    conf = tmp_path / "stratus.conf"
    conf.write_text(
        "[DEFAULT]\ntransport_url = rabbit://u:p@127.0.0.1:5672/\nmy_ip = 10.0.0.11\n"
        "cpu_allocation_ratio = 4.0\n[database]\nconnection = postgresql+psycopg://s:p@db/stratus\n"
        "[token]\nexpiration = 600\n"
    )
    env = {"STRATUS_TOKEN__EXPIRATION": "120", "STRATUS_DEBUG": "true"}
    cfg = config.load(conf, environ=env)
    assert cfg.default.transport_url.startswith("rabbit://")
    assert cfg.default.my_ip == "10.0.0.11"
    assert cfg.default.cpu_allocation_ratio == 4.0
    assert cfg.database.connection.startswith("postgresql+psycopg://")
    assert cfg.token.expiration == 120  # environment beats the file
    assert cfg.default.debug is True


def test_data_dir_file_is_found(tmp_path: Path) -> None:
    (tmp_path / "stratus.conf").write_text("[identity]\nport = 15000\n")
    assert config.load(state_path=str(tmp_path), environ={}).identity.port == 15000


@pytest.mark.parametrize(
    ("text", "message"),
    [("[token]\nexpiration = soon\n", "expected int"), ("[DEFAULT]\ndebug = maybe\n", "boolean")],
)
def test_bad_values_are_reported(tmp_path: Path, text: str, message: str) -> None:
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    with pytest.raises(config.ConfigError, match=message):
        config.load(conf, environ={})


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError):
        config.load(tmp_path / "nope.conf", environ={})


def test_render_ini_round_trips(tmp_path: Path) -> None:
    cfg = config.load(state_path=str(tmp_path), environ={})
    conf = tmp_path / "out.conf"
    conf.write_text(config.render_ini(cfg))
    again = config.load(conf, environ={})
    assert again.database.connection == cfg.database.connection
    assert again.token.expiration == cfg.token.expiration
