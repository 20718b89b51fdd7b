"""The neighbour table parser and the listening socket (namespaces themselves: the e2e test)."""

from __future__ import annotations

import io
import socket

import pytest

from stratus.network.metadata import netns

ARP = """IP address       HW type     Flags       HW address            Mask     Device
10.0.0.5         0x1         0x2         FA:16:3e:00:00:0a     *        brq1
10.0.0.6         0x1         0x0         00:00:00:00:00:00     *        brq1
10.0.0.7         0x1         0x6         fa:16:3e:00:00:0c     *        brq1
garbage
10.0.0.8         0x1         zz          fa:16:3e:00:00:0d     *        brq1
"""


def test_parse_arp_keeps_complete_entries() -> None:
    assert netns.parse_arp(ARP) == {
        "10.0.0.5": "fa:16:3e:00:00:0a",
        "10.0.0.7": "fa:16:3e:00:00:0c",
    }


def test_arp_table_rereads_its_file() -> None:
    f = io.BytesIO(ARP.encode())
    table = netns.ArpTable(f)
    assert table.mac_of("10.0.0.5") == "fa:16:3e:00:00:0a"
    assert table.mac_of("10.0.0.6") is None
    f.seek(0)
    f.truncate()
    f.write(ARP.replace("0x0 ", "0x2 ").encode())
    assert table.mac_of("10.0.0.6") == "00:00:00:00:00:00"
    table.close()
    assert f.closed


def test_listen_binds_and_listens() -> None:
    sock = netns.listen("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        assert not sock.get_inheritable()
    finally:
        sock.close()


def test_open_in_a_missing_namespace_fails_clearly(tmp_path: object) -> None:
    from pathlib import Path

    with pytest.raises(netns.NamespaceError, match="does not exist"):
        netns.open_in_namespace(Path(str(tmp_path)) / "qdhcp-nope", "169.254.169.254", 80)


def test_run_in_namespace_reports_errors_of_the_thread(tmp_path: object) -> None:
    from pathlib import Path

    with pytest.raises(FileNotFoundError):
        netns.run_in_namespace(Path(str(tmp_path)) / "missing", lambda: 1)
