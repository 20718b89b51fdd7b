"""The service user's credentials: ``[service_user]`` plus the ``service-credentials`` file.

The identity bootstrap creates the user ``stratus`` (role ``service`` on project ``service``, not
``admin``) with a random password and writes ``<data dir>/service-credentials`` (mode 0600), an
INI fragment holding the ``[service_user]`` section. Processes on the controller (``stratus up``,
``stratus compute`` with the same data directory) read it automatically; a compute host on
another machine gets the same section in its ``stratus.conf``. Values in the configuration win
over the file.
"""

from __future__ import annotations

import configparser
import dataclasses
import os
from pathlib import Path

from stratus.common import private_paths
from stratus.common.config import Config, ConfigError

FILE_NAME = "service-credentials"
SECTION = "service_user"


@dataclasses.dataclass(frozen=True)
class ServiceCredentials:
    """Everything a password authentication against the identity service needs."""

    auth_url: str
    username: str
    password: str
    project_name: str
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"
    region_name: str | None = None


def path_of(cfg: Config) -> Path:
    return cfg.state_path / FILE_NAME


def read_password(path: Path) -> str | None:
    """The password in a credentials file, or None when there is no such file."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path) as f:
            parser.read_file(f)
    except FileNotFoundError:
        return None
    except (OSError, configparser.Error) as exc:
        raise ConfigError(f"cannot read the service credentials in {path}: {exc}") from exc
    return parser.get(SECTION, "password", fallback=None)


def write(path: Path, cfg: Config, password: str) -> None:
    """Write the credentials file (mode 0600, replaced atomically)."""
    su = cfg.service_user
    text = (
        "# Credentials of the Stratus service user: compute agents fetch images with them.\n"
        "# Written by the identity bootstrap. For a compute host on another machine, copy\n"
        "# this section into its stratus.conf (and set [identity] auth_url there).\n"
        f"[{SECTION}]\n"
        f"username = {su.username}\n"
        f"password = {password}\n"
        f"project_name = {su.project_name}\n"
        f"user_domain_name = {su.user_domain_name}\n"
        f"project_domain_name = {su.project_domain_name}\n"
    )
    private_paths.make_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def load(cfg: Config) -> ServiceCredentials:
    """The effective credentials; raises ``ConfigError`` saying where to put a missing password."""
    su = cfg.service_user
    password = su.password or read_password(path_of(cfg))
    if not password:
        raise ConfigError(
            f"no password for the service user {su.username!r}: set [service_user] password "
            f"or run the identity bootstrap, which writes {path_of(cfg)}"
        )
    return ServiceCredentials(
        auth_url=(su.auth_url or cfg.auth_url).rstrip("/"),
        username=su.username,
        password=password,
        project_name=su.project_name,
        user_domain_name=su.user_domain_name,
        project_domain_name=su.project_domain_name,
        region_name=cfg.default.region_name or None,
    )


__all__ = ["FILE_NAME", "ServiceCredentials", "load", "path_of", "read_password", "write"]
