"""Identity primitives with no database access: password hashing, Fernet keys, token format."""
