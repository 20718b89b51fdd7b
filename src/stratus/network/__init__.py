"""Networking below the API: IP address management, MAC addresses, security-group rule checks
and the dataplane backend plug-in (``backend.py``, ``backends/``)."""
