"""Process entry points: ``stratus up``, ``stratus api``, ``stratus manage ...``."""
