"""Helpers for developing this repository, not shipped (pyproject's packages are ea_plugin, integrations and
training): the tiny test model, real servers on loopback, the development machines' settings, the benchmarks'
deterministic pairs and the data sets' builders and reports (devsets/). Tests, benchmarks and scripts import them
from here, so none of those three imports another for its helpers."""
