"""Pick a message bus implementation from ``[DEFAULT] transport_url``.

``memory://[name]`` gives the in-process bus (all-in-one mode, tests);
``rabbit://user:password@host:5672/vhost`` gives RabbitMQ via kombu.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from stratus.common.config import ConfigError
from stratus.messaging.bus import MessageBus

SCHEMES = ("memory", "rabbit")


def get_bus(transport_url: str, *, default_timeout: float = 60.0) -> MessageBus:
    """A new bus for ``transport_url``; ``default_timeout`` is used by ``call`` without one.

    Raises ``ConfigError`` for a URL with an unknown scheme.
    """
    scheme = urlsplit(transport_url).scheme.lower() if "://" in transport_url else ""
    if scheme == "memory":
        from stratus.messaging.inproc import InProcBus

        return InProcBus(transport_url, default_timeout=default_timeout)
    if scheme == "rabbit":
        # NOTE: imported lazily so that all-in-one mode never loads kombu.
        from stratus.messaging.rabbit import RabbitBus

        return RabbitBus(transport_url, default_timeout=default_timeout)
    raise ConfigError(
        f"[DEFAULT] transport_url: unsupported message bus URL {_redact(transport_url)!r}; "
        "use memory:// (single process) or rabbit://user:password@host:5672/vhost"
    )


def _redact(url: str) -> str:
    """``url`` without its password, for error messages."""
    parts = urlsplit(url) if "://" in url else None
    if parts is None or parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


__all__ = ["SCHEMES", "get_bus"]
