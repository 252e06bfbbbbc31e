"""Helpers for developing this repository, not shipped (pyproject's packages are ea_plugin, integrations and
training): the tiny test model, real servers on loopback, and the development machines' settings. Tests,
benchmarks and scripts import them from here, so none of those three imports another for its helpers."""
