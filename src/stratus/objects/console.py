"""A remote console of an instance: where its server is on the instance's host, and the base of
the URL users open (Nova's ``ConsoleAuthToken`` connection info, without the token)."""

from __future__ import annotations

from typing import ClassVar

from stratus.objects.base import VersionedObject


class ConsoleConnectInfo(VersionedObject):
    """Sent by a compute host (``get_vnc_console``) and by the conductor to the console proxy
    once a token checks out (``console_token_consume``).

    ``internal_access_path`` is the unix socket of the instance's VNC server on ``host``: the
    proxy on that host connects there and nowhere else.
    """

    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    instance_uuid: str
    host: str
    console_type: str
    internal_access_path: str
    access_url_base: str = ""
