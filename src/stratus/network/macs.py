"""MAC addresses for ports: random within ``[network] base_mac`` (``fa:16:3e:xx:xx:xx``).

As in Neutron, the octets of ``base_mac`` that are ``00`` after the first three are filled at
random; the caller retries on the (network, mac) unique key when two ports draw the same one.
"""

from __future__ import annotations

import re
import secrets

from stratus.common import exceptions

_MAC_RE = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")


def random_mac(base_mac: str = "fa:16:3e:00:00:00") -> str:
    """A random unicast MAC keeping the first three octets (and any set later one) of ``base``."""
    octets = [int(part, 16) for part in base_mac.split(":")]
    for i in range(3, 6):
        if octets[i] == 0:
            octets[i] = secrets.randbelow(256)
    return ":".join(f"{o:02x}" for o in octets)


def parse_mac(text: str) -> str:
    """A user-given MAC, lower-cased with colons; 400 if malformed, multicast or all zeros."""
    if not isinstance(text, str) or not _MAC_RE.match(text):
        raise exceptions.Invalid(
            f"Invalid input for mac_address. Reason: '{text}' is not a valid MAC address."
        )
    mac = text.lower().replace("-", ":")
    first = int(mac[:2], 16)
    if first & 1 or mac == "00:00:00:00:00:00":
        raise exceptions.Invalid(
            f"Invalid input for mac_address. Reason: '{text}' is not a valid MAC address."
        )
    return mac
