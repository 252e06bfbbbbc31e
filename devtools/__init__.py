"""Helpers for developing this repository, not shipped (pyproject's packages are ea_plugin, integrations and
training): the tiny test model, real servers on loopback, the development machines' settings and the benchmarks'
deterministic pairs. Tests, benchmarks and scripts import them from here, so none of those three imports another
for its helpers."""
