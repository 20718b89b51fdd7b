"""The scheduler: filters and weighs hosts and claims resources atomically in the database."""
