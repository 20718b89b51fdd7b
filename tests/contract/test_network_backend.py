"""Every dataplane backend (``[network] backend``) honours the ``NetworkBackend`` contract."""

from __future__ import annotations

import pytest

from stratus.network import backend
from stratus.network.backend import BackendCapabilities, NetworkSpec
from stratus.objects.network import VIF, FixedIP, SecurityRule


@pytest.fixture(params=sorted(backend.BACKENDS))
def impl(request: pytest.FixtureRequest) -> backend.NetworkBackend:
    return backend.load(request.param)


def _vif() -> VIF:
    return VIF(
        port_id="p1",
        network_id="n1",
        mac_address="fa:16:3e:00:00:01",
        fixed_ips=[FixedIP(address="10.0.0.2", subnet_id="s1", cidr="10.0.0.0/24")],
    )


def test_identity_and_capabilities(impl: backend.NetworkBackend) -> None:
    assert impl.name in backend.BACKENDS
    assert isinstance(impl.capabilities, BackendCapabilities)
    assert impl.capabilities.vif_type


def test_lifecycle_and_idempotent_removals(impl: backend.NetworkBackend) -> None:
    net = NetworkSpec(id="n1", name="private", mtu=1500, cidrs=("10.0.0.0/24",))
    impl.ensure_network(net)
    impl.ensure_network(net)
    impl.plug("host-1", _vif())
    impl.apply_security_groups(
        _vif(), [SecurityRule(id="r1", security_group_id="g1", direction="egress")]
    )
    impl.unplug("host-1", _vif())
    impl.unplug("host-1", _vif())
    impl.delete_network("n1")
    impl.delete_network("n1")


def test_removals_succeed_when_nothing_was_made(impl: backend.NetworkBackend) -> None:
    impl.unplug("host-1", _vif())
    impl.delete_network("never-made")


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(backend.UnknownBackend, match="unknown \\[network\\] backend 'ovs'"):
        backend.load("ovs")


def test_host_side_without_a_state_directory_touches_nothing(impl: backend.NetworkBackend) -> None:
    """Control-plane processes load the backend without a state directory: the host methods
    then have nothing of theirs to act on (and never touch the host)."""
    assert impl.host_network_ids() == []
    impl.teardown_network("n1")
    impl.apply_security_groups(_vif(), [])
    impl.unplug("host-1", _vif())
    assert impl.host_network_ids() == []
