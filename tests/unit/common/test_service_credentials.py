"""The service user's credentials: the bootstrap's file, the configuration winning over it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from stratus.common import config, service_credentials
from stratus.common.config import ConfigError


def _cfg(tmp_path: Path, **env: str) -> config.Config:
    return config.load(state_path=str(tmp_path), environ={"STRATUS_MY_IP": "192.0.2.7", **env})


def test_file_written_private_and_read_back(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    path = service_credentials.path_of(cfg)
    assert path == tmp_path / "service-credentials"
    service_credentials.write(path, cfg, "s3cret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    creds = service_credentials.load(cfg)
    assert creds.password == "s3cret"
    assert (creds.username, creds.project_name) == ("stratus", "service")
    assert (creds.user_domain_name, creds.project_domain_name) == ("Default", "Default")
    assert creds.auth_url == "http://192.0.2.7:5000/v3"  # [identity] auth_url's default
    assert creds.region_name == "RegionOne"


def test_the_file_is_a_config_section_a_compute_host_can_use(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    service_credentials.write(service_credentials.path_of(cfg), cfg, "pw-from-controller")
    elsewhere = tmp_path / "compute-host"
    elsewhere.mkdir()
    conf = elsewhere / "stratus.conf"
    conf.write_text(
        "[identity]\nauth_url = http://controller:5000/v3\n\n"
        + service_credentials.path_of(cfg).read_text()
    )
    host_cfg = config.load(conf, state_path=str(elsewhere), environ={})
    creds = service_credentials.load(host_cfg)
    assert creds.password == "pw-from-controller"
    assert creds.auth_url == "http://controller:5000/v3"


def test_configuration_wins_over_the_file(tmp_path: Path) -> None:
    cfg = _cfg(
        tmp_path,
        STRATUS_SERVICE_USER__PASSWORD="from-env",
        STRATUS_SERVICE_USER__AUTH_URL="https://keystone.example/v3/",
        STRATUS_SERVICE_USER__USERNAME="nova",
    )
    service_credentials.write(service_credentials.path_of(cfg), cfg, "from-file")
    creds = service_credentials.load(cfg)
    assert (creds.username, creds.password) == ("nova", "from-env")
    assert creds.auth_url == "https://keystone.example/v3"


def test_no_password_anywhere_says_where_to_put_it(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    with pytest.raises(ConfigError, match=r"set \[service_user\] password") as info:
        service_credentials.load(cfg)
    assert str(tmp_path / "service-credentials") in str(info.value)


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    service_credentials.path_of(cfg).write_text("password without a section\n")
    with pytest.raises(ConfigError, match="cannot read the service credentials"):
        service_credentials.load(cfg)
