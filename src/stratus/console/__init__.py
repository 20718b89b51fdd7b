"""Remote consoles on compute hosts: the noVNC proxy (Nova's ``nova-novncproxy``).

Runs on the instances' host, never opens the database: tokens are checked by the conductor.
"""
