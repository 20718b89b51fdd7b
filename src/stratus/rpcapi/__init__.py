"""The RPC surfaces of the internal services, one module per topic (``conductor``, ``compute``,
``scheduler``): each holds the typed client, whose declarations are also what the service's
endpoint must implement (``stratus.messaging.remote``).

Wire types only (``objects``, ``messaging``): the API's service layer, the conductor and the
compute agents all reach each other's surface through here, never each other's package.
"""
