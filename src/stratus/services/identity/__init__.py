"""Identity business logic: authentication, tokens, role resolution, catalog, bootstrap."""
