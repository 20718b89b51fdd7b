"""Business logic the APIs call, one subpackage per domain (identity, compute, network,
image); ``quota`` and ``servicegroup`` are shared by several of them."""
