"""The message bus between Stratus services: one interface, in-process and RabbitMQ transports.

Start at :mod:`stratus.messaging.bus` (the interface and its delivery rules) and
:func:`stratus.messaging.transport.get_bus`; the RPC surfaces (``stratus.rpcapi``) build on
:class:`stratus.messaging.rpc.RpcClient`.
"""

from stratus.messaging.bus import MessageBus, RpcServer, Target, rpc_method
from stratus.messaging.rpc import RpcClient
from stratus.messaging.transport import get_bus

__all__ = ["MessageBus", "RpcClient", "RpcServer", "Target", "get_bus", "rpc_method"]
