"""A minimal RFB (VNC) client over a websocket, as noVNC speaks it through the console proxy.

Enough of RFC 6143 to prove a console works: the 3.8 handshake with security type None, the
ServerInit (screen size and desktop name: QEMU names it after the instance), and one full
FramebufferUpdate in Raw encoding, returned as pixels.
"""

from __future__ import annotations

import dataclasses
import struct

from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

SECURITY_NONE = 1
RAW = 0


@dataclasses.dataclass(frozen=True)
class Screen:
    width: int
    height: int
    bytes_per_pixel: int
    name: str


class RfbClient:
    """``with RfbClient(url) as rfb: screen = rfb.handshake(); pixels = rfb.framebuffer()``."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._connection = connect(
            url, subprotocols=[Subprotocol("binary")], open_timeout=timeout, max_size=None
        )
        self.ws: ClientConnection = self._connection.__enter__()
        self._buf = b""
        self.screen: Screen | None = None

    def __enter__(self) -> RfbClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._connection.__exit__(None, None, None)

    def _read(self, n: int) -> bytes:
        while len(self._buf) < n:
            data = self.ws.recv(timeout=self.timeout)
            assert isinstance(data, bytes), f"a text frame from the proxy: {data!r}"
            self._buf += data
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def _send(self, data: bytes) -> None:
        self.ws.send(data)

    def handshake(self) -> Screen:
        """Version, security None, ClientInit (shared); the ServerInit as a ``Screen``."""
        version = self._read(12)
        assert version.startswith(b"RFB 003."), version
        self._send(b"RFB 003.008\n")
        (count,) = self._read(1)
        assert count > 0, f"the VNC server refused: {self._read(4)!r}"
        types = self._read(count)
        assert SECURITY_NONE in types, f"no security type None among {list(types)}"
        self._send(bytes([SECURITY_NONE]))
        (result,) = struct.unpack(">I", self._read(4))
        assert result == 0, "security handshake failed"
        self._send(b"\x01")  # shared
        width, height = struct.unpack(">HH", self._read(4))
        pixel_format = self._read(16)
        (name_len,) = struct.unpack(">I", self._read(4))
        name = self._read(name_len).decode(errors="replace")
        self.screen = Screen(width, height, pixel_format[0] // 8, name)
        return self.screen

    def framebuffer(self) -> bytes:
        """One full, non-incremental update in Raw encoding: the screen's pixels."""
        assert self.screen is not None, "handshake() first"
        s = self.screen
        self._send(struct.pack(">BxHi", 2, 1, RAW))  # SetEncodings: Raw only
        self._send(struct.pack(">BBHHHH", 3, 0, 0, 0, s.width, s.height))
        while True:
            (kind,) = self._read(1)
            if kind == 0:  # FramebufferUpdate
                break
            assert kind in (2, 3), f"unexpected server message {kind}"  # bell, cut text
            if kind == 3:
                self._read(3)
                (length,) = struct.unpack(">I", self._read(4))
                self._read(length)
        _pad, rects = struct.unpack(">BH", self._read(3))
        pixels = bytearray(s.width * s.height * s.bytes_per_pixel)
        for _ in range(rects):
            x, y, w, h, encoding = struct.unpack(">HHHHi", self._read(12))
            assert encoding == RAW, f"encoding {encoding} was not asked for"
            row = w * s.bytes_per_pixel
            for line in range(h):
                start = ((y + line) * s.width + x) * s.bytes_per_pixel
                pixels[start : start + row] = self._read(row)
        return bytes(pixels)
