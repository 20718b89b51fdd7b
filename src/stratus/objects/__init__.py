"""Versioned wire objects (pydantic models) exchanged between services; see ``base``."""
