"""Console tokens and URLs: what is stored, what the user gets, which types exist."""

from __future__ import annotations

import hashlib
import re
import urllib.parse

import pytest

from stratus.common.exceptions import Invalid
from stratus.services.compute import consoles as c


def test_tokens_are_32_random_urlsafe_bytes_and_only_their_sha256_is_kept() -> None:
    tokens = {c.new_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 bytes, base64url, no padding
        assert c.token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
        assert token not in c.token_hash(token)


def test_the_url_makes_novnc_connect_to_the_token() -> None:
    url = c.console_url("http://192.0.2.10:6080/vnc_auto.html", "ab-c_D")
    assert url == "http://192.0.2.10:6080/vnc_auto.html?path=%3Ftoken%3Dab-c_D"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query == {"path": ["?token=ab-c_D"]}  # what noVNC appends to ws://host:port/
    with_query = c.console_url("https://c.example/vnc_auto.html?scale=true", "t")
    assert with_query == "https://c.example/vnc_auto.html?scale=true&path=%3Ftoken%3Dt"


@pytest.mark.parametrize(
    ("protocol", "console_type", "message"),
    [
        ("spice", "spice-html5", "Unavailable console type spice-html5."),
        ("rdp", "rdp-html5", "Unavailable console type rdp-html5."),
        ("serial", "serial", "Unavailable console type serial."),
        ("mks", "webmks", "Unavailable console type webmks."),
        ("vnc", "xvpvnc", "Invalid console type xvpvnc"),
        ("vnc", "spice-html5", "Invalid console type spice-html5"),
    ],
)
def test_only_novnc_consoles_exist(protocol: str, console_type: str, message: str) -> None:
    with pytest.raises(Invalid) as exc:
        c.check_console_type(protocol, console_type)
    assert exc.value.message == message
    c.check_console_type("vnc", "novnc")
