"""The virt driver defaults to qemu, and the network backend follows it unless it is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.cmd import main as cli
from stratus.common import config


@pytest.mark.parametrize(
    ("env", "virt", "backend"),
    [
        ({}, "qemu", "linuxbridge"),
        ({"STRATUS_COMPUTE__VIRT_DRIVER": "fake"}, "fake", "noop"),
        ({"STRATUS_NETWORK__BACKEND": "noop"}, "qemu", "noop"),
        (
            {"STRATUS_COMPUTE__VIRT_DRIVER": "fake", "STRATUS_NETWORK__BACKEND": "linuxbridge"},
            "fake",
            "linuxbridge",
        ),
    ],
)
def test_backend_follows_the_virt_driver_unless_set(
    tmp_path: Path, env: dict[str, str], virt: str, backend: str
) -> None:
    cfg = config.load(state_path=str(tmp_path), environ=env)
    assert (cfg.compute.virt_driver, cfg.network.backend) == (virt, backend)


def test_the_file_decides_like_the_environment(tmp_path: Path) -> None:
    conf = tmp_path / "stratus.conf"
    conf.write_text("[compute]\nvirt_driver = fake\n")
    cfg = config.load(conf, environ={})
    assert cfg.network.backend == "noop"


def test_command_line_virt_overrides_the_file_and_the_backend_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "stratus.conf").write_text("[compute]\nvirt_driver = qemu\n")
    seen: list[config.Config] = []
    monkeypatch.setattr(cli.config, "load", _recording(config.load, seen))
    monkeypatch.setattr("stratus.cmd.all_in_one.run", lambda cfg: 0)
    monkeypatch.setattr("stratus.common.log.setup", lambda *a: None)
    for name in ("STRATUS_CONFIG", "STRATUS_COMPUTE__VIRT_DRIVER", "STRATUS_NETWORK__BACKEND"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["up", "--data-dir", str(tmp_path), "--virt", "fake"]) == 0
    assert (seen[-1].compute.virt_driver, seen[-1].network.backend) == ("fake", "noop")
    assert cli.main(["up", "--data-dir", str(tmp_path)]) == 0
    assert (seen[-1].compute.virt_driver, seen[-1].network.backend) == ("qemu", "linuxbridge")


def _recording(load, seen):  # type: ignore[no-untyped-def]
    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        cfg = load(*args, **kwargs)
        seen.append(cfg)
        return cfg

    return wrapped
