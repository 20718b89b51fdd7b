"""The per-namespace servers follow the ``qdhcp-*`` namespaces present on the host.

Namespaces are stand-in files in a temporary directory (their inode identifies them, as the
nsfs inode does for real ones); servers listen on loopback through a fake opener.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.unit.network.metadata.samples import metadata

from stratus.network.metadata import netns
from stratus.network.metadata.netns import ArpTable, Endpoint
from stratus.network.metadata.service import MetadataService, namespace_name


class Opener:
    """Opens loopback endpoints instead of entering namespaces; can be told to fail."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.opened: list[str] = []
        self.fail: OSError | None = None

    def __call__(self, path: Path, address: str, port: int) -> Endpoint:
        if self.fail is not None:
            raise self.fail
        self.opened.append(path.name)
        arp = self.tmp / f"arp-{len(self.opened)}"
        arp.write_text("IP address HW type Flags HW address Mask Device\n")
        return Endpoint(netns.listen("127.0.0.1", 0), ArpTable(open(arp, "rb")), path.stat().st_ino)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[MetadataService, Path, Opener]]:
    nsdir = tmp_path / "netns"
    nsdir.mkdir()
    opener = Opener(tmp_path)
    service = MetadataService(lambda net, ip: metadata(), netns_dir=nsdir, opener=opener)
    yield service, nsdir, opener
    service.stop()


def add(nsdir: Path, network_id: str) -> Path:
    path = nsdir / namespace_name(network_id)
    path.write_text("")
    return path


def test_only_namespaces_asked_for_are_served(setup: tuple[MetadataService, Path, Opener]) -> None:
    service, nsdir, opener = setup
    add(nsdir, "net1")
    add(nsdir, "net2")
    add(nsdir, "other-cloud")
    service.sync()
    assert service.served() == []  # nobody asked: never entered
    assert service.ensure("net1") and service.ensure("net2")
    service.sync()
    service.ensure("net1")
    assert service.served() == ["net1", "net2"]
    assert opener.opened == ["qdhcp-net1", "qdhcp-net2"]


def test_a_namespace_that_appears_later_is_served(
    setup: tuple[MetadataService, Path, Opener],
) -> None:
    service, nsdir, _opener = setup
    assert service.ensure("net1") is False
    add(nsdir, "net1")
    service.sync()
    assert service.served() == ["net1"]


def test_deleted_namespace_stops_its_server(setup: tuple[MetadataService, Path, Opener]) -> None:
    service, nsdir, _opener = setup
    path = add(nsdir, "net1")
    service.ensure("net1")
    server = service._servers["net1"][0]
    host, port = server.address
    assert httpx.get(f"http://{host}:{port}/", timeout=5).status_code == 404  # no neighbour
    path.unlink()
    service.sync()
    assert service.served() == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{host}:{port}/", timeout=2)
    add(nsdir, "net1")  # re-created (by a dataplane resync): served again
    service.sync()
    assert service.served() == ["net1"]


def test_replaced_namespace_gets_a_new_server(setup: tuple[MetadataService, Path, Opener]) -> None:
    service, nsdir, opener = setup
    path = add(nsdir, "net1")
    assert service.ensure("net1")
    first = service._servers["net1"]
    path.rename(nsdir / "old")  # keeps the old inode in use: the new namespace gets another
    add(nsdir, "net1")
    assert service.ensure("net1")
    assert service._servers["net1"] is not first
    assert opener.opened == ["qdhcp-net1", "qdhcp-net1"]


def test_ensure_and_forget(setup: tuple[MetadataService, Path, Opener]) -> None:
    service, nsdir, _opener = setup
    assert service.ensure("net1") is False  # no namespace yet
    add(nsdir, "net1")
    assert service.ensure("net1") is True
    service.forget("net1")
    service.forget("net1")
    assert service.served() == []
    service.sync()
    assert service.served() == []  # forgotten: not served again


def test_a_taken_port_is_reported_once(
    setup: tuple[MetadataService, Path, Opener], caplog: pytest.LogCaptureFixture
) -> None:
    service, nsdir, opener = setup
    add(nsdir, "net1")
    opener.fail = OSError(errno.EADDRINUSE, "Address already in use")
    with caplog.at_level(logging.DEBUG, logger="stratus.network.metadata.service"):
        assert service.ensure("net1") is False
        service.sync()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "another process serves it" in warnings[0].getMessage()
    opener.fail = None
    service.sync()
    assert service.served() == ["net1"]


def test_missing_netns_directory_is_no_namespaces(tmp_path: Path) -> None:
    service = MetadataService(lambda net, ip: None, netns_dir=tmp_path / "none")
    service.sync()
    assert service.served() == []


def test_the_compute_agent_runs_it_only_with_a_dhcp_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # NOTE: no scan of this machine's real namespaces (other tests' dataplanes) from a unit test
    monkeypatch.setattr(MetadataService, "sync", lambda self: None)
    from types import SimpleNamespace

    from stratus.cmd.compute import METADATA_LOOKUP_TIMEOUT, start_metadata
    from stratus.cmd.service import RunningService
    from stratus.common.config import Config
    from stratus.network.backend import BackendCapabilities

    class Conductor:
        timeout: float | None = None

        def prepare(self, timeout: float) -> Conductor:
            self.timeout = timeout
            return self

        def metadata_for_address(self, network_id: str, address: str) -> None:
            return None

    cfg = Config()
    conductor = Conductor()
    noop = SimpleNamespace(network=SimpleNamespace(capabilities=BackendCapabilities()))
    dhcp = SimpleNamespace(
        network=SimpleNamespace(capabilities=BackendCapabilities(dhcp=True)), conductor=conductor
    )
    service = RunningService("test")
    try:
        assert start_metadata(cfg, noop, service) is None  # type: ignore[arg-type]
        cfg.network.metadata_service = False
        assert start_metadata(cfg, dhcp, service) is None  # type: ignore[arg-type]
        cfg.network.metadata_service = True
        metadata = start_metadata(cfg, dhcp, service)  # type: ignore[arg-type]
        assert isinstance(metadata, MetadataService)
        assert conductor.timeout == METADATA_LOOKUP_TIMEOUT
        assert [p.name for p in service.periodics] == ["test:metadata"]
        assert metadata.stop in service.on_stop
    finally:
        service.stop()
