"""Identity API v3 (a Keystone-compatible subset)."""
