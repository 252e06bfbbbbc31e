"""The data sets' builders, source extractors and reports (tests/data/devset, devset_v3, realtext, phrasing) and
the running-text probe. `python scripts/X.py` runs each; tests import them from here."""
