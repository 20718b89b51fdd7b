"""MAC addresses: random in fa:16:3e, user-given ones validated."""

from __future__ import annotations

import re

import pytest

from stratus.common import exceptions
from stratus.network import macs


def test_random_macs_keep_the_openstack_prefix_and_differ() -> None:
    drawn = {macs.random_mac("fa:16:3e:00:00:00") for _ in range(200)}
    assert all(re.fullmatch(r"fa:16:3e(:[0-9a-f]{2}){3}", m) for m in drawn)
    assert len(drawn) > 190


def test_set_octets_of_the_base_are_kept() -> None:
    assert macs.random_mac("fa:16:3e:12:00:00").startswith("fa:16:3e:12:")


def test_user_macs_are_normalised() -> None:
    assert macs.parse_mac("FA-16-3E-AA-BB-CC") == "fa:16:3e:aa:bb:cc"


@pytest.mark.parametrize(
    "bad", ["fa:16:3e:aa:bb", "zz:16:3e:aa:bb:cc", "01:00:5e:00:00:01", "00:00:00:00:00:00"]
)
def test_bad_macs_are_400(bad: str) -> None:
    with pytest.raises(exceptions.Invalid, match="is not a valid MAC address"):
        macs.parse_mac(bad)
