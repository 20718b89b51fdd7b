"""get_vnc_console on the agent: Nova's answers, and what it tells the API."""

from __future__ import annotations

import pytest
from tests.fixtures.instances import make_instance
from tests.unit.compute.conftest import World

from stratus.common.exceptions import Conflict, Invalid
from stratus.virt.driver import Capabilities


def test_running_instance_names_its_socket_and_this_hosts_novnc_page(world: World) -> None:
    world.cfg.default.my_ip = "192.0.2.10"
    inst = make_instance(host="h1")
    world.env("h1")
    world.driver().spawn(inst, None, [])
    info = world.agents["h1"].get_vnc_console(inst, "novnc")
    assert info.instance_uuid == inst.uuid
    assert info.host == "h1"
    assert info.console_type == "novnc"
    assert info.internal_access_path == str(world.driver().vnc_socket_path(inst.uuid))
    assert info.access_url_base == "http://192.0.2.10:6080/vnc_auto.html"


def test_base_url_from_config_and_ipv6_addresses(world: World) -> None:
    inst = make_instance(host="h1")
    world.env("h1")
    world.driver().spawn(inst, None, [])
    world.cfg.default.my_ip = "2001:db8::5"
    world.cfg.vnc.novncproxy_port = 6081
    info = world.agents["h1"].get_vnc_console(inst, "novnc")
    assert info.access_url_base == "http://[2001:db8::5]:6081/vnc_auto.html"
    world.cfg.vnc.novncproxy_base_url = "https://console.example/vnc_auto.html"
    info = world.agents["h1"].get_vnc_console(inst, "novnc")
    assert info.access_url_base == "https://console.example/vnc_auto.html"


def test_other_console_types_are_invalid(world: World) -> None:
    inst = make_instance(host="h1")
    world.env("h1")
    world.driver().spawn(inst, None, [])
    with pytest.raises(Invalid, match=r"^Invalid console type xvpvnc$"):
        world.agents["h1"].get_vnc_console(inst, "xvpvnc")


def test_vnc_disabled_or_unsupported_is_unavailable(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = make_instance(host="h1")
    world.env("h1")
    world.driver().spawn(inst, None, [])
    world.cfg.vnc.enabled = False
    with pytest.raises(Invalid, match=r"^Unavailable console type novnc\.$"):
        world.agents["h1"].get_vnc_console(inst, "novnc")
    world.cfg.vnc.enabled = True
    monkeypatch.setattr(world.driver(), "capabilities", Capabilities(supports_vnc_console=False))
    with pytest.raises(Invalid, match=r"^Unavailable console type novnc\.$"):
        world.agents["h1"].get_vnc_console(inst, "novnc")


def test_stopped_or_unknown_instance_is_not_ready(world: World) -> None:
    inst = make_instance(host="h1")
    world.env("h1")
    world.driver().spawn(inst, None, [], power_on=False)
    with pytest.raises(Conflict, match=f"Instance {inst.uuid} is not ready"):
        world.agents["h1"].get_vnc_console(inst, "novnc")
    other = make_instance(host="h1")
    with pytest.raises(Conflict, match="is not ready"):
        world.agents["h1"].get_vnc_console(other, "novnc")
