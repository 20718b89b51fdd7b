"""Compute agent operations: one module per operation, each a plain function over ``AgentEnv``."""
