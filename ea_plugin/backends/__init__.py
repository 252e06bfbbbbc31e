"""Backends: each module registers itself through the ``ea_register_backends`` hook."""
